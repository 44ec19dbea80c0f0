/**
 * The floor for an HTTP signer in Node on this machine (issue 17): a bare `node:http` server that reads the same
 * request the service's sign endpoint gets, checks its bearer token, parses its JSON, builds the same PASSporT
 * (RFC 8225 §9 claims in fixed order) and signs it with `node:crypto`, then answers JSON. Nothing else: no
 * framework, no store, no policy, no log, no metrics. Every HTTP figure of the real service is also reported as
 * a ratio to this one, measured in the same run.
 *
 * With `kept` the floor also writes each request's record through the service's own request log before it answers
 * (floor-request-log.ts), in `workers` processes under `node:cluster` as the service runs them: the half-load p99
 * of issue 17 is weighed against this floor too.
 *
 * usage: node node-floor-server.js <port> <key.pem> <x5u> <api-key> [kept <dataDir> <workers>]
 */
import cluster from 'node:cluster';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { floorRecord, keptFloorLog } from './floor-request-log.js';

const [portArg, keyPath, x5u, apiKey, mode, dataDir, workersArg] = process.argv.slice(2) as [string, string, string, string, string?, string?, string?];
/** The service's own topology for workers > 1: node:cluster, the primary hands out connections and serves none. */
const forks = Math.max(1, Number(workersArg) || 1) > 1 && cluster.isPrimary;
const log = mode === 'kept' ? await keptFloorLog(dataDir!, forks) : undefined;
const key = createPrivateKey(readFileSync(keyPath));
const headerB64 = Buffer.from(JSON.stringify({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u })).toString('base64url');
const params = `;info=<${x5u}>;alg=ES256;ppt=shaken`;
const expectedAuth = `Bearer ${apiKey}`;

function answer(res: import('node:http').ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = createServer((req, res) => {
  const started = log ? performance.now() : 0;
  if (req.method !== 'POST' || req.url !== '/api/stir-shaken/sign') return answer(res, 404, '{"error":"not found"}');
  if (req.headers.authorization !== expectedAuth) return answer(res, 401, '{"error":"unauthorized"}');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: { orig?: { tn?: unknown }; dest?: { tn?: unknown }; attest?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return answer(res, 400, '{"error":"malformed"}');
    }
    const orig = body.orig?.tn;
    const dest = body.dest?.tn;
    const attest = body.attest ?? 'A';
    if (typeof orig !== 'string' || !Array.isArray(dest) || !dest.every((d) => typeof d === 'string') || (attest !== 'A' && attest !== 'B' && attest !== 'C')) {
      return answer(res, 400, '{"error":"invalid"}');
    }
    const origid = randomUUID();
    const iat = Math.floor(Date.now() / 1000);
    const claims = `{"attest":"${attest}","dest":{"tn":${JSON.stringify(dest)}},"iat":${iat},"orig":{"tn":${JSON.stringify(orig)}},"origid":"${origid}"}`;
    const input = `${headerB64}.${Buffer.from(claims).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const passport = `${input}.${signature}`;
    const signed = JSON.stringify({ identity: passport + params, passport, attest, origid, iat, x5u });
    if (!log) return answer(res, 200, signed);
    // Answered means recorded: the answer leaves once the journal has the record (its turn's writeSync).
    void log.record(floorRecord('http', { orig, dest: dest.join(','), origid, attest }, started))?.then(() => answer(res, 200, signed));
  });
});
// The same keep-alive the service uses (http.keepAliveTimeoutMs), so connection reuse is alike.
server.keepAliveTimeout = 72_000;
if (forks) for (let i = 0; i < Number(workersArg); i++) cluster.fork();
else server.listen(Number(portArg), '127.0.0.1');
