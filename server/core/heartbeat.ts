import type { RequestLogRecord, RequestLogSink } from './ports.js';

/**
 * The dummy numbers an SBC's heartbeat uses. Oracle SBCs (sti-heartbeat-config) send periodic sign and
 * verify requests for `sti-orig-tn-number` (default 9999999999) to `sti-dest-tn-number` (7777777777), with
 * `sti-div-tn-number` (3333333333) as the diverted-from number of a 3GPP div heartbeat, and judge the service
 * by the answer. Canonical TNs (RFC 8224 §8.3), set by the `heartbeat.*` settings.
 */
export interface HeartbeatNumbers {
  orig: string;
  dest: string;
  div: string;
}

/** What a heartbeat was: the request-log record the core built for it, never stored. */
export interface HeartbeatSink {
  heartbeat(record: RequestLogRecord): void;
}

export interface Heartbeats {
  numbers: HeartbeatNumbers;
  sink: HeartbeatSink;
}

/**
 * A heartbeat is an authenticated request (the record names an account: an unidentified caller gets no
 * special path) from the heartbeat orig to heartbeat dest numbers. The parties are read from the record the
 * core filled in after validating the request, so every transport is judged by the same canonical numbers.
 */
export function isHeartbeat(record: RequestLogRecord, numbers: HeartbeatNumbers): boolean {
  // Every record of every call passes here: the orig is compared first, so only a heartbeat's dest is split.
  return record.accountId !== null && record.orig === numbers.orig && record.dest !== null && isHeartbeatCall(record.orig, record.dest.split(','), numbers);
}

/**
 * The request-log path with heartbeats taken out: a heartbeat's record goes to the heartbeat sink (its own
 * counter and last-seen time) and never to the request log, so the log, the dashboard's statistics and
 * reports, and the per-request metrics (all fed from the log sink) count calls only. Without `heartbeats`
 * (the CLI, tests that do not ask for it) the log is returned unchanged.
 */
export function withoutHeartbeats(log: RequestLogSink, heartbeats: Heartbeats | undefined): RequestLogSink;
export function withoutHeartbeats(log: RequestLogSink | undefined, heartbeats: Heartbeats | undefined): RequestLogSink | undefined;
export function withoutHeartbeats(log: RequestLogSink | undefined, heartbeats: Heartbeats | undefined): RequestLogSink | undefined {
  if (!heartbeats) return log;
  const { numbers, sink } = heartbeats;
  return {
    record(entry) {
      if (!isHeartbeat(entry, numbers)) return log?.record(entry);
      sink.heartbeat(entry);
      return undefined;
    },
  };
}

/**
 * The heartbeat's parties: orig the heartbeat orig, and every called number the heartbeat dest or (a div
 * heartbeat) the div number. The one test of the numbers, for a log record, a verification without identity
 * (Oracle's ATIS verification heartbeat carries only `time`, `from` and `to`) and a signature not to publish.
 */
export function isHeartbeatCall(origTn: string | undefined, destTns: readonly string[] | undefined, numbers: HeartbeatNumbers): boolean {
  return origTn === numbers.orig && destTns !== undefined && destTns.length > 0 && destTns.every((tn) => tn === numbers.dest || tn === numbers.div);
}
