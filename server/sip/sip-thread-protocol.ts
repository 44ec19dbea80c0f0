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

/** SIP thread → main thread. Calls travel in batches: one message per turn of the thread's event loop. */
export type FromSipThread =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'calls'; calls: { id: number; call: Call }[] }
  | { type: 'log'; level: 'error' | 'warn' | 'debug'; msg: string; err: string | undefined }
  | { type: 'refused'; reason: RefusedReason }
  | { type: 'closed' };

/** Main thread → SIP thread: the answers, batched the same way, and the order to stop. */
export type ToSipThread = { type: 'answers'; answers: { id: number; parts: ResponseParts }[] } | { type: 'close' };
