import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendNoRoute } from '../http/errors.js';

/**
 * The folder holding the built dashboard: `dashboard.assetsDir`, else `dist/web` of the package this file
 * belongs to, found by walking up to its package.json (the same from `server/` under vitest and from
 * `dist/server/` when built).
 */
export function defaultAssetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    dir = dirname(dir);
  }
  return resolve('dist', 'web');
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shakenstack dashboard not built</title></head>
<body><h1>The dashboard is not built</h1>
<p>This service serves the dashboard from its built files, which are missing. Build them (<code>npm run build</code>
in the project folder) or point <code>SHAKENSTACK_DASHBOARD_ASSETS_DIR</code> at a built copy, then reload.</p>
<p>The dashboard API under <code>/dashboard/api/</code> works without them.</p></body></html>
`;

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * `GET /dashboard/…`: hashed assets with a long cache life, any other path the SPA's index.html (client-side
 * routes), and a 503 page saying what to do when the build is missing. Missing assets are a 404, never the
 * index page, so a stale bundle fails loudly instead of parsing HTML as JavaScript.
 */
export function registerDashboardAssets(app: FastifyInstance, assetsDir: string, securityHeaders: Record<string, string>): void {
  const root = resolve(assetsDir);
  void app.register(async (scope) => {
    // Cache headers are set per route below; the plugin's own default (max-age=0) would replace them.
    await scope.register(fastifyStatic, { root, serve: false, index: false, dotfiles: 'deny', cacheControl: false });
    scope.addHook('onSend', async (_request, reply) => void reply.headers(securityHeaders));

    const sendIndex = (reply: FastifyReply) => {
      if (!isFile(join(root, 'index.html'))) return reply.code(503).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
      return reply.header('cache-control', 'no-cache').sendFile('index.html', root);
    };

    scope.get('/dashboard', (_request, reply) => reply.redirect('/dashboard/'));
    scope.get('/dashboard/', (_request, reply) => sendIndex(reply));
    scope.get<{ Params: { '*': string } }>('/dashboard/*', (request, reply) => {
      const path = request.params['*'];
      // An unknown API path is the API's 404 (JSON), not a client route.
      if (path.startsWith('api/')) return sendNoRoute(request, reply);
      // send refuses traversal itself, but with an error that would surface as a 500: no such file is a 404.
      if (path.includes('..') || path.includes('\0')) return reply.callNotFound();
      if (path.startsWith('assets/')) return reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(path, root);
      if (path !== '' && isFile(join(root, path))) return reply.sendFile(path, root);
      return sendIndex(reply);
    });
  });
}
