import type { Session } from './types.js';

/** Every dashboard API call lives under this path (docs/dashboard-api.md). */
export const API_BASE = '/dashboard/api';

/**
 * An error answer of the dashboard API, whose body is the service's one error body
 * `{error: {code, reason, field?, details?}}`, plus Retry-After on 429 and 503. A request that got no answer is
 * `NETWORK`, one without that body `HTTP_<status>`: codes of this client, never the service's.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    readonly field?: string,
    readonly retryAfterSec?: number,
  ) {
    super(reason);
    this.name = 'ApiError';
  }
}

type Listener = () => void;

/**
 * Holds the CSRF token of the current session and sends it on every non-GET request, which the backend
 * refuses without it (403 ERR_SESSION_CSRF). One per app, created in main.tsx and passed down.
 */
export class ApiClient {
  private csrfToken = '';
  private readonly onExpired = new Set<Listener>();

  setSession(session: Session | null): void {
    this.csrfToken = session?.csrfToken ?? '';
  }

  /** Called when a request answers 401: the session ended (expired, or signed out elsewhere). */
  onSessionExpired(listener: Listener): () => void {
    this.onExpired.add(listener);
    return () => this.onExpired.delete(listener);
  }

  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T> {
    return this.request<T>('GET', path + queryString(query));
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }

  /** The login itself: the only non-GET call without a CSRF token. A 401 here is a wrong password, not an expiry. */
  async login(username: string, password: string): Promise<Session> {
    const session = await this.request<Session>('POST', '/session', { username, password }, { quietUnauthorized: true });
    this.setSession(session);
    return session;
  }

  async currentSession(): Promise<Session | null> {
    try {
      const session = await this.request<Session>('GET', '/session', undefined, { quietUnauthorized: true });
      this.setSession(session);
      return session;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    }
  }

  async logout(): Promise<void> {
    try {
      await this.request<void>('DELETE', '/session');
    } finally {
      this.setSession(null);
    }
  }

  private async request<T>(method: string, path: string, body?: unknown, opts: { quietUnauthorized?: boolean } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrfToken !== '') headers['x-csrf-token'] = this.csrfToken;
    let res: Response;
    try {
      res = await fetch(API_BASE + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The service did not answer; check that it is running.');
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const json = parseJson(text);
    if (res.ok) return json as T;
    if (res.status === 401 && !opts.quietUnauthorized) for (const l of this.onExpired) l();
    throw toApiError(res, json);
  }
}

function toApiError(res: Response, json: unknown): ApiError {
  const outer = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  // A proxy in front of the service may answer with a body of its own: only `error` objects are ours.
  const obj = (typeof outer.error === 'object' && outer.error !== null ? outer.error : outer) as Record<string, unknown>;
  const code = typeof obj.code === 'string' ? obj.code : `HTTP_${res.status}`;
  const reason = typeof obj.reason === 'string' ? obj.reason : typeof obj.message === 'string' ? obj.message : `The service answered ${res.status} ${res.statusText}.`;
  const field = typeof obj.field === 'string' ? obj.field : undefined;
  const retry = Number(res.headers.get('retry-after'));
  return new ApiError(res.status, code, reason, field, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `?a=1&b=2` without the empty ones, or '' when nothing is left. */
export function queryString(query?: Record<string, string | number | undefined>): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

/** A message for any thrown value, for the page's error area. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.reason;
  if (err instanceof Error) return err.message;
  return String(err);
}
