import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { CallService } from '../core/call/call-service.js';
import { TurnBatch } from '../core/turn-batch.js';
import { TurnSlices } from '../core/turn-slices.js';
import { threadScript } from '../store/thread-script.js';
import { decideInProcess, type RedirectOptions } from './redirect-handler.js';
import type { SipServer, SipServerOptions } from './sip-server.js';
import { decodeCall, encodeAnswer, type FromSipThread, type SipThreadData, type ToSipThread, type WireAnswer, type WireCall } from './sip-thread-protocol.js';

const CLOSE_TIMEOUT_MS = 5_000;
const RESTART_DELAY_MS = 1_000;
/**
 * Calls started per turn of this thread's loop. The SIP thread hands over up to its window (256 calls) in one
 * message; started all at once, every answer waited for the last signature and the journal write after it,
 * the SIP thread sat idle meanwhile, and the two threads took turns instead of working together. Near the
 * limit that queued calls past sipp's timers: at 9,500 calls/s offered, interleaved three times, all at once
 * failed 3,891-13,286 calls (p50 40-252 ms); 32 per turn failed none (p50 12-40 ms) at 132-144 µs per call
 * against 149-173 (issue 17).
 */
const CALLS_PER_TURN = 32;

/**
 * The redirect server with its SIP work on a thread of its own (sip-thread.ts), the core staying on this one:
 * the main thread's share of a call shrinks to the core and two batched messages, and the receiving, parsing,
 * transaction matching (retransmissions, ACK), writing and sending of every SIP message runs on the second
 * core. A thread that ends unexpectedly is logged and started again on the same port.
 */
export async function startThreadedSipServer(calls: CallService, handler: RedirectOptions, opts: SipServerOptions, logger: Logger): Promise<SipServer> {
  const decide = decideInProcess(calls, handler, logger);
  const { onConnectionRefused, ...server } = opts;
  let closing = false;
  let worker: Worker;

  const start = (port: number): Promise<{ worker: Worker; port: number }> =>
    new Promise((resolve, reject) => {
      const w = new Worker(threadScript('sip/sip-thread.js'), { workerData: { handler, server: { ...server, port } } satisfies SipThreadData });
      let ready = false;
      const answers = new TurnBatch<WireAnswer>((batch) => w.postMessage({ type: 'answers', answers: batch } satisfies ToSipThread));
      const incoming = new TurnSlices<WireCall>(CALLS_PER_TURN, (wire) => void decide(decodeCall(wire)).then((parts) => answers.push(encodeAnswer(wire[0], parts))));
      w.on('message', (m: FromSipThread) => {
        switch (m.type) {
          case 'calls':
            return incoming.push(m.calls);
          case 'ready':
            ready = true;
            return resolve({ worker: w, port: m.port });
          case 'failed':
            return reject(new Error(m.message));
          case 'log':
            return logger[m.level](m.err === undefined ? {} : { err: m.err }, m.msg);
          case 'refused':
            return onConnectionRefused?.(m.reason);
          case 'closed':
            return;
        }
      });
      w.on('error', (err) => {
        if (!ready) reject(err);
        else logger.error({ err }, 'SIP thread failed');
      });
      w.once('exit', (code) => {
        if (!ready) return reject(new Error(`SIP thread exited with ${code} before it was listening`));
        if (closing) return;
        logger.error({ code }, 'SIP thread ended unexpectedly; starting it again');
        const restart = () =>
          start(port === 0 ? bound : port).then(
            (s) => (closing ? void s.worker.terminate() : void (worker = s.worker)),
            (err: unknown) => {
              logger.error({ err }, 'SIP thread could not start again');
              if (!closing) setTimeout(restart, RESTART_DELAY_MS).unref();
            },
          );
        setTimeout(restart, RESTART_DELAY_MS).unref();
      });
    });

  const first = await start(opts.port);
  worker = first.worker;
  const bound = first.port;
  return {
    port: bound,
    async close() {
      closing = true;
      const w = worker;
      // Between an unexpected end and its restart there is no thread to stop (an ended Worker has threadId -1).
      if (w.threadId === -1) return;
      const ended = new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        w.on('message', (m: FromSipThread) => m.type === 'closed' && resolve());
      });
      w.postMessage({ type: 'close' } satisfies ToSipThread);
      const timer = setTimeout(() => void w.terminate(), CLOSE_TIMEOUT_MS);
      await ended;
      clearTimeout(timer);
      await w.terminate();
    },
  };
}
