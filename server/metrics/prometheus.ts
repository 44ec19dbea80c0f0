import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { daysUntilExpiry, parseCertificateChain } from '../core/cert-chain.js';
import type { Clock, RequestLogRecord, RequestLogSink } from '../core/ports.js';
import type { HeartbeatSink } from '../core/heartbeat.js';
import type { RefusedReason } from '../net/connection-guard.js';
import type { ReadinessCheck } from '../health/readiness.js';
import type { Store } from '../store/store.js';
import type { RequestLogStats } from '../store/threaded-request-log.js';
import { withTimeout } from '../core/with-timeout.js';
import { TalliedHistogram, type Tally } from './tallied-histogram.js';

/** Seconds; from well under a software signature (~0.1 ms) to an HSM or x5u fetch that is struggling. */
const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const EXPIRY_WARNING_DAYS = 30;
/** Longest a scrape waits for the certificate rows; as the readiness probe, well under Prometheus's 10 s scrape timeout. */
const STORE_READ_TIMEOUT_MS = 2000;

interface CertificateRow {
  labels: { account: string; account_name: string; credential: string; state: string; spc: string };
  days: number;
}

async function certificateRows(store: Store, nowMs: number): Promise<CertificateRow[]> {
  const [credentials, accounts] = await Promise.all([store.listCredentials(), store.listAccounts()]);
  const names = new Map(accounts.map((a) => [a.id, a.name]));
  return credentials.map((c) => {
    const leaf = parseCertificateChain(c.chainPem).leaf;
    return {
      labels: { account: c.accountId, account_name: names.get(c.accountId) ?? '', credential: c.id, state: c.state, spc: leaf.spc ?? '' },
      days: daysUntilExpiry(leaf, nowMs),
    };
  });
}

export interface PrometheusDeps {
  readiness: ReadinessCheck;
  store: Store;
  clock: Clock;
  /** The request log's journal counters, read at scrape time. */
  requestLog?: () => RequestLogStats;
}

/**
 * The Prometheus view of this process (prom-client, its own registry rather than the global one). Request
 * counters and latency histograms are fed by the request-log records the core emits for every transport
 * (a `RequestLogSink` beside the log writer); readiness and certificate gauges are read when scraped.
 */
export class PrometheusMetrics implements RequestLogSink, HeartbeatSink {
  readonly registry = new Registry();
  private readonly errors: Counter<'kind' | 'transport' | 'code'>;
  private readonly duration: TalliedHistogram<'kind' | 'transport' | 'outcome'>;
  private readonly refused: Counter<'listener' | 'reason'>;
  private readonly heartbeats: Counter<'kind' | 'transport' | 'outcome' | 'code'>;
  private readonly heartbeatSeen: Gauge<'account'>;
  private readonly rcdRefresh: Counter<'outcome'>;
  /**
   * A request is counted into plain numbers kept per label set (one map hit), read into prom-client when scraped:
   * prom-client validates and hashes the labels on every `inc`/`observe`, even on a `labels()` child.
   */
  private readonly tallies = new Map<string, { labels: Record<'kind' | 'transport' | 'outcome' | 'attest', string>; requests: number; duration: Tally }>();

  constructor(deps: PrometheusDeps) {
    const registers = [this.registry];
    const tallies = this.tallies;
    new Counter({
      name: 'shakenstack_requests_total',
      help: 'Sign and verify requests finished, by kind, transport, outcome and applied attestation (none when not signed).',
      labelNames: ['kind', 'transport', 'outcome', 'attest'],
      registers,
      collect() {
        this.reset();
        for (const t of tallies.values()) this.inc(t.labels, t.requests);
      },
    });
    this.errors = new Counter({ name: 'shakenstack_request_errors_total', help: 'Refused requests by error code.', labelNames: ['kind', 'transport', 'code'], registers });
    this.duration = new TalliedHistogram({
      name: 'shakenstack_request_duration_seconds',
      help: "The core's time per request (validation, policy, signing or verifying), the same clock for every transport.",
      labelNames: ['kind', 'transport', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.refused = new Counter({
      name: 'shakenstack_connections_refused_total',
      help: 'Connections reset at once because a cap was reached, by listener (http, sip) and cap (total, per_source).',
      labelNames: ['listener', 'reason'],
      registers,
    });
    // SBC heartbeats (core/heartbeat.ts) never reach `record`: counted here, apart from the calls.
    this.heartbeats = new Counter({
      name: 'shakenstack_heartbeats_total',
      help: 'SBC heartbeat requests (the heartbeat.* numbers, from an identified caller) by kind, transport, outcome and error code (none when ok); never in shakenstack_requests_total or the request log.',
      labelNames: ['kind', 'transport', 'outcome', 'code'],
      registers,
    });
    this.rcdRefresh = new Counter({
      name: 'shakenstack_rcd_refresh_total',
      help: 'Background refreshes of RCD profiles\' linked content (logo, jCard) by outcome: unchanged, changed (new rcdi digests stored), failed (old digests kept).',
      labelNames: ['outcome'],
      registers,
    });
    this.heartbeatSeen = new Gauge({
      name: 'shakenstack_heartbeat_last_seen_seconds',
      help: "Unix time of each account's last SBC heartbeat, whatever its answer: which account's SBC holds this node out of rotation, and since when.",
      labelNames: ['account'],
      registers,
      aggregator: 'max',
    });
    new Gauge({
      name: 'shakenstack_readiness',
      help: '1 while the readiness probe passes (store, each PKCS#11 token), else 0; the probes of GET /health/ready.',
      labelNames: ['probe'],
      registers,
      aggregator: 'min',
      async collect() {
        const states = (await deps.readiness.check()).checks;
        this.reset();
        for (const [probe, state] of Object.entries(states)) this.set({ probe }, state === 'ok' ? 1 : 0);
      },
    });
    // Both certificate gauges are read in the same scrape: one store read serves both. While the store is
    // unavailable (or too slow for a scrape) they keep their last values, so a scrape still answers and shows the
    // outage in shakenstack_readiness{probe="store"} instead of failing as a whole.
    let snapshot: { at: number; rows: Promise<CertificateRow[]> } | undefined;
    let lastRows: CertificateRow[] = [];
    const certificates = (): Promise<CertificateRow[]> => {
      const now = deps.clock.now();
      if (!snapshot || now - snapshot.at > 1000) {
        const read = certificateRows(deps.store, now).then((rows) => (lastRows = rows));
        snapshot = { at: now, rows: withTimeout(read, STORE_READ_TIMEOUT_MS, () => lastRows).catch(() => lastRows) };
      }
      return snapshot.rows;
    };
    new Gauge({
      name: 'shakenstack_certificate_expiry_days',
      help: "Days until each credential's leaf certificate expires (negative once expired), active and retired.",
      labelNames: ['account', 'account_name', 'credential', 'state', 'spc'],
      registers,
      aggregator: 'max',
      async collect() {
        const rows = await certificates();
        this.reset();
        for (const r of rows) this.set(r.labels, r.days);
      },
    });
    new Gauge({
      name: 'shakenstack_certificates_expiring',
      help: `Active certificates with fewer than ${EXPIRY_WARNING_DAYS} days left (or expired).`,
      registers,
      aggregator: 'max',
      async collect() {
        this.set((await certificates()).filter((r) => r.labels.state === 'active' && r.days < EXPIRY_WARNING_DAYS).length);
      },
    });
    if (deps.requestLog) {
      const stats = deps.requestLog;
      // Counters read from the log's own tallies at scrape time: reset, then set to the running total.
      new Counter({
        name: 'shakenstack_request_log_unjournaled_total',
        help: 'Request-log records that could not be journaled (journal full, or the disk failed): kept in memory only until stored, lost if the process dies first.',
        registers,
        collect() {
          this.reset();
          this.inc(stats().unjournaled);
        },
      });
      new Counter({
        name: 'shakenstack_request_log_dropped_total',
        help: 'Request-log records lost: unjournaled records beyond the in-memory bound, or a batch the store rejected repeatedly.',
        registers,
        collect() {
          this.reset();
          this.inc(stats().dropped);
        },
      });
      new Gauge({
        name: 'shakenstack_request_log_journal_bytes',
        help: 'Bytes of request-log records journaled and not yet in the store (grows while the store is down).',
        registers,
        collect() {
          this.set(stats().journalBytes);
        },
      });
    }
    collectDefaultMetrics({ register: this.registry });
  }

  record(entry: RequestLogRecord): void {
    const attest = entry.outcome === 'ok' && entry.attestApplied !== null ? entry.attestApplied : 'none';
    const key = `${entry.kind}|${entry.transport}|${entry.outcome}|${attest}`;
    let t = this.tallies.get(key);
    if (!t) {
      // Label sets that differ only by attest share one duration series (tally() gives the same one back).
      const duration = this.duration.tally({ kind: entry.kind, transport: entry.transport, outcome: entry.outcome });
      t = { labels: { kind: entry.kind, transport: entry.transport, outcome: entry.outcome, attest }, requests: 0, duration };
      this.tallies.set(key, t);
    }
    t.requests++;
    this.duration.observeInto(t.duration, entry.latencyUs / 1e6);
    if (entry.outcome === 'error') this.errors.inc({ kind: entry.kind, transport: entry.transport, code: entry.errorCode ?? 'ERR_INTERNAL' });
  }

  /**
   * An SBC heartbeat: its own counter, with the error code since a heartbeat is never in the request log (a
   * verification heartbeat without identity is always `VERIFY_428_identity_absent`), and the account's last-seen time.
   */
  heartbeat(entry: RequestLogRecord): void {
    const code = entry.outcome === 'ok' ? 'none' : (entry.errorCode ?? 'ERR_INTERNAL');
    this.heartbeats.inc({ kind: entry.kind, transport: entry.transport, outcome: entry.outcome, code });
    if (entry.accountId !== null) this.heartbeatSeen.set({ account: entry.accountId }, entry.time.getTime() / 1000);
  }

  /** One profile's linked content fetched again in the background (manage/rcd-refresh.ts). */
  rcdRefreshed(outcome: 'unchanged' | 'changed' | 'failed'): void {
    this.rcdRefresh.inc({ outcome });
  }

  /** A listener reset a connection over one of its caps (docs/connection-limits.md). */
  connectionRefused(listener: 'http' | 'grpc' | 'sip', reason: RefusedReason): void {
    this.refused.inc({ listener, reason });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
