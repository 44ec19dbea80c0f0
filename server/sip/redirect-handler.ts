import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Call } from '../core/call/call.js';
import type { CallService } from '../core/call/call-service.js';
import { responseOf } from './call-response.js';
import { callOfInvite } from './invite-call.js';
import { parseMessage, SipParseError, splitCommaLists, type SipLimits, type SipRequest } from './message.js';
import { buildResponse, newTag, reasonHeader, type PeerAddress, type ResponseParts } from './response.js';
import { TIMER_H_MS, TransactionTable, transactionKey } from './transactions.js';

export interface SipPeer extends PeerAddress {
  /** UDP answers the datagram's source; TCP writes to the connection the request came on. */
  transport: 'udp' | 'tcp';
  send(buf: Buffer): void;
}

/**
 * The `sip.*` settings the handler acts on (see server/config/schema.ts for what each one means), and the
 * parser's limits. The settings that are call policy went to the call service (`sipCallPolicy`).
 */
export type RedirectOptions = Pick<Config['sip'], 'mode' | 'onSignFailure' | 'reasonProtocol' | 'maxPending' | 'maxTransactions'> & { limits: SipLimits };

const ALLOW = 'Allow: INVITE, ACK, CANCEL, OPTIONS';

/** The log lines the SIP transport writes (a pino Logger, or the SIP thread's hand-off to the main thread's). */
export type SipLog = Pick<Logger, 'error' | 'warn' | 'debug'>;

/** An INVITE's call, asked of the core and written as the answer's status and headers (never throws). */
export type CallDecider = (call: Call) => Promise<ResponseParts>;

/**
 * The core's answer to a call, in this thread: the call service once, its result written by `responseOf`. A
 * fault (anything the core throws: ShakenErrors come back as results) is logged here and answered with 500.
 */
export function decideInProcess(calls: CallService, opts: Pick<RedirectOptions, 'mode' | 'onSignFailure' | 'reasonProtocol'>, logger: SipLog): CallDecider {
  return async (call) => {
    try {
      return responseOf(await (opts.mode === 'sign' ? calls.signCall(call) : calls.verifyCall(call)), opts);
    } catch (e) {
      logger.error({ err: e }, 'SIP INVITE failed unexpectedly');
      return { code: 500, phrase: 'Server Internal Error' };
    }
  };
}

/**
 * The SIP redirect server's request handling (issue 5, issue 6): decode an INVITE into a core call, ask the
 * call service once, write its result as a 302 or an error status (`responseOf`). Transactions make
 * retransmissions cheap and identical; ACK, CANCEL and OPTIONS are answered the RFC 3261 way; everything else
 * gets 405.
 */
export class RedirectHandler {
  private readonly transactions: TransactionTable;
  private pending = 0;
  private readonly decide: CallDecider;

  /** `calls`: the core in this thread; `decide`: the core elsewhere (the main thread, for the SIP thread). */
  constructor(
    deps: { calls: CallService; logger: SipLog } | { decide: CallDecider },
    private readonly opts: RedirectOptions,
  ) {
    this.decide = 'decide' in deps ? deps.decide : decideInProcess(deps.calls, opts, deps.logger);
    this.transactions = new TransactionTable({ ttlMs: TIMER_H_MS, maxEntries: opts.maxTransactions });
  }

  get transactionCount(): number {
    return this.transactions.size;
  }

  close(): void {
    this.transactions.close();
  }

  /** One received message. Never throws: what cannot be answered is dropped. */
  onMessage(buf: Buffer, peer: SipPeer): void {
    let request: SipRequest;
    try {
      const message = parseMessage(buf, this.opts.limits);
      if (message.kind === 'response') return; // We send no requests, so no response is ours.
      request = message;
    } catch (e) {
      if (e instanceof SipParseError && e.partial && e.partial.method !== 'ACK') {
        peer.send(buildResponse(e.partial, peer, { code: 400, phrase: 'Bad Request', headers: [reasonHeader('SIP', 400, e.reason)] }, newTag()));
      }
      return;
    }
    switch (request.method) {
      case 'INVITE':
        return this.onInvite(request, peer);
      case 'ACK':
        this.transactions.ack(transactionKey(request));
        return;
      case 'CANCEL':
        return this.onCancel(request, peer);
      case 'OPTIONS':
        return this.answer(request, peer, { code: 200, phrase: 'OK', headers: [ALLOW, 'Accept: application/sdp'] });
      default:
        return this.answer(request, peer, { code: 405, phrase: 'Method Not Allowed', headers: [ALLOW] });
    }
  }

  /** A non-INVITE answer; its retransmissions are answered anew, which is cheap and gives the same result. */
  private answer(request: SipRequest, peer: SipPeer, parts: ResponseParts): void {
    peer.send(buildResponse(request, peer, parts, newTag()));
  }

  private onCancel(request: SipRequest, peer: SipPeer): void {
    const invite = this.transactions.get(transactionKey(request, 'INVITE'));
    if (!invite) return this.answer(request, peer, { code: 481, phrase: 'Call/Transaction Does Not Exist' });
    this.answer(request, peer, { code: 200, phrase: 'OK' });
    // RFC 3261 §9.2: an INVITE not yet answered ends with 487; one already answered is left as it is.
    invite.onCancel?.();
  }

  private onInvite(request: SipRequest, peer: SipPeer): void {
    const key = transactionKey(request);
    const existing = this.transactions.get(key);
    if (existing) {
      // A retransmission: the same final answer again (Completed), or nothing while the first copy is still being
      // worked on (Proceeding) or once it was ACKed (Confirmed absorbs it).
      if (existing.response) peer.send(existing.response);
      return;
    }
    const tx = this.transactions.begin(key, (b) => peer.send(b), peer.transport === 'tcp');
    const toTag = newTag();
    const finish = (parts: ResponseParts) => this.transactions.complete(tx, buildResponse(request, peer, parts, toTag), true);
    const unsupported = this.unsupportedExtensions(request);
    if (unsupported) return finish({ code: 420, phrase: 'Bad Extension', headers: [`Unsupported: ${unsupported}`] });
    if (this.pending >= this.opts.maxPending) return finish({ code: 503, phrase: 'Service Unavailable', headers: ['Retry-After: 1'] });
    this.pending++;
    let cancelled = false;
    tx.onCancel = () => {
      cancelled = true;
      finish({ code: 487, phrase: 'Request Terminated' });
    };
    void this.decide(callOfInvite(request, peer)).then((parts) => {
      this.pending--;
      if (!cancelled) finish(parts);
    });
  }

  /** RFC 3261 §8.2.2.3: option tags in Require we do not support (none: a redirect server needs none). */
  private unsupportedExtensions(request: SipRequest): string | undefined {
    const require = request.headers.get('require');
    if (require === undefined) return undefined;
    const tags = splitCommaLists(require);
    if (tags.length === 0) return undefined;
    // Echoed back, so only well-formed tokens are: anything else is replaced, never copied.
    return tags.map((t) => (/^[A-Za-z0-9\-.!%*_+`'~]{1,64}$/.test(t) ? t : 'invalid')).join(', ');
  }
}
