/**
 * The floor for an HTTP verifier in Node on this machine (issue 17), the verification twin of node-floor-server.ts:
 * a bare `node:http` server that takes the request the service's verify endpoint gets (`{identity, from, to}`
 * with a bearer token), and does what secsipidx's `/v1/check` does given its key, plus the claims against the
 * call: it splits the RFC 8224 Identity value, checks its `info`/`alg`/`ppt` parameters, decodes the PASSporT's
 * header and claims (RFC 8225 §5, RFC 8588 §3), checks `iat` freshness (RFC 8224 §6.2.1, 60 s), the orig and
 * dest TNs against the call, and the ES256 signature with a public key it was given. No framework, no x5u,
 * no chain, no store, no log, no metrics. The service's verify figures are reported as ratios to this one.
 *
 * The signature is checked where and as the service checks it (server/verify-fetch/node-verifier.ts,
 * `signatureCheckPlace`): on the service's own signature thread while there are fewer workers than cores, one
 * message per event-loop turn (signature-thread.ts), on the loop otherwise. A floor shows the least the service's
 * work can cost, so it takes the cheaper hand-off too (crypto.verify's callback form, libuv's pool, cost the
 * loop 15-17 µs per verification more, issue 17).
 *
 * With `kept` the floor also writes each verification's record through the service's own request log before it
 * answers (floor-request-log.ts), each serving process with its own journal and log thread as `serve`'s workers
 * have: what the service owes every answer besides the checks, at the least it costs (issue 17).
 *
 * usage: node verify-floor-server.js <port> <pub.pem> <x5u> <api-key> <workers> [kept <dataDir>]
 */
import cluster from 'node:cluster';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { cpuCores } from '../server/config/load.js';
import { checkOnLoop } from '../server/core/verify/es256.js';
import type { SignatureChecker } from '../server/core/verify/verify-ports.js';
import { SignatureThread } from '../server/verify-fetch/signature-thread.js';
import { floorRecord, keptFloorLog } from './floor-request-log.js';

const [portArg, keyPath, x5u, apiKey, workersArg, mode, dataDir] = process.argv.slice(2) as [string, string, string, string, string, string?, string?];
const workers = Math.max(1, Number(workersArg) || 1);
const forks = workers > 1 && cluster.isPrimary;
const log = mode === 'kept' ? await keptFloorLog(dataDir!, forks) : undefined;
const MAX_AGE_SEC = 60;

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A failed check answers 200 with its reason, as the service does: the verdict is data, not an HTTP error. */
const failed = (reason: string) => JSON.stringify({ ok: false, reason });

function decodeJson(part: string): Record<string, any> | undefined {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : undefined;
  } catch {
    return undefined;
  }
}

function serve(key: KeyObject, signatures: SignatureChecker): void {
  const expectedAuth = `Bearer ${apiKey}`;
  const server = createServer((req, res) => {
    const started = log ? performance.now() : 0;
    if (req.method !== 'POST' || req.url !== '/api/stir-shaken/verify') return answer(res, 404, '{"error":"not found"}');
    if (req.headers.authorization !== expectedAuth) return answer(res, 401, '{"error":"unauthorized"}');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { identity?: unknown; from?: unknown; to?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return answer(res, 400, '{"error":"malformed"}');
      }
      const { identity, from, to } = body;
      if (typeof identity !== 'string' || typeof from !== 'string' || typeof to !== 'string') return answer(res, 400, '{"error":"invalid"}');
      const [jws, ...params] = identity.split(';').map((s) => s.trim());
      if (!params.includes(`info=<${x5u}>`) || !params.includes('alg=ES256') || !params.includes('ppt=shaken')) return answer(res, 200, failed('parameters'));
      const parts = jws!.split('.');
      if (parts.length !== 3) return answer(res, 200, failed('not a compact JWS'));
      const [h, p, s] = parts as [string, string, string];
      const header = decodeJson(h);
      const claims = decodeJson(p);
      if (!header || !claims) return answer(res, 200, failed('undecodable'));
      if (header.alg !== 'ES256' || header.ppt !== 'shaken' || header.typ !== 'passport' || header.x5u !== x5u) return answer(res, 200, failed('header'));
      const iat = claims.iat;
      if (typeof iat !== 'number' || Math.abs(Date.now() / 1000 - iat) > MAX_AGE_SEC) return answer(res, 200, failed('stale'));
      if (claims.orig?.tn !== from || !Array.isArray(claims.dest?.tn) || !claims.dest.tn.includes(to)) return answer(res, 200, failed('TN mismatch'));
      if (!['A', 'B', 'C'].includes(claims.attest)) return answer(res, 200, failed('attest'));
      const signature = Buffer.from(s, 'base64url');
      const send = (ok: boolean) => answer(res, 200, ok ? JSON.stringify({ ok: true, verstat: 'TN-Validation-Passed', attest: claims.attest, origid: claims.origid }) : failed('signature'));
      const verdict = (ok: boolean) => {
        if (!log) return send(ok);
        const record = floorRecord('http', { orig: from, dest: to, origid: claims.origid, attest: claims.attest }, started, 'verify');
        if (!ok) {
          record.outcome = 'error';
          record.errorCode = 'VERIFY_438_signature';
        }
        void log.record(record)?.then(() => send(ok));
      };
      signatures.check(`${h}.${p}`, key, signature).then(verdict, () => verdict(false));
    });
  });
  // The same keep-alive the service uses (http.keepAliveTimeoutMs), so connection reuse is alike.
  server.keepAliveTimeout = 72_000;
  server.listen(Number(portArg), '127.0.0.1');
}

if (forks) {
  // The service's own topology for workers > 1: node:cluster, the primary hands out connections.
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  serve(createPublicKey(readFileSync(keyPath)), workers < cpuCores() ? new SignatureThread() : checkOnLoop);
}
