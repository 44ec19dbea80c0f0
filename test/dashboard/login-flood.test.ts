import { generateKeyPairSync, randomBytes, scryptSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../server/dashboard/password-hasher.js';
import type { TestService } from '../helpers/service.js';
import { DashClient, ENGINES, PASSWORD, makeUser, startDashboardService } from './support.js';

interface LoginAnswer {
  status: number;
  code: string | undefined;
  retryAfter: string | undefined;
}

/** One login from a chosen loopback source address (the dashboard keys its per-address rate on it). */
function loginFrom(svc: TestService, localAddress: string, username: string, password: string): Promise<LoginAnswer> {
  const url = new URL('/dashboard/api/session', svc.url);
  const body = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode ?? 0, code, retryAfter: res.headers['retry-after'] });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const randomName = () => `nobody-${randomBytes(6).toString('hex')}`;

function signOnPool(key: KeyObject): Promise<Buffer> {
  // The callback form of crypto.sign runs on the libuv thread pool, as the signing path's ES256 does.
  return new Promise((resolve, reject) => cryptoSign('sha256', randomBytes(64), { key, dsaEncoding: 'ieee-p1363' }, (err, sig) => (err ? reject(err) : resolve(sig))));
}

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

describe.each(ENGINES)('login attempts counted before the password check (%s store)', (engine) => {
  it('answers 40 parallel wrong passwords for one user with at most 5 × 401 and the rest 429, then refuses the right password', async () => {
    svc = await startDashboardService(engine, { overrides: { 'dashboard.loginMaxPending': 64 } });
    const { username } = await makeUser(svc, 'viewer');
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => new DashClient(svc!.url).login(username, `wrong password ${i}`)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBe(40 - statuses.filter((s) => s === 401).length);
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(a.json.error.code).toBe('ERR_LOGIN_RATE_LIMITED');
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    const right = await new DashClient(svc.url).login(username, PASSWORD);
    expect(right.status).toBe(429);
  }, 60_000);
});

describe('the in-memory login gate, before any store or password work', () => {
  it('refuses a burst from one address with 429 and Retry-After while another address still logs in', async () => {
    svc = await startDashboardService('embedded', { overrides: { 'dashboard.loginRatePerMinute': 3 } });
    const { username } = await makeUser(svc, 'viewer');
    const burst: LoginAnswer[] = [];
    for (let i = 0; i < 6; i++) burst.push(await loginFrom(svc, '127.0.0.2', randomName(), 'not a password'));
    expect(burst.slice(0, 3).map((a) => a.status)).toEqual([401, 401, 401]);
    for (const a of burst.slice(3)) {
      expect(a).toMatchObject({ status: 429, code: 'ERR_LOGIN_RATE_LIMITED' });
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // The refused source's bucket is its own: another address gets in, and so does a known user there.
    expect((await loginFrom(svc, '127.0.0.3', username, PASSWORD)).status).toBe(200);
    expect((await loginFrom(svc, '127.0.0.2', username, PASSWORD)).status).toBe(429);
  }, 60_000);

  it('refuses logins beyond dashboard.loginMaxPending with 503 ERR_LOGIN_BUSY and Retry-After while the others are checked', async () => {
    svc = await startDashboardService('embedded', { overrides: { 'dashboard.loginMaxPending': 2 } });
    const answers = await Promise.all(Array.from({ length: 12 }, () => loginFrom(svc!, '127.0.0.1', randomName(), 'not a password')));
    const busy = answers.filter((a) => a.status === 503);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    for (const a of busy) expect(a).toMatchObject({ code: 'ERR_LOGIN_BUSY', retryAfter: '1' });
    expect(answers.filter((a) => a.status === 401).length).toBe(12 - busy.length);
    expect(busy.length).toBeLessThanOrEqual(10);
  }, 60_000);

  it('keeps the libuv pool free during a login flood: 200 pool signs complete while at most 8 of 24 flood logins are answered', async () => {
    svc = await startDashboardService('embedded', { overrides: { 'dashboard.loginMaxPending': 64 } });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    let floodDone = false;
    let answered = 0;
    let firstAnswer!: () => void;
    const firstAnswered = new Promise<void>((r) => (firstAnswer = r));
    // 8 loops of 3 sequential logins each: bounded, and each loop keeps a new scrypt coming as the last one ends.
    const loop = async (): Promise<LoginAnswer[]> => {
      const out: LoginAnswer[] = [];
      for (let i = 0; i < 3; i++) {
        out.push(await loginFrom(svc!, '127.0.0.1', randomName(), 'not a password'));
        answered++;
        firstAnswer();
      }
      return out;
    };
    const flood = Promise.all(Array.from({ length: 8 }, loop)).then((answers) => {
      floodDone = true;
      return answers.flat();
    });
    await firstAnswered;
    const answeredBefore = answered;
    let signedDuringFlood = 0;
    for (let i = 0; i < 200 && !floodDone; i++) {
      await signOnPool(privateKey);
      if (!floodDone) signedDuringFlood++;
    }
    const answeredDuringSigns = answered - answeredBefore;
    const answers = await flood;
    expect(answers.map((a) => a.status)).toEqual(new Array(24).fill(401));
    // Not a timing: a count of one kind of work against the other. When scrypt shared the pool, each sign queued
    // behind the loops' waiting scrypts, so logins were answered about as fast as signs and the flood ended first.
    expect(signedDuringFlood).toBe(200);
    expect(answeredDuringSigns).toBeLessThanOrEqual(8);
  }, 120_000);
});

describe('PasswordHasher', () => {
  it('hashes and checks on a thread of its own, verifies hashes of the stored format with their own parameters, and never matches an unknown user', async () => {
    const hasher = new PasswordHasher(1);
    try {
      const hash = await hasher.hash('a long enough password');
      expect(hash).toMatch(/^scrypt\$32768\$8\$3\$[\w+/=]+\$[\w+/=]+$/);
      expect(hasher.lastThreadId).toBeDefined();
      expect(hasher.lastThreadId).not.toBe(threadId);
      expect(await hasher.verify('a long enough password', hash)).toBe(true);
      expect(await hasher.verify('another password', hash)).toBe(false);
      // A hash written earlier with other parameters (as the async scrypt of before wrote them) still verifies.
      const salt = randomBytes(16);
      const key = scryptSync('older password', salt, 32, { N: 2 ** 14, r: 8, p: 1 });
      const older = `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
      expect(await hasher.verify('older password', older)).toBe(true);
      expect(await hasher.verify('older password', undefined)).toBe(false);
      expect(await hasher.verify('x', 'not-a-hash')).toBe(false);
    } finally {
      await hasher.close();
    }
    await expect(hasher.hash('after close')).rejects.toThrow(/closed/);
  }, 60_000);
});
