import { status, type Client, type ClientDuplexStream, type Metadata, type StatusObject } from '@grpc/grpc-js';
import { SignerError, fromItemError, fromStatus } from './errors.js';
import type { SignDivRequest, SignDivResponse, SignRequest, SignResponse } from './types.js';

/** A SignItem's oneof `kind`: a shaken request or a div request. */
type ItemKind = { request: SignRequest } | { div: SignDivRequest };

interface ItemResult {
  id?: string;
  response?: SignResponse;
  divResponse?: SignDivResponse;
  error?: { code?: string; field?: string; reason?: string; status?: number };
}

const CLOSE_WAIT_MS = 1000;

type StreamCall = ClientDuplexStream<{ items: ({ id: string } & ItemKind)[] }, { results?: ItemResult[] }>;

interface Pending {
  id: string;
  item: ItemKind;
  resolve(r: SignResponse | SignDivResponse): void;
  reject(e: SignerError): void;
  timer: NodeJS.Timeout;
  deadline: number;
  /** The stream it was written to; undefined while waiting to be written. */
  call: StreamCall | undefined;
  resent: boolean;
}

/**
 * `sign()` over one long-lived SignStream. Requests made in the same event-loop turn go out as one message
 * (one protobuf frame, one HTTP/2 write), and the server answers the same way, so the per-call cost of gRPC
 * is paid once per batch. Each request keeps its own deadline, enforced here.
 *
 * When the stream ends (server shutting down: OK; connection lost: UNAVAILABLE), requests without an answer
 * are sent once more on a new stream if their deadline allows. A duplicate is harmless: a signature changes
 * no state, and the first answer never reached us.
 */
export class StreamSigner {
  private call: StreamCall | undefined;
  private readonly pending = new Map<string, Pending>();
  private queue: Pending[] = [];
  private flushScheduled = false;
  private writeBlocked = false;
  private seq = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly client: Client,
    private readonly metadata: Metadata,
    private readonly maxBatch: number,
  ) {}

  sign(request: SignRequest, deadlineMs: number): Promise<SignResponse> {
    return this.submit({ request }, deadlineMs) as Promise<SignResponse>;
  }

  signDiv(request: SignDivRequest, deadlineMs: number): Promise<SignDivResponse> {
    return this.submit({ div: request }, deadlineMs) as Promise<SignDivResponse>;
  }

  private submit(item: ItemKind, deadlineMs: number): Promise<SignResponse | SignDivResponse> {
    return new Promise((resolve, reject) => {
      const id = (++this.seq).toString(36);
      const p: Pending = {
        id,
        item,
        resolve,
        reject,
        deadline: Date.now() + deadlineMs,
        timer: setTimeout(() => this.settle(p, new SignerError(status.DEADLINE_EXCEEDED, `no answer within ${deadlineMs} ms`)), deadlineMs),
        call: undefined,
        resent: false,
      };
      this.pending.set(id, p);
      this.enqueue(p);
    });
  }

  /** Resolves once every request made so far is settled; then ends the stream. */
  async close(): Promise<void> {
    if (this.pending.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    const call = this.call;
    this.call = undefined;
    if (!call) return;
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<void>((resolve) => {
      call.once('status', () => resolve());
      // A server that is gone never answers the half-close; do not hold the caller's close() for it.
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
    });
    call.end();
    await ended;
    clearTimeout(timer);
    call.cancel();
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.writeBlocked) return;
    this.flushScheduled = true;
    // After the current I/O phase: every sign() issued in reaction to the last batch of answers joins this write.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const call = this.call ?? this.open();
    while (this.queue.length > 0 && !this.writeBlocked) {
      const items: ({ id: string } & ItemKind)[] = [];
      const chunk = this.queue.splice(0, this.maxBatch);
      for (const p of chunk) {
        // Settled meanwhile (its deadline passed): not sent at all.
        if (this.pending.get(p.id) !== p) continue;
        p.call = call;
        items.push({ id: p.id, ...p.item });
      }
      if (items.length > 0 && !call.write({ items })) this.writeBlocked = true;
    }
  }

  private open(): StreamCall {
    // The metadata asks for waitForReady: while the server restarts, the stream waits for the reconnect.
    const call = (this.client as unknown as { SignStream(m: Metadata): StreamCall }).SignStream(this.metadata.clone());
    this.call = call;
    call.on('data', (msg: { results?: ItemResult[] }) => {
      for (const r of msg.results ?? []) {
        const p = this.pending.get(r.id ?? '');
        if (!p) continue;
        if (r.response) this.settle(p, r.response);
        else if (r.divResponse) this.settle(p, r.divResponse);
        else this.settle(p, fromItemError(r.error ?? {}));
      }
    });
    call.on('drain', () => {
      this.writeBlocked = false;
      this.scheduleFlush();
    });
    // The end is handled once both have come: 'end' after the last buffered answer, 'status' with the outcome.
    let ended = false;
    let outcome: StatusObject | undefined;
    const finish = () => {
      if (ended && outcome) this.onStreamEnded(call, outcome);
    };
    call.on('end', () => {
      ended = true;
      finish();
    });
    call.on('status', (s: StatusObject) => {
      outcome = s;
      finish();
    });
    // Reported through 'status'; without a listener an 'error' event would be thrown.
    call.on('error', () => undefined);
    return call;
  }

  private onStreamEnded(call: StreamCall, outcome: StatusObject): void {
    if (this.call === call) {
      this.call = undefined;
      this.writeBlocked = false;
    }
    const resend = outcome.code === status.OK || outcome.code === status.UNAVAILABLE;
    const now = Date.now();
    for (const p of this.pending.values()) {
      if (p.call !== call) continue;
      if (resend && !p.resent && p.deadline > now) {
        p.resent = true;
        p.call = undefined;
        this.queue.push(p);
      } else {
        this.settle(p, outcome.code === status.OK ? new SignerError(status.UNAVAILABLE, 'the server ended the stream before answering') : fromStatus(outcome));
      }
    }
    if (this.queue.length > 0) this.scheduleFlush();
  }

  private settle(p: Pending, outcome: SignResponse | SignDivResponse | SignerError): void {
    if (this.pending.get(p.id) !== p) return;
    this.pending.delete(p.id);
    clearTimeout(p.timer);
    if (outcome instanceof SignerError) p.reject(outcome);
    else p.resolve(outcome);
    if (this.pending.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
