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
 * resolves with its final answers (provisional ones are skipped): the same datagram is sent again after each
 * answer until `sends` answers came, as a client's retransmission would be; fewer when none comes within
 * `timeoutMs`.
 */
function sipRequest(host: string, port: number, timeoutMs: number, build: (localPort: number, branch: string) => string, sends = 1): Promise<string[]> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const answers: string[] = [];
    let text = '';
    const done = () => {
      clearTimeout(timer);
      sock.close();
      resolve(answers);
    };
    const timer = setTimeout(done, timeoutMs);
    sock.once('error', done);
    sock.on('message', (msg) => {
      const answer = msg.toString('latin1');
      if (/^SIP\/2\.0 1\d\d /.test(answer)) return;
      answers.push(answer);
      if (answers.length < sends) sock.send(text, port, host);
      else done();
    });
    sock.bind(0, '127.0.0.1', () => {
      text = build(sock.address().port, `z9hG4bK-ping-${process.pid}-${Date.now()}`);
      sock.send(text, port, host);
    });
  });
}

/**
 * Sends one OPTIONS to `host:port` over UDP and resolves with the status line of the first answer, or
 * undefined when none comes within `timeoutMs`. Used to know that a SIP server is serving.
 */
export async function sipOptionsPing(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  const [answer] = await sipRequest(host, port, timeoutMs, (localPort, branch) => [
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
 * to check one signed 302 before their numbers are taken. `sends: 2` sends the same INVITE again once answered,
 * a retransmission, and resolves with the second answer too.
 */
export function sipInvite(host: string, port: number, opts: { orig: string; dest: string; timeoutMs: number; sends?: number }): Promise<string[]> {
  return sipRequest(
    host,
    port,
    opts.timeoutMs,
    (localPort, branch) =>
      [
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
      ].join('\r\n'),
    opts.sends,
  );
}
