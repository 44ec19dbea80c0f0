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
 * With `kept` as the fourth argument the floor also keeps what the redirect server owes every call besides its
 * 302, with the service's own code for each: RFC 3261 §17.2.1 server transactions (`TransactionTable`: a
 * retransmitted INVITE gets the stored 302, the ACK ends its resends, Timer G, H and I), and the request-log
 * record written before the answer leaves and shipped into the store (`ThreadedRequestLog`: the journal's
 * `writeSync` per loop turn, the log thread's SQLite insert with its indexes; reliability.md). Still no parser
 * beyond these lines, no policy, no core, no metrics and no second SIP thread: what a redirect signer with the
 * service's obligations costs at least (issue 17's SIP target is weighed against it).
 *
 * usage: node node-floor-sip-server.js <port> <key.pem> <x5u> [kept <dataDir>]
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { TIMER_H_MS, TransactionTable, viaTransactionKey } from '../../server/sip/transactions.js';
import { loadConfig } from '../../server/config/load.js';
import { floorRecord, keptFloorLog } from '../floor-request-log.js';

const [portArg, keyPath, x5u, mode, dataDir] = process.argv.slice(2) as [string, string, string, string?, string?];
/** Kept mode reads an ACK to end its transaction; the bare floor drops it unread. */
const keptMode = mode === 'kept';
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

/**
 * The lines of a request the floor reads; undefined for a response, for an ACK unless kept, or without the lines a
 * reply needs.
 */
interface FloorRequest {
  method: string;
  requestLine: string;
  vias: string;
  /** The top Via's value: kept mode keys the transaction by its branch and sent-by (RFC 3261 §17.2.3). */
  topVia: string;
  from: string;
  to: string;
  callId: string;
  cseq: string;
}

function read(text: string): FloorRequest | undefined {
  const lines = text.split('\r\n');
  const requestLine = lines[0]!;
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  if (method.startsWith('SIP/') || (method === 'ACK' && !keptMode)) return undefined;
  let vias = '';
  let topVia: string | undefined;
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
      case 'via': vias += `Via: ${value}\r\n`; topVia ??= value; break;
      case 'from': from = value; break;
      case 'to': to = value; break;
      case 'call-id': callId = value; break;
      case 'cseq': cseq = value; break;
    }
  }
  // Without these a response cannot be matched to its request (RFC 3261 §8.1.1): nothing to answer.
  if (topVia === undefined || from === undefined || to === undefined || callId === undefined || cseq === undefined) return undefined;
  return { method, requestLine, vias, topVia, from, to, callId, cseq };
}

/** The answer to a request other than ACK, with the PASSporT's numbers and origid when it is a signed INVITE's. */
function answer(r: FloorRequest): { buf: Buffer; signed?: { orig: string; dest: string; origid: string; attest: 'A' } } {
  // The origid's first 8 hex digits serve as the To tag (RFC 3261 §19.3 asks 32 random bits): no second random draw.
  const origid = randomUUID();
  const head = (status: string) => `SIP/2.0 ${status}\r\n${r.vias}From: ${r.from}\r\nTo: ${/;\s*tag=/i.test(r.to) ? r.to : `${r.to};tag=${origid.slice(0, 8)}`}\r\nCall-ID: ${r.callId}\r\nCSeq: ${r.cseq}\r\n`;
  if (r.method !== 'INVITE') return { buf: Buffer.from(`${head('200 OK')}Content-Length: 0\r\n\r\n`, 'latin1') };
  const dest = uriUser(r.requestLine.slice(r.method.length + 1, r.requestLine.lastIndexOf(' ')));
  const orig = uriUser(r.from);
  if (dest === undefined || orig === undefined) return { buf: Buffer.from(`${head('400 Bad Request')}Content-Length: 0\r\n\r\n`, 'latin1') };
  const buf = Buffer.from(
    `${head('302 Moved Temporarily')}Contact: <sip:${dest}@${CONTACT_HOST}>\r\nIdentity: ${passport(orig, dest, origid)}${params}\r\nContent-Length: 0\r\n\r\n`,
    'latin1',
  );
  return { buf, signed: { orig, dest, origid, attest: 'A' } };
}

/** What kept mode owes each call: the service's transaction table and request log, as `serve` sets them up. */
async function obligations(dir: string) {
  // Timer H and the table's bound as the redirect server sets them (redirect-handler.ts, sip.maxTransactions).
  return { log: (await keptFloorLog(dir))!, transactions: new TransactionTable({ ttlMs: TIMER_H_MS, maxEntries: loadConfig({ env: {} }).sip.maxTransactions }) };
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
const kept = keptMode ? await obligations(dataDir!) : undefined;
// A Buffer, and no callback: dgram then tries the send at once (uv_udp_try_send) instead of queueing a request
// completed on a later tick. A full socket buffer loses the datagram either way; sipp retransmits.
const sendTo = (port: number, address: string) => (buf: Buffer) => socket.send(buf, port, address);
socket.on('message', (msg, rinfo) => {
  const request = read(msg.toString('latin1'));
  if (!request) return;
  if (!kept) return void socket.send(answer(request).buf, rinfo.port, rinfo.address);
  const key = viaTransactionKey(request.topVia, request.method);
  if (request.method === 'ACK') {
    if (key) kept.transactions.ack(key);
    return;
  }
  if (request.method !== 'INVITE' || !key) return void socket.send(answer(request).buf, rinfo.port, rinfo.address);
  const existing = kept.transactions.get(key);
  if (existing) {
    if (existing.response) existing.send(existing.response);
    return;
  }
  const tx = kept.transactions.begin(key, sendTo(rinfo.port, rinfo.address), false);
  const started = performance.now();
  const { buf, signed } = answer(request);
  // A 400 (no numbers to sign) is answered as it is: the load signs every call.
  if (!signed) return void kept.transactions.complete(tx, buf, true);
  // Answered means recorded: the 302 leaves once the journal has the record (its turn's writeSync).
  void kept.log.record(floorRecord('sip', signed, started))?.then(() => kept.transactions.complete(tx, buf, true));
});
socket.bind(Number(portArg), '127.0.0.1');
