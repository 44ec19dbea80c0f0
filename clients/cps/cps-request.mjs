#!/usr/bin/env node
// A stand-alone STI-CPS client (node:crypto and fetch only, no shakenstack code): publishes a PASSporT or
// retrieves a call's PASSporTs with a request token signed by an STI certificate's key, in the shapes of
// docs/out-of-band.md. Usage:
//   node cps-request.mjs publish  --cps http://127.0.0.1:8080/cps --key leaf.key --x5u http://…/chain.pem --spc 5678 --orig 14045266060 --dest 12025550100 [--exp 30] [--mechanism atis-1000105]
//   node cps-request.mjs retrieve --cps http://127.0.0.1:8080/cps --key leaf.key --x5u http://…/chain.pem --spc 5678 --orig 14045266060 --dest 12025550100
import { createHash, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { positionals, values: o } = parseArgs({
  allowPositionals: true,
  options: { cps: { type: 'string' }, key: { type: 'string' }, x5u: { type: 'string' }, spc: { type: 'string' }, orig: { type: 'string' }, dest: { type: 'string' }, exp: { type: 'string', default: '30' }, mechanism: { type: 'string', default: 'atis-1000096' }, aud: { type: 'string' } },
});
const action = positionals[0];
for (const k of ['cps', 'key', 'x5u', 'spc', 'orig', 'dest']) if (!o[k]) throw new Error(`--${k} is required`);
if (action !== 'publish' && action !== 'retrieve') throw new Error('first argument: publish or retrieve');

const key = readFileSync(o.key, 'utf8');
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
const jwt = (header, payload) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
};
const now = Math.floor(Date.now() / 1000);
const claims = { action, aud: o.aud ?? new URL(o.cps).hostname, dest: { tn: [o.dest] }, iat: now, iss: o.spc, jti: randomUUID(), orig: { tn: o.orig }, spc: o.spc };
const path = o.mechanism === 'atis-1000105' ? `/passports/${o.spc}/${o.dest}/${o.orig}` : `/passports/${o.dest}/${o.orig}`;

let init = {};
if (action === 'publish') {
  const passports = [jwt({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u: o.x5u }, { attest: 'A', dest: { tn: [o.dest] }, iat: now, orig: { tn: o.orig }, origid: randomUUID() })];
  claims.exp = now + Number(o.exp);
  // The digest of the JCS (RFC 8785) form of the passports array; for an array of strings that is JSON.stringify's.
  claims.passports = `sha256-${createHash('sha256').update(JSON.stringify(passports)).digest('base64')}`;
  init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ passports }) };
}
const token = jwt({ alg: 'ES256', x5u: o.x5u }, claims);
const res = await fetch(o.cps + path, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });
console.log(res.status, await res.text());
