import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { ConnectionGuard, type RefusedReason } from '../net/connection-guard.js';
import { headEnd } from './message.js';
import type { RedirectHandler, SipLog, SipPeer } from './redirect-handler.js';

export interface SipServerOptions {
  host: string;
  /** Same number for UDP and TCP; 0 picks one free on both. */
  port: number;
  maxMessageBytes: number;
  /** Open TCP connections at most; 0 = no cap. */
  maxConnections: number;
  /** Open TCP connections from one source address (IPv6: one /64) at most; 0 = no cap. */
  maxConnectionsPerSource: number;
  /** A TCP connection with nothing received for this long is closed. */
  idleTimeoutMs: number;
  /** A TCP connection's first message must be complete this long after it opens, each later one this long after its first byte; 0 = no limit. */
  messageTimeoutMs: number;
  /** Told of each TCP connection reset by a cap (the metrics count them). */
  onConnectionRefused?: (reason: RefusedReason) => void;
}

export interface SipServer {
  port: number;
  close(): Promise<void>;
}

/** A peer that does not read its answers gets no more than this queued before the connection is dropped. */
const MAX_QUEUED_WRITE_BYTES = 1 << 20;

/**
 * dgram resolves every destination, even an address literal, through `dns.lookup`, which answers a literal on
 * the next tick: one extra tick and closure per answer. Ours always sends to the datagram's source address (a
 * literal), so it is answered at once; a name (never ours) still goes to the resolver.
 */
function literalLookup(hostname: string, options: LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options, callback);
}

function bindUdp(host: string, port: number, onMessage: (msg: Buffer, address: string, port: number) => void): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, lookup: literalLookup });
    const onBindError = (e: Error) => reject(new Error(`SIP cannot listen on UDP ${host}:${port}: ${e.message} (set sip.port, or sip.enabled=false)`, { cause: e }));
    socket.once('error', onBindError);
    socket.on('message', (msg, rinfo) => onMessage(msg, rinfo.address, rinfo.port));
    // `exclusive`: under node:cluster every worker would otherwise share one socket, and a retransmitted
    // INVITE could reach a worker that has not seen the first copy.
    socket.bind({ port, address: host, exclusive: true }, () => {
      socket.off('error', onBindError);
      resolve(socket);
    });
  });
}

function listenTcp(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Cuts a TCP byte stream into SIP messages by Content-Length (RFC 3261 §18.3). Anything that cannot become a
 * message within the size limit closes the connection: there is no way to resynchronise a broken stream.
 */
function tcpConnection(socket: Socket, handler: RedirectHandler, opts: SipServerOptions): void {
  let buffered = Buffer.alloc(0);
  const peer: SipPeer = {
    address: socket.remoteAddress ?? '',
    port: socket.remotePort ?? 0,
    transport: 'tcp',
    send(buf) {
      if (socket.destroyed) return;
      if (socket.writableLength > MAX_QUEUED_WRITE_BYTES) socket.destroy();
      else socket.write(buf);
    },
  };
  // The idle timeout restarts with every byte, so a peer trickling a message would never meet it: a message
  // (the first one counted from the connect) has its own deadline from its first byte until it is complete.
  let messageTimer: NodeJS.Timeout | undefined;
  const awaitMessage = () => {
    if (opts.messageTimeoutMs > 0) messageTimer ??= setTimeout(() => socket.destroy(), opts.messageTimeoutMs);
  };
  const messageDone = () => {
    clearTimeout(messageTimer);
    messageTimer = undefined;
  };
  awaitMessage();
  socket.setNoDelay(true);
  socket.setTimeout(opts.idleTimeoutMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('close', messageDone);
  socket.on('data', (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      let start = 0;
      while (buffered[start] === 0x0d && buffered[start + 1] === 0x0a) start += 2;
      if (start > 0) buffered = buffered.subarray(start);
      const end = headEnd(buffered);
      if (end < 0) {
        if (buffered.length > opts.maxMessageBytes) socket.destroy();
        else if (buffered.length > 0) awaitMessage();
        return;
      }
      const length = /^(?:content-length|l)[ \t]*:[ \t]*(\d{1,9})[ \t]*$/im.exec(buffered.toString('latin1', 0, end));
      const total = end + 4 + (length ? Number(length[1]) : 0);
      if (total > opts.maxMessageBytes) {
        socket.destroy();
        return;
      }
      if (buffered.length < total) {
        awaitMessage();
        return;
      }
      const message = buffered.subarray(0, total);
      buffered = buffered.subarray(total);
      messageDone();
      handler.onMessage(message, peer);
    }
  });
}

/** The redirect server's listeners: UDP and TCP on one port (RFC 3261 §18: a server MUST do both). */
export async function startSipServer(handler: RedirectHandler, opts: SipServerOptions, logger: SipLog): Promise<SipServer> {
  let udp: UdpSocket | undefined;
  const open = new Set<Socket>();
  // One peer holding connections up to its own cap still leaves the rest of `maxConnections` to the others.
  const guard = new ConnectionGuard({ maxConnections: opts.maxConnections, maxPerSource: opts.maxConnectionsPerSource }, opts.onConnectionRefused);
  const tcp = createServer((socket) => {
    if (!guard.admit(socket)) return;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    tcpConnection(socket, handler, opts);
  });
  // Port 0: the free UDP port may be taken for TCP; a few tries find one free on both.
  for (let attempt = 0; ; attempt++) {
    udp = await bindUdp(opts.host, opts.port, (msg, address, port) =>
      handler.onMessage(msg, {
        address,
        port,
        transport: 'udp',
        // No callback: dgram then tries the send at once (uv_udp_try_send) instead of queueing a request and
        // completing it on a later tick; a failure (full socket buffer) loses the datagram either way, and the
        // UDP client retransmits (RFC 3261 §17.1.1.2).
        send: (buf) => udp!.send(buf, port, address),
      }),
    );
    const port = udp.address().port;
    try {
      await listenTcp(tcp, opts.host, port);
      break;
    } catch (e) {
      await new Promise<void>((resolve) => udp!.close(() => resolve()));
      if (opts.port !== 0 || attempt >= 5) throw new Error(`SIP cannot listen on TCP ${opts.host}:${port}: ${(e as Error).message} (set sip.port, or sip.enabled=false)`, { cause: e });
    }
  }
  const port = udp.address().port;
  // After start, a socket fault is logged: an unhandled 'error' event would end the process.
  udp.on('error', (err) => logger.warn({ err }, 'SIP UDP socket error'));
  tcp.on('error', (err) => logger.warn({ err }, 'SIP TCP listener error'));
  return {
    port,
    async close() {
      await Promise.all([
        new Promise<void>((resolve) => udp!.close(() => resolve())),
        new Promise<void>((resolve) => {
          tcp.close(() => resolve());
          // Idle SIP connections never end by themselves.
          for (const s of open) s.destroy();
        }),
      ]);
      handler.close();
    },
  };
}
