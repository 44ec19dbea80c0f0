import { addressTag } from './address.js';
import { header, topViaHop, type SipRequest } from './message.js';
import { makeRoom } from '../core/oldest-first.js';

/** RFC 3261 §17.2.1 timers for unreliable transports. */
const T1_MS = 500;
const T2_MS = 4000;
const T4_MS = 5000;
/** Timer H (64 × T1): how long a completed INVITE transaction waits for its ACK; also how long a table keeps one. */
export const TIMER_H_MS = 64 * T1_MS;
const TICK_MS = 50;
const absorb = (): void => {};

export interface ServerTransaction {
  key: string;
  state: 'proceeding' | 'completed';
  /** The final response, sent again for every retransmitted request until the ACK (then undefined: Confirmed). */
  response: Buffer | undefined;
  send: (buf: Buffer) => void;
  /** UDP resends the final response until the ACK comes (Timer G); TCP does not. */
  reliable: boolean;
  acked: boolean;
  expiresAt: number;
  /** Retransmission state (unreliable, after completion). */
  nextSendAt: number;
  interval: number;
  giveUpAt: number;
  /** While signing is in flight: answers the INVITE with 487 when a CANCEL arrives first. */
  onCancel?: () => void;
}

/** The method a key carries: an ACK belongs to its INVITE's transaction. */
const keyMethod = (method: string): string => (method === 'ACK' ? 'INVITE' : method);

/**
 * The RFC 3261 §17.2.3 server-transaction key read from a top Via hop: its branch and sent-by with the method, an
 * ACK matching its INVITE; undefined when the branch lacks the magic cookie (an RFC 2543 peer). The bench's SIP
 * floor keys its transactions with it too.
 */
export function viaTransactionKey(topVia: string, method: string): string | undefined {
  const branch = /;\s*branch\s*=\s*([^;\s,]+)/i.exec(topVia)?.[1];
  if (!branch?.startsWith('z9hG4bK')) return undefined;
  const sentBy = /^SIP\s*\/\s*2\.0\s*\/\s*\S+\s+([^;\s]+)/i.exec(topVia)?.[1] ?? '';
  return `${branch}\u0000${sentBy.toLowerCase()}\u0000${keyMethod(method)}`;
}

/**
 * The request's server-transaction key (RFC 3261 §17.2.3): `viaTransactionKey` of its top Via. Requests from RFC
 * 2543 peers (no magic cookie) are keyed by Call-ID, CSeq number, From tag and top Via instead.
 */
export function transactionKey(request: SipRequest, method = request.method): string {
  const top = topViaHop(request) ?? '';
  const key = viaTransactionKey(top, method);
  if (key !== undefined) return key;
  const cseq = header(request, 'cseq')!.split(/\s+/)[0];
  return `${header(request, 'call-id')}\u0000${cseq}\u0000${addressTag(header(request, 'from')!) ?? ''}\u0000${top}\u0000${keyMethod(method)}`;
}

/**
 * Server transactions of the redirect server, bounded in number and time: a retransmitted INVITE gets the
 * identical answer, the ACK stops resends, and nothing outlives Timer H. An ACKed INVITE transaction is
 * Confirmed and ends after Timer I (RFC 3261 §17.2.1: T4 over UDP, at once over TCP) instead of waiting out
 * Timer H: at thousands of calls a second, 32 s of ACKed calls would fill `maxEntries` and push out the
 * transactions still waiting for their ACK. When full, the oldest Confirmed ones go first, then the oldest
 * of the rest, a batch at a time (`makeRoom`), so a flood costs at most `maxEntries` entries of memory.
 */
export class TransactionTable {
  /** Not yet ACKed, in the order begun: each expires `ttlMs` after it began. */
  private readonly entries = new Map<string, ServerTransaction>();
  /** ACKed (Confirmed), in the order ACKed: each expires T4 after its ACK. */
  private readonly confirmed = new Map<string, ServerTransaction>();
  private readonly resends = new Map<number, ServerTransaction[]>();
  /** Where a full table makes room: Confirmed ones first, as they only absorb what still arrives. */
  private readonly oldestFirst = [this.confirmed, this.entries];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly opts: { ttlMs: number; maxEntries: number; now?: () => number },
  ) {
    this.timer = setInterval(() => this.sweep(), TICK_MS);
    this.timer.unref();
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  get size(): number {
    return this.entries.size + this.confirmed.size;
  }

  get(key: string): ServerTransaction | undefined {
    return this.entries.get(key) ?? this.confirmed.get(key);
  }

  begin(key: string, send: (buf: Buffer) => void, reliable: boolean): ServerTransaction {
    makeRoom(this.oldestFirst, this.opts.maxEntries);
    const now = this.now();
    const tx: ServerTransaction = { key, state: 'proceeding', response: undefined, send, reliable, acked: false, expiresAt: now + this.opts.ttlMs, nextSendAt: 0, interval: T1_MS, giveUpAt: 0 };
    this.entries.set(key, tx);
    return tx;
  }

  /** Records and sends the final response; over UDP, schedules its resends until ACK or Timer H. */
  complete(tx: ServerTransaction, response: Buffer, expectsAck: boolean): void {
    if (tx.state === 'completed') return;
    tx.state = 'completed';
    tx.response = response;
    tx.onCancel = undefined;
    tx.send(response);
    if (!tx.reliable && expectsAck) {
      const now = this.now();
      tx.giveUpAt = now + TIMER_H_MS;
      this.schedule(tx, now + T1_MS);
    }
  }

  /**
   * The ACK of a completed INVITE: no more resends, and the transaction ends after Timer I. Confirmed only
   * absorbs what still arrives, ACKs and INVITE retransmissions alike (RFC 3261 §17.2.1, figure 7: nothing is
   * sent from it), so the answer and the peer are let go here. Why it matters: at 6,500-7,500 calls/s, 5 s of
   * Confirmed answers kept alive (each a slice pinning an 8 KB Buffer pool slab) cost 10-46 µs of CPU per call
   * in interleaved pairs, in the SIP thread and V8's GC helpers (issue 17).
   */
  ack(key: string): boolean {
    const tx = this.get(key);
    if (!tx) return false;
    if (tx.acked || tx.state !== 'completed') return true;
    tx.acked = true;
    tx.response = undefined;
    tx.send = absorb;
    this.entries.delete(key);
    if (tx.reliable) return true;
    tx.expiresAt = this.now() + T4_MS;
    this.confirmed.set(key, tx);
    return true;
  }

  private schedule(tx: ServerTransaction, at: number): void {
    tx.nextSendAt = at;
    const slot = Math.ceil(at / TICK_MS);
    const list = this.resends.get(slot);
    if (list) list.push(tx);
    else this.resends.set(slot, [tx]);
  }

  /** Expires old transactions and resends unacknowledged final responses that are due. */
  sweep(now = this.now()): void {
    for (const table of [this.entries, this.confirmed]) {
      for (const [key, tx] of table) {
        if (tx.expiresAt > now) break;
        table.delete(key);
      }
    }
    const due = Math.floor(now / TICK_MS);
    for (const [slot, list] of this.resends) {
      if (slot > due) continue;
      this.resends.delete(slot);
      for (const tx of list) {
        // An ACKed transaction has left `entries` (Confirmed), so this also stops its resends.
        if (now >= tx.giveUpAt || this.entries.get(tx.key) !== tx) continue;
        tx.send(tx.response!);
        tx.interval = Math.min(tx.interval * 2, T2_MS);
        this.schedule(tx, now + tx.interval);
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.entries.clear();
    this.confirmed.clear();
    this.resends.clear();
  }
}
