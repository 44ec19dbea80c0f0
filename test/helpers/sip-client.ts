import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';

export interface InviteOptions {
  method?: string;
  uri?: string;
  from?: string;
  to?: string;
  pai?: string;
  callId?: string;
  branch?: string;
  cseq?: number;
  /** `host:port` of the Via sent-by. */
  via?: string;
  transport?: 'UDP' | 'TCP';
  extra?: string[];
  body?: string;
}

/** A plain SIP request as a UAC would send it. */
export function sipRequest(o: InviteOptions = {}): string {
  const method = o.method ?? 'INVITE';
  const body = o.body ?? '';
  const lines = [
    `${method} ${o.uri ?? 'sip:18005551234@127.0.0.1'} SIP/2.0`,
    `Via: SIP/2.0/${o.transport ?? 'UDP'} ${o.via ?? '127.0.0.1:5999'};branch=${o.branch ?? `z9hG4bK-${randomUUID()}`}`,
    `From: ${o.from ?? '<sip:14045266060@pbx.example.net>;tag=caller1'}`,
    `To: ${o.to ?? '<sip:18005551234@carrier.example.net>'}`,
    `Call-ID: ${o.callId ?? randomUUID()}`,
    `CSeq: ${o.cseq ?? 1} ${method === 'ACK' || method === 'CANCEL' ? method : method}`,
    'Max-Forwards: 70',
    ...(o.pai ? [`P-Asserted-Identity: ${o.pai}`] : []),
    ...(o.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

export interface SipReply {
  raw: string;
  status: number;
  phrase: string;
  headers: Map<string, string[]>;
}

export function parseReply(raw: string): SipReply {
  const [head] = raw.split('\r\n\r\n');
  const lines = head!.split('\r\n');
  const m = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(lines[0]!);
  if (!m) throw new Error(`not a SIP response: ${lines[0]}`);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(i + 1).trim()]);
  }
  return { raw, status: Number(m[1]), phrase: m[2]!, headers };
}

/** A UDP endpoint on a loopback address that collects whatever comes back. */
export class UdpPeer {
  readonly received: SipReply[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (msg) => {
      this.received.push(parseReply(msg.toString('latin1')));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(address = '127.0.0.1'): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, address, resolve));
    return new UdpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(port: number, message: string | Buffer): void {
    this.socket.send(typeof message === 'string' ? Buffer.from(message, 'latin1') : message, port, '127.0.0.1');
  }

  /** Waits until `count` replies have arrived in all (or throws after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 3000): Promise<SipReply[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} SIP replies, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.received.slice(0, count);
  }

  /**
   * Sends and waits for the next reply to this request (same Call-ID): a final response to an INVITE that was
   * never ACKed keeps being resent over UDP, so "the next datagram" may belong to an earlier call.
   */
  async request(port: number, message: string | Buffer, timeoutMs = 3000): Promise<SipReply> {
    const text = typeof message === 'string' ? message : message.toString('latin1');
    const callId = /\r\nCall-ID:\s*([^\r]*)\r\n/i.exec(text)?.[1];
    let seen = this.received.length;
    this.send(port, message);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.waitFor(seen + 1, Math.max(1, deadline - Date.now()));
      const reply = this.received[seen++]!;
      if (callId === undefined || reply.headers.get('call-id')?.[0] === callId) return reply;
    }
  }

  /** Lets `ms` pass and returns what arrived meanwhile. */
  async quiet(ms: number): Promise<SipReply[]> {
    const n = this.received.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.received.slice(n);
  }

  close(): void {
    this.socket.close();
  }
}

/** Writes `chunks` to a TCP connection (with a pause between them) and collects `expect` replies. */
export async function tcpExchange(port: number, chunks: (string | Buffer)[], expect: number, timeoutMs = 3000): Promise<{ replies: SipReply[]; closed: boolean }> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let data = '';
  let closed = false;
  socket.on('data', (d) => (data += d.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  for (const c of chunks) {
    socket.write(c);
    await new Promise((r) => setTimeout(r, 20));
  }
  const deadline = Date.now() + timeoutMs;
  const complete = () => data.split('SIP/2.0 ').length - 1 >= expect && data.endsWith('\r\n\r\n');
  while (!complete() && !closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  if (expect === 0) await new Promise((r) => setTimeout(r, 200));
  socket.destroy();
  const replies = data
    .split(/(?=SIP\/2\.0 \d{3} )/)
    .filter((s) => s.startsWith('SIP/2.0'))
    .map(parseReply);
  return { replies, closed };
}
