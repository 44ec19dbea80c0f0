/**
 * The floor for a SIP 302 signer in Node on this machine (issue 17), the SIP twin of node-floor-server.ts: one
 * bare `node:dgram` socket on one event loop that answers each INVITE sipp sends (bench/sip/uac-302.xml) with
 * the least a redirect signer must do: read the request line and the Via, From, To, Call-ID and CSeq lines,
 * take orig from the From URI's user part and dest from the request-URI's, build the same PASSporT as the HTTP
 * floor (RFC 8225 §9 claims in fixed order), sign it with `node:crypto` and send a 302 with the RFC 8224 §4.1
 * Identity header back to where the datagram came from. ACK is ignored; anything else gets 200 (readiness pings).
 * Nothing else: no transaction table (a retransmitted INVITE is signed again instead of answered from a stored
 * response, which RFC 3261 §17.2.1 asks of a real server), no TN canonicalisation, no policy, no log, no
 * metrics. That is what makes it a floor: the SIP redirect server's calls/s and CPU per call are also reported
 * as a ratio to this one, measured in the same run.
 *
 * usage: node node-floor-sip-server.js <port> <key.pem> <x5u>
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const [portArg, keyPath, x5u] = process.argv.slice(2) as [string, string, string];
const key = createPrivateKey(readFileSync(keyPath));
const headerB64 = Buffer.from(JSON.stringify({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u })).toString('base64url');
const params = `;info=<${x5u}>;alg=ES256;ppt=shaken`;
/** Where the 302 sends the caller: a fixed next hop, as a redirect server's routing table would give. */
const CONTACT_HOST = '127.0.0.1:5060';

/** The user part of a SIP URI, alone or in a name-addr (`"x" <sip:user@host>;tag=…`); undefined without one. */
function uriUser(value: string): string | undefined {
  const start = value.indexOf(':', value.indexOf('<') + 1) + 1;
  const at = value.indexOf('@', start);
  return start > 0 && at > start ? value.slice(start, at) : undefined;
}

function passport(orig: string, dest: string, origid: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const claims = `{"attest":"A","dest":{"tn":${JSON.stringify([dest])}},"iat":${iat},"orig":{"tn":${JSON.stringify(orig)}},"origid":"${origid}"}`;
  const input = `${headerB64}.${Buffer.from(claims).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** The answer to one datagram, or undefined for none (ACK, or not a request we can mirror). */
function answer(text: string): Buffer | undefined {
  const lines = text.split('\r\n');
  const requestLine = lines[0]!;
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  if (method === 'ACK' || method.startsWith('SIP/')) return undefined;
  let vias = '';
  let from: string | undefined;
  let to: string | undefined;
  let callId: string | undefined;
  let cseq: string | undefined;
  for (let i = 1; i < lines.length && lines[i] !== ''; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const value = line.slice(colon + 1).trim();
    switch (line.slice(0, colon).trim().toLowerCase()) {
      case 'via': vias += `Via: ${value}\r\n`; break;
      case 'from': from = value; break;
      case 'to': to = value; break;
      case 'call-id': callId = value; break;
      case 'cseq': cseq = value; break;
    }
  }
  // Without these a response cannot be matched to its request (RFC 3261 §8.1.1): nothing to answer.
  if (vias === '' || from === undefined || to === undefined || callId === undefined || cseq === undefined) return undefined;
  // The origid's first 8 hex digits serve as the To tag (RFC 3261 §19.3 asks 32 random bits): no second random draw.
  const origid = randomUUID();
  const head = (status: string) => `SIP/2.0 ${status}\r\n${vias}From: ${from}\r\nTo: ${/;\s*tag=/i.test(to) ? to : `${to};tag=${origid.slice(0, 8)}`}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq}\r\n`;
  if (method !== 'INVITE') return Buffer.from(`${head('200 OK')}Content-Length: 0\r\n\r\n`, 'latin1');
  const dest = uriUser(requestLine.slice(method.length + 1, requestLine.lastIndexOf(' ')));
  const orig = uriUser(from);
  if (dest === undefined || orig === undefined) return Buffer.from(`${head('400 Bad Request')}Content-Length: 0\r\n\r\n`, 'latin1');
  return Buffer.from(
    `${head('302 Moved Temporarily')}Contact: <sip:${dest}@${CONTACT_HOST}>\r\nIdentity: ${passport(orig, dest, origid)}${params}\r\nContent-Length: 0\r\n\r\n`,
    'latin1',
  );
}

const socket = createSocket({
  type: 'udp4',
  // The redirect server's receive buffer (server/sip/sip-server.ts): a burst of sipp's INVITEs waits in the
  // kernel while one signature runs, instead of being dropped at the default ~200 KB.
  recvBufferSize: 4 << 20,
  // Answers go only to a datagram's source, an IPv4 literal: dgram would otherwise pass it through
  // `dns.lookup`, which answers a literal one tick later.
  lookup: (hostname, _options, callback) => callback(null, hostname, 4),
});
socket.on('message', (msg, rinfo) => {
  const out = answer(msg.toString('latin1'));
  // A Buffer, and no callback: dgram then tries the send at once (uv_udp_try_send) instead of queueing a
  // request completed on a later tick. A full socket buffer loses the datagram either way; sipp retransmits.
  if (out) socket.send(out, rinfo.port, rinfo.address);
});
socket.bind(Number(portArg), '127.0.0.1');
