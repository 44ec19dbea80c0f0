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
 * Sends the request `build` writes (given the local port and a fresh branch) to `host:port` over UDP and
 * resolves with the first final answer (provisional ones are skipped), or undefined when none comes within
 * `timeoutMs`.
 */
function sipRequestOnce(host: string, port: number, timeoutMs: number, build: (localPort: number, branch: string) => string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const done = (v: string | undefined) => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.once('error', () => done(undefined));
    sock.on('message', (msg) => {
      const text = msg.toString('latin1');
      if (!/^SIP\/2\.0 1\d\d /.test(text)) done(text);
    });
    sock.bind(0, '127.0.0.1', () => {
      const local = sock.address();
      sock.send(build(local.port, `z9hG4bK-ping-${process.pid}-${Date.now()}`), port, host);
    });
  });
}

/**
 * Sends one OPTIONS to `host:port` over UDP and resolves with the status line of the first answer, or
 * undefined when none comes within `timeoutMs`. Used to know that a SIP server is serving.
 */
export async function sipOptionsPing(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  const answer = await sipRequestOnce(host, port, timeoutMs, (localPort, branch) => [
    `OPTIONS sip:${host}:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=${branch}`,
    `From: <sip:ping@127.0.0.1:${localPort}>;tag=${branch}`,
    `To: <sip:${host}:${port}>`,
    `Call-ID: ${branch}@127.0.0.1`,
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'));
  return answer?.split('\r\n', 1)[0];
}

/**
 * Sends one INVITE from `orig` to `dest`, shaped like sipp's (bench/sip/uac-302.xml), and resolves with the
 * whole final answer, or undefined. No ACK follows: it is for servers that keep no transaction (the SIP floor),
 * to check one signed 302 before their numbers are taken.
 */
export function sipInviteOnce(host: string, port: number, opts: { orig: string; dest: string; timeoutMs: number }): Promise<string | undefined> {
  return sipRequestOnce(host, port, opts.timeoutMs, (localPort, branch) => [
    `INVITE sip:${opts.dest}@${host}:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=${branch}`,
    `From: <sip:${opts.orig}@127.0.0.1:${localPort}>;tag=${branch}`,
    `To: <sip:${opts.dest}@${host}:${port}>`,
    `Call-ID: ${branch}@127.0.0.1`,
    'CSeq: 1 INVITE',
    `Contact: <sip:bench@127.0.0.1:${localPort}>`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'));
}
