import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LogRowFilter } from '../store/dashboard-store.js';
import type { Store } from '../store/store.js';
import { logRowView } from './views.js';

export const TAIL_POLL_MS = 500;
export const TAIL_HEARTBEAT_MS = 15_000;
const TAIL_BATCH = 500;

export interface LiveTailOptions {
  store: Store;
  filter: Omit<LogRowFilter, 'afterId' | 'beforeId' | 'limit'>;
  /** Checked at every heartbeat: a session that ended (logout, expiry) closes its stream. */
  stillAllowed: () => Promise<boolean>;
  pollMs?: number;
  heartbeatMs?: number;
}

/** Open streams, so that shutdown can end them (an open SSE response would hold the server's close). */
export class LiveTails {
  private readonly open = new Set<() => void>();

  closeAll(): void {
    for (const end of [...this.open]) end();
  }

  /**
   * Server-sent events of new request-log rows. It polls the store for rows with an id above the last one
   * sent, so rows written by any worker or node arrive; a reconnecting browser's Last-Event-ID resumes where
   * it left off. `: ping` comments keep proxies from timing the stream out.
   */
  async stream(request: FastifyRequest, reply: FastifyReply, o: LiveTailOptions): Promise<void> {
    const resumeFrom = Number(request.headers['last-event-id']);
    let last = Number.isSafeInteger(resumeFrom) && resumeFrom >= 0 ? resumeFrom : await o.store.dashboard.lastLogId();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write(': connected\n\n');
    let ended = false;
    let polling = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(poller);
      clearInterval(heartbeat);
      this.open.delete(end);
      res.end();
    };
    const poll = async () => {
      if (polling || ended) return;
      polling = true;
      try {
        for (;;) {
          const rows = await o.store.dashboard.logRows({ ...o.filter, afterId: last, limit: TAIL_BATCH });
          for (const r of rows) {
            if (ended) return;
            res.write(`id: ${r.id}\nevent: log\ndata: ${JSON.stringify(logRowView(r))}\n\n`);
            last = r.id;
          }
          if (rows.length < TAIL_BATCH) break;
        }
      } catch (err) {
        // The store is away for a moment: the next poll tries again from the same id.
        request.log.debug({ err }, 'live tail poll failed');
      } finally {
        polling = false;
      }
    };
    const poller = setInterval(() => void poll(), o.pollMs ?? TAIL_POLL_MS);
    const heartbeat = setInterval(() => {
      void o.stillAllowed().then(
        (ok) => (ok ? !ended && res.write(': ping\n\n') : end()),
        () => undefined,
      );
    }, o.heartbeatMs ?? TAIL_HEARTBEAT_MS);
    this.open.add(end);
    // The response closes when the browser goes away (or the socket dies): stop polling then.
    res.on('close', end);
    res.on('error', end);
  }
}
