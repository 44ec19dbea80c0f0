import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { isShakenError, type ErrorCode } from '../core/errors.js';
import type { RoutingService } from '../core/routing-service.js';
import type { Route } from '../core/routing.js';
import type { SourceResolver } from '../core/source-caller.js';
import type { Verifier } from '../core/verify/verify-service.js';
import { SIP_REASON_PHRASE, type VerifyResult } from '../core/verify/verify-result.js';
import { canonicalNumber, partyOf } from './address.js';
import { SIP_STATUS, type SipStatus } from './errors.js';
import { header, parseMessage, SipParseError, type SipLimits, type SipRequest } from './message.js';
import { buildResponse, newTag, reasonHeader, type PeerAddress, type ResponseParts } from './response.js';
import { TransactionTable, transactionKey } from './transactions.js';

export interface SipPeer extends PeerAddress {
  /** UDP answers the datagram's source; TCP writes to the connection the request came on. */
  transport: 'udp' | 'tcp';
  send(buf: Buffer): void;
}

/**
 * The `sip.*` settings the handler acts on (see server/config/schema.ts for what each one means), and the
 * parser's limits.
 */
export type RedirectOptions = Pick<
  Config['sip'],
  'mode' | 'onSignFailure' | 'maxDateSkewSec' | 'onVerifyFailure' | 'reasonProtocol' | 'requireIdentity' | 'maxPending' | 'maxTransactions'
> & { limits: SipLimits };

const ALLOW = 'Allow: INVITE, ACK, CANCEL, OPTIONS';
const FIXED: Record<'603' | '404', SipStatus> = { '603': { code: 603, phrase: 'Decline' }, '404': { code: 404, phrase: 'Not Found' } };

/** `<uri>;q=…` for each route, best first (RFC 3261 §20.10: q orders the alternatives of a 3xx). */
function contactHeader(routes: readonly Route[]): string | undefined {
  if (routes.length === 0) return undefined;
  if (routes.length === 1) return `Contact: <${routes[0]!.uri}>`;
  return `Contact: ${routes.map((r, i) => `<${r.uri}>;q=${Math.max(0.1, 1 - i * 0.1).toFixed(1)}`).join(', ')}`;
}

/** The Date header in seconds, undefined when absent, NaN when unreadable. */
function dateSeconds(request: SipRequest): number | undefined {
  const value = header(request, 'date');
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : NaN;
}

/**
 * The SIP redirect server's request handling (issue 5, issue 6): decode an INVITE into a core call, call the
 * core, encode the answer as a 302 or an error status. Transactions make retransmissions cheap and
 * identical; ACK, CANCEL and OPTIONS are answered the RFC 3261 way; everything else gets 405.
 */
export class RedirectHandler {
  private readonly transactions: TransactionTable;
  private pending = 0;

  constructor(
    private readonly deps: { routing: RoutingService; sources: SourceResolver; verifier: Verifier; logger: Logger },
    private readonly opts: RedirectOptions,
  ) {
    this.transactions = new TransactionTable({ ttlMs: 32_000, maxEntries: opts.maxTransactions });
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
      // A retransmission: the same final answer again, or nothing while the first copy is still being worked on.
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
    const work = this.opts.mode === 'sign' ? this.signed(request, peer) : this.verified(request, peer);
    work
      .catch((e: unknown) => {
        this.deps.logger.error({ err: e }, 'SIP INVITE failed unexpectedly');
        return { code: 500, phrase: 'Server Internal Error' } satisfies ResponseParts;
      })
      .then((parts) => {
        this.pending--;
        if (!cancelled) finish(parts);
      });
  }

  /** RFC 3261 §8.2.2.3: option tags in Require we do not support (none: a redirect server needs none). */
  private unsupportedExtensions(request: SipRequest): string | undefined {
    const tags = (request.headers.get('require') ?? []).flatMap((v) => v.split(',')).map((t) => t.trim()).filter((t) => t !== '');
    if (tags.length === 0) return undefined;
    // Echoed back, so only well-formed tokens are: anything else is replaced, never copied.
    return tags.map((t) => (/^[A-Za-z0-9\-.!%*_+`'~]{1,64}$/.test(t) ? t : 'invalid')).join(', ');
  }

  private requestUri(request: SipRequest): string | undefined {
    return /^sips?:/i.test(request.uri) ? request.uri : undefined;
  }

  private async signed(request: SipRequest, peer: SipPeer): Promise<ResponseParts> {
    const orig = partyOf(header(request, 'p-asserted-identity') ?? header(request, 'from'));
    const to = partyOf(header(request, 'to'));
    const dest = to && 'tn' in to ? to : (partyOf(`<${request.uri}>`) ?? to);
    const input: Record<string, unknown> = {
      orig,
      dest: dest === undefined ? undefined : 'tn' in dest ? { tn: [dest.tn] } : { uri: [dest.uri] },
    };
    const date = dateSeconds(request);
    if (date !== undefined) input.iat = Number.isNaN(date) ? 'unreadable Date header' : date;
    const attest = header(request, 'x-attestation');
    const requestUri = this.requestUri(request);
    try {
      const r = await this.deps.routing.route({
        token: undefined,
        sourceAddress: peer.address,
        transport: 'sip',
        input,
        headerAttest: attest,
        iatWindowSec: this.opts.maxDateSkewSec,
        requestUri,
      });
      const contact = contactHeader(r.routes);
      if (!contact) return this.unsigned('ERR_URI_INVALID', undefined);
      return { code: 302, phrase: 'Moved Temporarily', headers: [contact, `Identity: ${r.signed.identity}`] };
    } catch (e) {
      if (!isShakenError(e)) throw e;
      const accountId = e.code.startsWith('ERR_AUTH_') ? undefined : await this.accountOf(peer);
      const routes = accountId === undefined || this.opts.onSignFailure !== 'redirect' ? [] : await this.routesFor(accountId, dest, requestUri);
      return this.unsigned(e.code, contactHeader(routes));
    }
  }

  /** A call that could not be signed: never silence (STANDARDS.md), the configured answer. */
  private unsigned(code: ErrorCode, contact: string | undefined): ResponseParts {
    const status = SIP_STATUS[code];
    const reason = reasonHeader('SIP', status.code, code);
    if (this.opts.onSignFailure === 'redirect' && contact) return { code: 302, phrase: 'Moved Temporarily', headers: [contact, reason] };
    const fixed = this.opts.onSignFailure === '603' || this.opts.onSignFailure === '404' ? FIXED[this.opts.onSignFailure] : status;
    return { code: fixed.code, phrase: fixed.phrase, headers: [reason] };
  }

  /** The account the peer's address belongs to, or undefined (the core refuses it with ERR_AUTH_INVALID). */
  private async accountOf(peer: SipPeer): Promise<string | undefined> {
    try {
      return (await this.deps.sources.resolve(peer.address, 'sip')).accountId;
    } catch (e) {
      if (isShakenError(e) && e.code.startsWith('ERR_AUTH_')) return undefined;
      throw e;
    }
  }

  private async routesFor(accountId: string, dest: { tn: string } | { uri: string } | undefined, requestUri: string | undefined): Promise<Route[]> {
    const destTn = canonicalNumber(dest && 'tn' in dest ? dest.tn : undefined);
    return (await this.deps.routing.routesFor(accountId, destTn, requestUri)).routes;
  }

  private async verified(request: SipRequest, peer: SipPeer): Promise<ResponseParts> {
    const identities = request.headers.get('identity');
    const calling = header(request, 'p-asserted-identity') ?? header(request, 'from');
    const requestUri = this.requestUri(request);
    if (!identities && this.opts.requireIdentity) {
      return { code: 428, phrase: 'Use Identity Header', headers: [reasonHeader(this.opts.reasonProtocol, 428, 'Use Identity Header')] };
    }
    let result: VerifyResult | undefined;
    let accountId: string | undefined;
    try {
      accountId = await this.accountOf(peer);
      if (accountId === undefined) return this.unsigned('ERR_AUTH_INVALID', undefined);
      if (identities) {
        const input: Record<string, unknown> = { identity: identities, from: calling ?? '', to: header(request, 'to') };
        const date = dateSeconds(request);
        if (date !== undefined && !Number.isNaN(date)) input.time = date;
        result = await this.deps.verifier.handle({ token: undefined, sourceAddress: peer.address, transport: 'sip', input });
      }
    } catch (e) {
      if (!isShakenError(e)) throw e;
      if (e.code.startsWith('ERR_AUTH_')) return this.unsigned(e.code, undefined);
      // A caller or callee that is not a number cannot be validated: No-TN-Validation, reported as 438.
      result = undefined;
    }
    const verstat = result?.verstat ?? 'No-TN-Validation';
    const headers: string[] = [];
    const tn = canonicalNumber(calling);
    // ATIS-1000074 §5.3.1: verstat on the calling number; built from the canonical number, never copied text.
    if (tn !== undefined) headers.push(`P-Asserted-Identity: <tel:+${tn};verstat=${verstat}>`);
    const failure = result && !result.ok ? { code: result.sip, phrase: SIP_REASON_PHRASE[result.sip] } : identities && !result ? { code: 438, phrase: SIP_REASON_PHRASE[438] } : undefined;
    if (failure) {
      headers.push(reasonHeader(this.opts.reasonProtocol, failure.code, failure.phrase));
      if (this.opts.onVerifyFailure === 'reject') return { code: failure.code, phrase: failure.phrase, headers };
    }
    const contact = contactHeader((await this.deps.routing.routesFor(accountId, canonicalNumber(header(request, 'to')), requestUri)).routes);
    if (!contact) return { code: 404, phrase: 'Not Found', headers };
    return { code: 302, phrase: 'Moved Temporarily', headers: [contact, ...headers] };
  }
}
