import type { OutOfBandSource } from '../core/cps/oob-source.js';
import { cpuCores } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Authenticator } from '../core/authenticate.js';
import type { SourceResolver } from '../core/source-caller.js';
import { systemClock, type Clock, type RequestLogSink } from '../core/ports.js';
import type { CertificateFetcher, SignatureChecker, TrustAnchorSource } from '../core/verify/verify-ports.js';
import { createVerifier, type Verifier } from '../core/verify/verify-service.js';
import type { Heartbeats } from '../core/heartbeat.js';
import { createHttpsFetcher } from './https-fetcher.js';
import { trustAnchorSource } from './trust-anchor-file.js';

export interface ConfiguredVerifierOptions {
  authenticator?: Authenticator;
  sources?: SourceResolver;
  clock?: Clock;
  log?: RequestLogSink;
  /** SBC heartbeats, recorded apart from `log` (core/heartbeat.ts). */
  heartbeats?: Heartbeats;
  /** The STI-CPS a call without Identity is looked up in (`cpsClient.retrieveAccount`). */
  outOfBand?: OutOfBandSource;
  /** Replaces `verify.trustAnchors` (CLI `--trust`). */
  trustAnchors?: string;
  /** Hears a trust-anchor reload that failed (the previous anchors stay in force). */
  onTrustReloadError?: (e: Error) => void;
  /** Extra TLS CAs for fetching x5u (tests; in a lab NODE_EXTRA_CA_CERTS does the same). */
  tlsCa?: string | readonly string[];
  /** Where signatures are checked (`signatureCheckPlace`); absent, on the event loop, as the CLI's one-shot verify does. */
  signatures?: SignatureChecker;
}

/**
 * The verifier as configured: the https fetcher under `verify.*` limits and lab switches (the loader has
 * folded the deprecated `verify.allowInsecureX5u` into both), and the trust anchors from file.
 * Loads the anchors now, so a bad `verify.trustAnchors` stops the service before it listens (ConfigError).
 */
export function createConfiguredVerifier(config: Config, opts: ConfiguredVerifierOptions = {}): Verifier & { trust: TrustAnchorSource; fetcher: CertificateFetcher } {
  const clock = opts.clock ?? systemClock;
  const v = config.verify;
  const trust = trustAnchorSource(opts.trustAnchors ?? v.trustAnchors, v.trustReloadMs, clock, opts.onTrustReloadError);
  const fetcher = createConfiguredFetcher(config, { tlsCa: opts.tlsCa, clock });
  const verifier = createVerifier({
    fetcher,
    trust,
    clock,
    authenticator: opts.authenticator,
    sources: opts.sources,
    log: opts.log,
    heartbeats: opts.heartbeats,
    outOfBand: opts.outOfBand,
    signatures: opts.signatures,
    options: { maxAgeSec: v.maxAgeSec, allowHttpX5u: v.allowHttpX5u, crlPolicy: v.crlPolicy },
  });
  return { ...verifier, trust, fetcher };
}


/**
 * A signature thread (signature-thread.ts) buys a verification a second core only when one is idle: with as many
 * workers as cores, every core already runs an event loop, and the hand-off is pure cost (HTTP verify with 2 workers
 * on 2 cores: 0.88-1.01 × the loop's rate with a thread each).
 */
export function signatureCheckPlace(workers: number, cores = cpuCores()): 'thread' | 'loop' {
  return workers < cores ? 'thread' : 'loop';
}

/**
 * The https fetcher under `verify.*` limits and lab switches: x5u and CRLs for the verifier, and the content RCD
 * claims link to (logos, jCards; RFC 9795), fetched with the same address rule and deadline when an operator
 * saves a brand and when a call is verified.
 */
export function createConfiguredFetcher(config: Config, opts: { tlsCa?: string | readonly string[]; clock?: Clock } = {}): CertificateFetcher {
  const clock = opts.clock ?? systemClock;
  const v = config.verify;
  return createHttpsFetcher({
    allowHttpX5u: v.allowHttpX5u,
    allowPrivateAddresses: v.allowPrivateAddresses,
    timeoutMs: v.fetchTimeoutMs,
    maxBytes: v.fetchMaxBytes,
    tlsCa: opts.tlsCa,
    now: () => clock.now(),
  });
}
