import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { CachedLoader } from '../core/cached-loader.js';
import type { CpsMechanism } from '../core/cps/cps-service.js';
import { cpsPath, oobDestinations, requestClaims, type OobPublishRule } from '../core/cps/oob-policy.js';
import type { AccountRecord, Clock, Directory } from '../core/ports.js';
import type { SignedPassport, SigningService } from '../core/sign-service.js';
import type { OutOfBandSource } from '../core/cps/oob-source.js';
import { CpsHttp } from './cps-http.js';

export interface OobClientOptions {
  /** Base URL of the STI-CPS (`https://cps.example.net/cps`); the paths are appended to it. */
  url: string;
  mechanism: CpsMechanism;
  audience: string;
  rule: OobPublishRule;
  expSec: number;
  timeoutMs: number;
  /** Publishes in flight at most; beyond it a publish is dropped (counted), never queued without bound. */
  maxPending: number;
  cacheTtlMs: number;
}

export interface OobClientDeps {
  signing: SigningService;
  directory: Directory;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  options: OobClientOptions;
}

/**
 * The signing side of out-of-band SHAKEN (RFC 8816, ATIS-1000096): each signed PASSporT of an account that
 * publishes (its stored choice, AccountRecord.oobPublish, or the configuration's names) to a selected destination
 * is published to the STI-CPS after the answer, with a request token signed by the same credential. A publish
 * never delays or fails the call: its outcome is counted and a failure logged.
 */
export class OobPublisher {
  private pending = 0;
  private readonly outcomes: Counter<'outcome'>;
  private readonly accounts: CachedLoader<string, AccountRecord | undefined>;
  private readonly http: CpsHttp;

  constructor(private readonly deps: OobClientDeps) {
    this.http = new CpsHttp(deps.options.maxPending);
    this.outcomes = new Counter({
      name: 'shakenstack_cps_publish_total',
      help: 'Out-of-band publishes of signed PASSporTs to the STI-CPS, by outcome (ok, failed, dropped).',
      labelNames: ['outcome'],
      registers: [deps.registry],
    });
    for (const o of ['ok', 'failed', 'dropped']) this.outcomes.inc({ outcome: o }, 0);
    this.accounts = new CachedLoader(async (id: string) => (await deps.directory.getAccount(id)) ?? undefined, deps.clock, { ttlMs: deps.options.cacheTtlMs, staleIfErrorMs: 0 });
  }

  /** Drops the cached accounts: called by the node's change watcher, so a changed choice applies to the next call. */
  invalidate(): void {
    this.accounts.clear();
  }

  /** The signing service's hook: returns at once; the work starts on the next turn of the event loop. */
  readonly signed = (s: SignedPassport): void => {
    if (s.origTn === undefined || s.destTns.length === 0) return;
    if (this.pending >= this.deps.options.maxPending) {
      this.outcomes.inc({ outcome: 'dropped' });
      return;
    }
    this.pending++;
    setImmediate(() => {
      this.publishCall(s, s.origTn!)
        .catch((err: unknown) => this.failed(s, s.destTns.join(','), (err as Error).message))
        .finally(() => this.pending--);
    });
  };

  private async publishCall(s: SignedPassport, origTn: string): Promise<void> {
    const account = this.accounts.peek(s.accountId) ?? (await this.accounts.get(s.accountId));
    if (account === undefined) return;
    // One publish per called number: the CPS files PASSporTs under the (dest, orig) pair the terminating side asks for.
    await Promise.all(oobDestinations(account, this.deps.options.rule, s.destTns).map((destTn) => this.publish(s, origTn, destTn).catch((err: unknown) => this.failed(s, destTn, (err as Error).message))));
  }

  private async publish(s: SignedPassport, origTn: string, destTn: string): Promise<void> {
    const { options, signing, clock } = this.deps;
    const passports = [...s.passports];
    const nowSec = Math.floor(clock.now() / 1000);
    let spc = '';
    const token = await signing.signToken(s.accountId, (certSpc) => {
      spc = certSpc ?? '';
      return requestClaims('publish', { audience: options.audience, spc, origTn, destTn, nowSec, expSec: options.expSec, passports });
    });
    const res = await this.http.send(options.url + cpsPath(options.mechanism, spc, destTn, origTn), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ passports }),
      timeoutMs: options.timeoutMs,
    });
    if (res.status !== 201 && res.status !== 200) return this.failed(s, destTn, `HTTP ${res.status} ${res.text.slice(0, 200)}`);
    this.outcomes.inc({ outcome: 'ok' });
  }

  private failed(s: SignedPassport, destTn: string, detail: string): void {
    this.outcomes.inc({ outcome: 'failed' });
    this.deps.logger.warn({ accountId: s.accountId, dest: destTn, detail }, 'cps: out-of-band publish failed (the call was signed and answered)');
  }
}

export interface OobRetrieverDeps {
  signing: SigningService;
  accounts: { listAccounts(): Promise<readonly { id: string; name: string }[]> };
  clock: Clock;
  options: Pick<OobClientOptions, 'url' | 'mechanism' | 'audience' | 'timeoutMs' | 'cacheTtlMs'> & { accountName: string };
}

/** Sockets kept to the CPS for retrievals (each verification without Identity holds one while it waits). */
const RETRIEVE_SOCKETS = 256;

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Most PASSporTs taken from one retrieval: a call has a shaken, some divs, an rcd. */
const MAX_RETRIEVED = 16;

/**
 * The verifying side (RFC 8816): the PASSporTs of a call without Identity, retrieved from the STI-CPS with a
 * token signed by the configured account's credential (the CPS authenticates retrievers as it does publishers).
 */
export class OobRetriever implements OutOfBandSource {
  private readonly ids: CachedLoader<string, string | undefined>;
  private readonly http = new CpsHttp(RETRIEVE_SOCKETS);

  constructor(private readonly deps: OobRetrieverDeps) {
    this.ids = new CachedLoader(async (name: string) => (await deps.accounts.listAccounts()).find((a) => a.name === name)?.id, deps.clock, { ttlMs: deps.options.cacheTtlMs, staleIfErrorMs: 0 });
  }

  async retrieve(origTn: string, destTn: string): Promise<{ ok: true; passports: string[] } | { ok: false; detail: string }> {
    const { options, signing, clock } = this.deps;
    try {
      const accountId = this.ids.peek(options.accountName) ?? (await this.ids.get(options.accountName));
      if (accountId === undefined) return { ok: false, detail: `no account named "${options.accountName}" (cpsClient.retrieveAccount)` };
      let spc = '';
      const nowSec = Math.floor(clock.now() / 1000);
      const token = await signing.signToken(accountId, (certSpc) => {
        spc = certSpc ?? '';
        return requestClaims('retrieve', { audience: options.audience, spc, origTn, destTn, nowSec });
      });
      const res = await this.http.send(options.url + cpsPath(options.mechanism, spc, destTn, origTn), { method: 'GET', headers: { authorization: `Bearer ${token}` }, timeoutMs: options.timeoutMs });
      const body = jsonOrUndefined(res.text) as { passports?: unknown; code?: unknown } | undefined;
      if (res.status === 404) return { ok: true, passports: [] };
      if (res.status !== 200 || !Array.isArray(body?.passports)) return { ok: false, detail: `HTTP ${res.status}${typeof body?.code === 'string' ? ` ${body.code}` : ''}` };
      return { ok: true, passports: body.passports.filter((p): p is string => typeof p === 'string').slice(0, MAX_RETRIEVED) };
    } catch (e) {
      return { ok: false, detail: (e as Error).message };
    }
  }
}

/** The client side of out-of-band SHAKEN from `cpsClient.*`, or nothing when `cpsClient.url` is unset. */
export function oobClientOptions(c: Config['cpsClient'], cacheTtlMs: number): OobClientOptions | undefined {
  if (c.url === undefined) return undefined;
  const list = (v: string | undefined) => (v ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
  return {
    url: c.url,
    mechanism: c.mechanism,
    audience: c.audience ?? new URL(c.url).hostname,
    rule: { accounts: list(c.publishAccounts), destPrefixes: list(c.destPrefixes) },
    expSec: c.expSec,
    timeoutMs: c.timeoutMs,
    maxPending: c.maxPending,
    cacheTtlMs,
  };
}
