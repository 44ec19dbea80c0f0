import { createTempDatabase } from '../helpers/postgres.js';
import { readAnswer, startTestService, type TestService } from '../helpers/service.js';
import { createDashboardUser } from '../../server/dashboard/users.js';
import type { Clock } from '../../server/core/ports.js';

export type Engine = 'embedded' | 'postgres';
export const ENGINES: Engine[] = ['embedded', 'postgres'];

/** A real node with the dashboard on, on the given store engine (PostgreSQL: a fresh database, dropped on stop). */
export async function startDashboardService(engine: Engine, opts: { overrides?: Record<string, unknown>; clock?: Clock; url?: string; tlsCa?: string } = {}): Promise<TestService> {
  // Tests log in far more often from 127.0.0.1 than a person would: the per-address login rate is off here
  // unless a test sets it (login-flood.test.ts does).
  opts = { ...opts, overrides: { 'dashboard.loginRatePerMinute': 0, ...opts.overrides } };
  if (engine === 'embedded') return startTestService({ overrides: { 'grpc.enabled': false, ...opts.overrides }, clock: opts.clock, tlsCa: opts.tlsCa });
  const db = opts.url ? undefined : await createTempDatabase();
  const svc = await startTestService({ overrides: { 'grpc.enabled': false, 'store.engine': 'postgres', 'store.url': opts.url ?? db!.url, 'store.poolSize': 4, ...opts.overrides }, clock: opts.clock, tlsCa: opts.tlsCa });
  const stop = svc.stop;
  svc.stop = async () => {
    await stop();
    await db?.drop();
  };
  return svc;
}

export const PASSWORD = 'correct horse battery';

let n = 0;
/** A dashboard user made the way the frontend's tests make theirs. */
export async function makeUser(svc: TestService, role: 'admin' | 'operator' | 'viewer', accountId: string | null = null) {
  const username = `${role}${++n}`;
  const user = await createDashboardUser(svc.node.store, { username, password: PASSWORD, role, accountId });
  return { user, username, password: PASSWORD };
}

export interface Answer {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

/** A browser-like client of the dashboard API: keeps the session cookie and sends the CSRF token. */
export class DashClient {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}

  static async login(svc: TestService, username: string, password = PASSWORD): Promise<DashClient> {
    const c = new DashClient(svc.url);
    const r = await c.login(username, password);
    if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
    return c;
  }

  async login(username: string, password: string, headers: Record<string, string> = {}): Promise<Answer> {
    const r = await this.request('POST', '/dashboard/api/session', { username, password }, headers);
    if (r.status === 200) {
      this.cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
      this.csrf = r.json.csrfToken;
    }
    return r;
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (method !== 'GET' && this.csrf && !('x-csrf-token' in headers)) h['x-csrf-token'] = this.csrf;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await fetch(this.base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
    return readAnswer(res);
  }

  get(path: string) {
    return this.request('GET', path);
  }
  post(path: string, body: unknown = {}) {
    return this.request('POST', path, body);
  }
  patch(path: string, body: unknown) {
    return this.request('PATCH', path, body);
  }
  del(path: string) {
    return this.request('DELETE', path);
  }
}

/** Polls until `check` returns something truthy (the request log is written off the request path). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function sign(svc: TestService, token: string, body: Record<string, unknown>) {
  const res = await fetch(`${svc.url}/api/stir-shaken/sign`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

/** The text a PDF page shows: pdfkit writes uncompressed `[<hex> kern <hex>] TJ` arrays. */
export function pdfText(pdf: Buffer): string {
  const s = pdf.toString('latin1');
  return [...s.matchAll(/\[([^\]]*)\]\s*TJ/g)]
    .map((m) => [...m[1]!.matchAll(/<([0-9a-f]*)>/gi)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''))
    .join('\n');
}
