import { parentPort, workerData } from 'node:worker_threads';
import type { Call } from '../core/call/call.js';
import { TurnBatch } from '../core/turn-batch.js';
import { RedirectHandler, type SipLog } from './redirect-handler.js';
import type { ResponseParts } from './response.js';
import { startSipServer, type SipServer } from './sip-server.js';
import { decodeAnswer, encodeCall, type FromSipThread, type SipThreadData, type ToSipThread, type WireCall } from './sip-thread-protocol.js';

/**
 * The SIP thread (`sip.thread: worker`): the listeners, parser, transaction table and answer writer of the
 * redirect server, on their own thread. Each INVITE's call goes to the main thread, which asks the one core
 * (so accounts, rate limits, the request log and metrics stay one) and sends back the answer's status and
 * headers; retransmissions, ACKs, CANCEL, OPTIONS and every byte on the wire stay here.
 */
const port = parentPort!;
const data = workerData as SipThreadData;
const send = (m: FromSipThread) => port.postMessage(m);

function errText(e: unknown): string | undefined {
  return e instanceof Error ? (e.stack ?? e.message) : e === undefined ? undefined : String(e);
}

/** The handler's and listeners' log lines, written by the main thread's logger. */
const log = (level: 'error' | 'warn' | 'debug') => (obj: unknown, msg?: string) =>
  send({ type: 'log', level, msg: msg ?? (typeof obj === 'string' ? obj : ''), err: errText((obj as { err?: unknown } | undefined)?.err) });
const logger: SipLog = { error: log('error'), warn: log('warn'), debug: log('debug') };

/**
 * Calls handed to the core and not yet answered, at most; later ones wait here, in order, and go as answers
 * come back (`sip.maxPending` still bounds both together, with 503). Handing the core thousands of calls at
 * once (a burst, an overload) measured far worse than feeding it a window: every call then waited for all
 * the others, and past the clients' timers each answer came too late to count.
 */
const MAX_IN_FLIGHT = 256;

// Calls handed over in one turn of this thread's loop go in one message; each waits for its answer by id.
let nextId = 0;
const waiting = new Map<number, (parts: ResponseParts) => void>();
const outbox = new TurnBatch<WireCall>((calls) => send({ type: 'calls', calls }));
// At most `sip.maxPending` long, so shift() stays cheap.
const held: WireCall[] = [];
function decide(call: Call): Promise<ResponseParts> {
  return new Promise((resolve) => {
    const id = nextId++;
    const inFlight = waiting.size - held.length;
    waiting.set(id, resolve);
    const wire = encodeCall(id, call);
    if (inFlight < MAX_IN_FLIGHT && held.length === 0) outbox.push(wire);
    else held.push(wire);
  });
}
function answered(id: number, parts: ResponseParts): void {
  const resolve = waiting.get(id);
  if (!resolve) return;
  waiting.delete(id);
  resolve(parts);
  const next = held.shift();
  if (next) outbox.push(next);
}

let server: SipServer | undefined;
port.on('message', (m: ToSipThread) => {
  if (m.type === 'answers') {
    for (const a of m.answers) answered(a[0], decodeAnswer(a));
  } else if (m.type === 'close') {
    void (server?.close() ?? Promise.resolve()).then(() => {
      send({ type: 'closed' });
      port.close();
    });
  }
});

const handler = new RedirectHandler({ decide }, data.handler);
startSipServer(handler, { ...data.server, onConnectionRefused: (reason) => send({ type: 'refused', reason }) }, logger).then(
  (s) => {
    server = s;
    send({ type: 'ready', port: s.port });
  },
  (e: unknown) => {
    send({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    port.close();
  },
);
