/**
 * The service's request log as a floor server keeps it in `kept` mode (issue 17): what every answer of the service
 * owes besides its signature, with the service's own code, so a floor that keeps it shows what these obligations
 * cost at least. `ThreadedRequestLog` writes each record to the journal before the answer may leave (one
 * `writeSync` per event-loop turn) and its thread ships the journal into the embedded store with the request
 * log's indexes (reliability.md).
 */
import cluster from 'node:cluster';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestLogRecord } from '../server/core/ports.js';
import type { RequestKind, Transport } from '../server/core/types.js';
import { loadConfig } from '../server/config/load.js';
import { JOURNAL_DIR } from '../server/store/journal-segments.js';
import { openStore } from '../server/store/open-store.js';
import { ThreadedRequestLog } from '../server/store/threaded-request-log.js';

/**
 * A kept floor's request log in `dataDir`, set up as `serve` sets up its own: the cluster's primary (or the only
 * process) creates the embedded store and applies the migrations before any log thread opens it, and each process
 * that serves starts its own journal and log thread. A primary that `forks` workers serves nothing: undefined.
 */
export async function keptFloorLog(dataDir: string, forks = false): Promise<ThreadedRequestLog | undefined> {
  if (cluster.isPrimary) await (await openStore({ engine: 'embedded', dataDir })).close();
  return forks ? undefined : startFloorRequestLog(dataDir);
}

/** The request log with `serve`'s default settings on the migrated store in `dataDir`. */
async function startFloorRequestLog(dataDir: string): Promise<ThreadedRequestLog> {
  const store = { engine: 'embedded', dataDir } as const;
  const { flushIntervalMs, maxBatch, storeTimeoutMs, journalMaxBytes } = loadConfig({ env: {} }).requestLog;
  return ThreadedRequestLog.start(
    { store, dataDir, flushIntervalMs, maxBatch, storeTimeoutMs, journalMaxBytes },
    { warn: (o, m) => console.error(m, o), error: (o, m) => console.error(m, o) },
  );
}

/**
 * A call's record, as the core writes one (account, attestation, numbers, origid, latency): a signed call's, or with
 * `verify` a passed verification's (the attestation it carried; nothing requested, no policy's reason).
 */
export function floorRecord(transport: Transport, call: { orig: string; dest: string; origid: string; attest: 'A' | 'B' | 'C' }, startedMs: number, kind: RequestKind = 'sign'): RequestLogRecord {
  const signed = kind === 'sign';
  return {
    kind,
    time: new Date(),
    accountId: 'acc_floor',
    apiKeyId: transport === 'sip' ? null : 'key_floor',
    transport,
    orig: call.orig,
    dest: call.dest,
    attestRequested: signed ? call.attest : null,
    attestApplied: call.attest,
    attestReason: signed ? 'requested' : null,
    outcome: 'ok',
    errorCode: null,
    latencyUs: Math.round((performance.now() - startedMs) * 1000),
    origid: call.origid,
    passports: 'shaken',
    rcdProfile: null,
    rcdVerified: null,
  };
}

/**
 * A kept floor's start check: the answer leaves after the journal's write, so by the time it came the record of
 * `origid` is in a segment of `dataDir`'s journal. Throws otherwise.
 */
export function assertJournaled(dataDir: string, origid: string, who: string): void {
  const journal = join(dataDir, JOURNAL_DIR);
  if (!readdirSync(journal).some((file) => readFileSync(join(journal, file), 'utf8').includes(`"origid":"${origid}"`))) {
    throw new Error(`${who} answered before its request-log record was journaled`);
  }
}
