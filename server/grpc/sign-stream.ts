import { signReply } from '../core/sign-reply.js';
import { divReply } from '../core/div/div-reply.js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ShakenError } from '../core/errors.js';
import type { SigningService } from '../core/sign-service.js';
import { grpcStatus, signErrorMessage, type SignErrorMessage } from './errors.js';
import { refusal, type Caller, type InternalErrorLogger, type SignDivResponse, type SignResponse } from './sign-codec.js';
import { UndecodableMessage } from './undecodable.js';

/** A SignItem: `request` (shaken) or `div` (the proto's oneof `kind`; proto-loader hands over the member set). */
export interface SignItem {
  id?: string;
  request?: unknown;
  div?: unknown;
}

export interface SignStreamRequest {
  items?: SignItem[];
}

export interface SignItemResult {
  id: string;
  response?: SignResponse;
  divResponse?: SignDivResponse;
  error?: SignErrorMessage;
}

export interface SignStreamResponse {
  results: SignItemResult[];
}

/**
 * Items one stream may have in the core at once. Beyond it the stream stops reading, so HTTP/2 flow control
 * holds the client back instead of our memory growing; the key store's threads are saturated long before.
 */
const MAX_IN_FLIGHT = 1024;

/**
 * One SignStream call: every item goes to the core as it arrives, results go back as they complete. Results
 * completed in the same event-loop turn share one message: one protobuf frame and one HTTP/2 write instead of
 * one per item, which is where a stream beats unary calls.
 */
export class SignStreamSession {
  private inFlight = 0;
  private results: SignItemResult[] = [];
  private flushScheduled = false;
  private readPaused = false;
  private writeBlocked = false;
  private halfClosed = false;
  private draining = false;
  private finished = false;
  /** Set by a message that did not decode: the stream ends with its status once the items before it are answered. */
  private undecodable: ShakenError | undefined;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    private readonly call: ServerDuplexStream<SignStreamRequest, SignStreamResponse>,
    private readonly signing: SigningService,
    private readonly caller: Caller,
    private readonly logger: InternalErrorLogger,
    onFinished: () => void,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    void this.done.then(onFinished);
    call.on('data', (msg: SignStreamRequest | UndecodableMessage) => this.onMessage(msg));
    call.on('end', () => {
      this.halfClosed = true;
      this.maybeEnd();
    });
    call.on('drain', () => {
      this.writeBlocked = false;
      this.adjustReading();
    });
    // The peer went away (or the deadline passed): answers in flight have no one to go to.
    call.on('cancelled', () => this.finish());
    call.on('error', () => this.finish());
  }

  /** Stops taking items, answers those in flight, then ends the stream with OK; the client sends the rest elsewhere. */
  drain(): Promise<void> {
    this.draining = true;
    this.adjustReading();
    this.maybeEnd();
    return this.done;
  }

  private onMessage(msg: SignStreamRequest | UndecodableMessage): void {
    // Items that arrive after the drain began stay unanswered, which tells the client to send them again.
    if (this.draining || this.finished || this.undecodable) return;
    if (msg instanceof UndecodableMessage) {
      // Its items have no ids we could answer to, so the client learns it from the stream's status instead:
      // INVALID_ARGUMENT once the items of earlier messages are answered; nothing after it is read.
      this.undecodable = msg.error;
      this.adjustReading();
      this.maybeEnd();
      return;
    }
    for (const item of msg.items ?? []) this.start(item);
    this.adjustReading();
  }

  private start(item: SignItem): void {
    const id = item.id ?? '';
    this.inFlight++;
    const failed = (err: unknown) => this.complete({ id, error: signErrorMessage(refusal(err, this.logger)) });
    if (item.div !== undefined && item.div !== null) {
      // The same div path as unary SignDiv; x-attestation has no say over a div (it carries no attest).
      this.signing.handleDiv({ token: this.caller.token, transport: 'grpc', input: item.div }).then((r) => this.complete({ id, divResponse: divReply(r) }), failed);
      return;
    }
    // An absent message field is an empty message in proto3: the core then names the missing fields. The caller's
    // fields are written out, not a non-empty spread followed by properties it lacks (V8's slow case:
    // docs/architecture.md, "Nothing slow on the hot path").
    this.signing.handle({ token: this.caller.token, headerAttest: this.caller.headerAttest, transport: 'grpc', input: item.request ?? {} }).then((r) => this.complete({ id, response: signReply(r) }), failed);
  }

  private complete(result: SignItemResult): void {
    this.inFlight--;
    if (this.finished) return;
    this.results.push(result);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // setImmediate runs after the current I/O phase: every item whose signature and record finished in this turn is in.
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.finished || this.results.length === 0) return;
    const results = this.results;
    this.results = [];
    if (!this.call.write({ results })) this.writeBlocked = true;
    this.adjustReading();
    this.maybeEnd();
  }

  private adjustReading(): void {
    if (this.finished) return;
    const hold = this.draining || this.undecodable !== undefined || this.writeBlocked || this.inFlight >= MAX_IN_FLIGHT;
    if (hold && !this.readPaused) {
      this.call.pause();
      this.readPaused = true;
    } else if (!hold && this.readPaused) {
      this.call.resume();
      this.readPaused = false;
    }
  }

  private maybeEnd(): void {
    if (this.finished || (!this.halfClosed && !this.draining && !this.undecodable)) return;
    if (this.inFlight > 0 || this.results.length > 0) return;
    this.finish();
    // grpc-js ends a server stream with the status of an emitted error (its documented way to fail a stream).
    if (this.undecodable) this.call.emit('error', grpcStatus(this.undecodable));
    else this.call.end();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.results = [];
    this.resolveDone();
  }
}
