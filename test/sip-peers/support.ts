import { X509Certificate } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { compactVerify, importX509 } from 'jose';
import type { LabPki } from '../../server/pki/lab-pki.js';

export interface CheckedIdentity {
  header: Record<string, unknown>;
  claims: { attest: string; dest: { tn: string[] }; iat: number; orig: { tn: string }; origid: string };
  info: string;
}

/**
 * Verifies an Identity header value on its own, without shakenstack's code: the parameters as RFC 8224
 * §4.1 wants them, the certificate chain fetched from the info URL (what the service publishes) up to
 * the test PKI's root, and the ES256 signature with jose.
 */
export async function checkIdentityIndependently(value: string, pki: LabPki): Promise<CheckedIdentity> {
  const m = /^([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+);info=<([^>]+)>;alg=ES256;ppt=shaken$/.exec(value.trim());
  if (!m) throw new Error(`not an Identity header of the expected form: ${value}`);
  const [, jws, info] = m as unknown as [string, string, string];
  const res = await fetch(info);
  if (res.status !== 200) throw new Error(`x5u ${info} answered ${res.status}`);
  const pems = (await res.text()).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length < 1) throw new Error(`x5u ${info} holds no certificate`);
  const chain = pems.map((p) => new X509Certificate(p));
  const root = new X509Certificate(pki.root.certPem);
  for (let i = 0; i < chain.length; i++) {
    const issuer = chain[i + 1] ?? root;
    if (!chain[i]!.verify(issuer.publicKey)) throw new Error(`certificate ${i} of ${info} is not signed by the next one (or the test root)`);
  }
  const { payload, protectedHeader } = await compactVerify(jws, await importX509(pems[0]!, 'ES256'));
  return { header: protectedHeader as Record<string, unknown>, claims: JSON.parse(new TextDecoder().decode(payload)), info };
}

/** The value of the line `IDENTITY <value>` a UAS scenario logged. */
export function loggedIdentity(lines: string[]): string | undefined {
  return lines.find((l) => l.startsWith('IDENTITY '))?.slice('IDENTITY '.length).trim();
}

/**
 * Sends one INVITE over UDP to 127.0.0.1:<port> carrying `identity` (none when undefined) and resolves
 * with the first final answer's status line and headers.
 */
export function sendInvite(port: number, identity: string | undefined, opts: { from?: string; to?: string; timeoutMs?: number } = {}): Promise<{ status: number; reason: string; headers: string }> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no final answer from 127.0.0.1:${port}`));
    }, opts.timeoutMs ?? 8_000);
    sock.on('message', (buf) => {
      const text = buf.toString('latin1');
      const m = /^SIP\/2\.0 (\d{3}) ([^\r\n]*)/.exec(text);
      if (!m || Number(m[1]) < 200) return;
      clearTimeout(timer);
      sock.close();
      resolve({ status: Number(m[1]), reason: m[2]!, headers: text.split('\r\n\r\n', 1)[0]! });
    });
    sock.bind(0, '127.0.0.1', () => {
      const local = sock.address().port;
      const id = `${process.pid}-${local}-${Date.now()}`;
      const lines = [
        `INVITE sip:${opts.to ?? '18001234567'}@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-${id}`,
        `From: <sip:${opts.from ?? '14045266060'}@127.0.0.1:${local}>;tag=${id}`,
        `To: <sip:${opts.to ?? '18001234567'}@127.0.0.1:${port}>`,
        `Call-ID: ${id}@127.0.0.1`,
        'CSeq: 1 INVITE',
        `Contact: <sip:test@127.0.0.1:${local}>`,
        'Max-Forwards: 70',
        ...(identity === undefined ? [] : [`Identity: ${identity}`]),
        'Content-Length: 0',
        '',
        '',
      ];
      sock.send(lines.join('\r\n'), port, '127.0.0.1');
    });
  });
}

/**
 * A TCP listener on loopback that accepts connections and never answers: a signing service that hangs.
 * It counts the connections it got.
 */
export async function startSilentHttpServer(): Promise<{ url: string; connections(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((s) => {
    count++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * Why a sipp UAC failed, for an assertion's message: the messages it sent and received (its -trace_msg log names
 * the one it did not expect), the proxy's log when there is one, and the end of its statistics screen.
 */
export function uacFailure(uac: { output: string; messages: string }, proxyLog?: string): string {
  const parts = [`sipp messages, last 3000 characters:\n${uac.messages.slice(-3000)}`];
  if (proxyLog !== undefined) parts.push(`proxy log, last 2000 characters:\n${proxyLog.slice(-2000)}`);
  parts.push(`sipp output, last 600 characters:\n${uac.output.slice(-600)}`);
  return parts.join('\n\n');
}
