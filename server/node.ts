import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CertificatePublisher } from './core/certificate-publisher.js';
import { systemClock, type Clock } from './core/ports.js';
import { createSigningService, type SigningService } from './core/sign-service.js';
import { resolvePublicUrl } from './config/load.js';
import type { Config } from './config/schema.js';
import { storeOptions } from './config/store-options.js';
import { buildHttpApp } from './http/app.js';
import { openKeyStores, type KeyStores } from './key-stores.js';
import { watchChanges } from './store/change-watcher.js';
import { openStore } from './store/open-store.js';
import { RequestLogWriter } from './store/request-log-writer.js';
import type { Store } from './store/store.js';

export interface RunningNode {
  app: FastifyInstance;
  store: Store;
  keys: KeyStores;
  signing: SigningService;
  logWriter: RequestLogWriter;
  /** The base URL x5u links of this node start with. */
  publicUrl: string;
  port: number;
  /** Stop accepting, finish in-flight requests, flush the request log, close stores. Idempotent. */
  close(): Promise<void>;
}

/**
 * One service process: open the store (migrations applied) and key stores, build the core and the HTTP
 * adapter, then listen. Everything that can fail at start fails here, before the port is bound.
 */
export async function startNode(config: Config, logger: Logger, clock: Clock = systemClock): Promise<RunningNode> {
  const store = await openStore(storeOptions(config));
  let keys: KeyStores;
  try {
    keys = await openKeyStores(config, store);
  } catch (e) {
    await store.close();
    throw e;
  }
  const logWriter = new RequestLogWriter(store, {
    flushIntervalMs: config.requestLog.flushIntervalMs,
    maxBatch: config.requestLog.maxBatch,
    logger,
  });
  const signing = createSigningService({ directory: store, keys: keys.router, clock, log: logWriter, cacheTtlMs: config.cacheTtlMs });
  const certificates = new CertificatePublisher(store, clock);
  const watcher = watchChanges(store, {
    intervalMs: config.changePollMs,
    onChange: () => {
      signing.invalidate();
      certificates.invalidate();
    },
  });
  const app = buildHttpApp({
    signing,
    certificates,
    logger,
    bodyLimit: config.http.bodyLimit,
    readiness: {
      async check() {
        try {
          await store.ping();
          return { store: 'ok' };
        } catch {
          return { store: 'unavailable' };
        }
      },
    },
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      watcher.stop();
      await app.close();
      // After the listener has drained, every completed request has handed its record to the writer.
      await logWriter.close();
      await keys.router.close();
      await store.close();
    })());

  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (e) {
    await close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  return { app, store, keys, signing, logWriter, publicUrl: resolvePublicUrl(config, port), port, close };
}
