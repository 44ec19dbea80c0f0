import type { RefusedReason } from '../net/connection-guard.js';
import type { Call } from '../core/call/call.js';
import type { RedirectOptions } from './redirect-handler.js';
import type { ResponseParts } from './response.js';
import type { SipServerOptions } from './sip-server.js';

/** What the SIP thread is started with: the handler's and the listeners' settings (plain data). */
export interface SipThreadData {
  handler: RedirectOptions;
  server: Omit<SipServerOptions, 'onConnectionRefused'>;
}

/**
 * One INVITE's call as it crosses to the main thread: its id, then the call's fields by position. Why positions:
 * the structured clone of an object writes every property name and reads each back (an internalised string lookup
 * per name), 17 names per call. Serialized and deserialized in-process, the calls of a 60-call batch cost 0.9-1.1 µs
 * each as arrays against 2.6-3.0 as objects (issue 17). `decodeCall` names every field of `Call`, so a field added
 * there fails to compile here until it crosses too.
 */
export type WireCall = [
  id: number,
  token: Call['token'],
  sourceAddress: Call['sourceAddress'],
  transport: Call['transport'],
  from: Call['from'],
  pai: Call['pai'],
  to: Call['to'],
  requestUri: Call['requestUri'],
  date: Call['date'],
  identities: Call['identities'],
  attest: Call['attest'],
  attestationInfo: Call['attestationInfo'],
  origid: Call['origid'],
  historyInfo: Call['historyInfo'],
  diversion: Call['diversion'],
  resourcePriority: Call['resourcePriority'],
  priority: Call['priority'],
  callInfo: Call['callInfo'],
];

export function encodeCall(id: number, c: Call): WireCall {
  return [id, c.token, c.sourceAddress, c.transport, c.from, c.pai, c.to, c.requestUri, c.date, c.identities, c.attest, c.attestationInfo, c.origid, c.historyInfo, c.diversion, c.resourcePriority, c.priority, c.callInfo];
}

/** The call of a `WireCall` (its id is `w[0]`): every field present, in one shape, undefined where the INVITE had none. */
export function decodeCall(w: WireCall): Call {
  // Every key of Call, required (a missing one does not compile), each with its own type, undefined included.
  const call: { [K in keyof Required<Call>]: Call[K] } = {
    token: w[1],
    sourceAddress: w[2],
    transport: w[3],
    from: w[4],
    pai: w[5],
    to: w[6],
    requestUri: w[7],
    date: w[8],
    identities: w[9],
    attest: w[10],
    attestationInfo: w[11],
    origid: w[12],
    historyInfo: w[13],
    diversion: w[14],
    resourcePriority: w[15],
    priority: w[16],
    callInfo: w[17],
  };
  return call as Call;
}

/** One answer as it crosses back: the call's id, then the answer's parts by position (the same reason as `WireCall`). */
export type WireAnswer = [id: number, code: ResponseParts['code'], phrase: ResponseParts['phrase'], headers: ResponseParts['headers']];

export function encodeAnswer(id: number, parts: ResponseParts): WireAnswer {
  return [id, parts.code, parts.phrase, parts.headers];
}

export function decodeAnswer(w: WireAnswer): ResponseParts {
  return { code: w[1], phrase: w[2], headers: w[3] };
}

/** SIP thread → main thread. Calls travel in batches: one message per turn of the thread's event loop. */
export type FromSipThread =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'calls'; calls: WireCall[] }
  | { type: 'log'; level: 'error' | 'warn' | 'debug'; msg: string; err: string | undefined }
  | { type: 'refused'; reason: RefusedReason }
  | { type: 'closed' };

/** Main thread → SIP thread: the answers, batched the same way, and the order to stop. */
export type ToSipThread = { type: 'answers'; answers: WireAnswer[] } | { type: 'close' };
