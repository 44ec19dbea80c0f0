import { createSocket } from 'node:dgram';

/** A loopback UDP port free right now (SIP peers here listen on UDP, which `freePort()` does not probe). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

/**
 * Sends one OPTIONS to `host:port` over UDP and resolves with the status line of the first answer, or
 * undefined when none comes within `timeoutMs`. Used to know that a SIP server is serving.
 */
export function sipOptionsPing(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const done = (v: string | undefined) => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.once('error', () => done(undefined));
    sock.on('message', (msg) => done(msg.toString('latin1').split('\r\n', 1)[0]));
    sock.bind(0, '127.0.0.1', () => {
      const local = sock.address();
      const branch = `z9hG4bK-ping-${process.pid}-${Date.now()}`;
      const msg = [
        `OPTIONS sip:${host}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local.port};branch=${branch}`,
        `From: <sip:ping@127.0.0.1:${local.port}>;tag=${branch}`,
        `To: <sip:${host}:${port}>`,
        `Call-ID: ${branch}@127.0.0.1`,
        'CSeq: 1 OPTIONS',
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(msg, port, host);
    });
  });
}
