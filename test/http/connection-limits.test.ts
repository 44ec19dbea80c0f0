import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { RawConnection } from '../helpers/raw-connection.js';

const signBody = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' };
const portOf = (svc: TestService) => svc.node.port;

/** Headers of a sign request announcing a body of `length` bytes. */
const signHead = (length: number, token = 'x') =>
  `POST /api/stir-shaken/sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${length}\r\n\r\n`;

async function refusedCount(svc: TestService, reason: 'total' | 'per_source'): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const m = new RegExp(`^shakenstack_connections_refused_total\\{listener="http",reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('HTTP connection limits', () => {
  const conns: RawConnection[] = [];
  const open = async (svc: TestService, localAddress?: string) => {
    const c = await RawConnection.open(portOf(svc), localAddress);
    conns.push(c);
    return c;
  };
  afterEach(() => {
    for (const c of conns.splice(0)) c.close();
  });

  describe('timeouts (1 s each)', () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startTestService({ overrides: { 'http.headersTimeoutMs': 1000, 'http.requestTimeoutMs': 1000, 'http.maxRequestsPerConnection': 2 } });
    });
    afterAll(() => svc.stop());

    it('answers 408 and closes a connection that trickles its body, after the request timeout and not 30 s later', async () => {
      const c = await open(svc);
      c.write(signHead(200));
      // 200 bytes at one per 100 ms would take 20 s: only the timeout can end this early.
      const closedAfter = await c.trickle('{'.padEnd(200, ' '), 100);
      expect(closedAfter).toBeDefined();
      expect(closedAfter!).toBeGreaterThanOrEqual(950);
      expect(closedAfter!).toBeLessThan(10_000);
      expect(c.received).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('answers 408 and closes a connection that trickles its headers', async () => {
      const c = await open(svc);
      const closedAfter = await c.trickle('POST /api/stir-shaken/sign HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '.padEnd(400, 'a'), 50);
      expect(closedAfter).toBeDefined();
      expect(closedAfter!).toBeGreaterThanOrEqual(950);
      expect(closedAfter!).toBeLessThan(10_000);
      expect(c.received).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('closes a connection that never sends a request', async () => {
      const c = await open(svc);
      expect(await c.closedWithin(10_000)).toBe(true);
      expect(c.closedAt! - c.openedAt).toBeGreaterThanOrEqual(950);
      expect(c.received).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('says Connection: close on the last request a keep-alive connection may carry', async () => {
      const c = await open(svc);
      const get = 'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
      c.write(get);
      c.write(get);
      // Node only announces the end; the client is the one to close.
      for (let i = 0; i < 50 && c.received.split('HTTP/1.1 ').length < 3; i++) await new Promise((r) => setTimeout(r, 50));
      const heads = c.received.split(/(?=HTTP\/1\.1 )/).map((r) => r.split('\r\n\r\n')[0]!.toLowerCase());
      expect(heads).toHaveLength(2);
      expect(heads[0]).toContain('connection: keep-alive');
      expect(heads[1]).toContain('connection: close');
    });
  });

  describe('caps', () => {
    it('resets connections from one source over its cap while another source still signs', async () => {
      const svc = await startTestService({ overrides: { 'http.maxConnectionsPerSource': 20, 'http.maxConnections': 100 } });
      try {
        const a = await svc.provision({ defaultAttest: 'A', maxAttest: 'A' });
        const slow: RawConnection[] = [];
        for (let i = 0; i < 20; i++) {
          const c = await open(svc, '127.0.0.2');
          // A slow client: its request has begun and will not finish within this test.
          c.write(signHead(1000));
          slow.push(c);
        }
        const excess = await open(svc, '127.0.0.2');
        expect(await excess.closedWithin(5000)).toBe(true);
        expect(excess.received).toBe('');
        expect(slow.filter((c) => c.isClosed)).toHaveLength(0);

        const r = await postJson(`${svc.url}/api/stir-shaken/sign`, signBody, { authorization: `Bearer ${a.token}` });
        expect(r.status).toBe(200);
        expect(r.json.identity).toEqual(expect.any(String));
        expect(slow.filter((c) => c.isClosed)).toHaveLength(0);
        expect(await refusedCount(svc, 'per_source')).toBe(1);
      } finally {
        // Requests under way hold the server's close until they end.
        for (const c of conns.splice(0)) c.close();
        await svc.stop();
      }
    });

    it('resets connections over the total cap whatever their source, and takes new ones once some close', async () => {
      const svc = await startTestService({ overrides: { 'http.maxConnectionsPerSource': 0, 'http.maxConnections': 10 } });
      try {
        const held: RawConnection[] = [];
        for (let i = 0; i < 10; i++) held.push(await open(svc, i % 2 ? '127.0.0.3' : '127.0.0.2'));
        const excess = await open(svc, '127.0.0.4');
        expect(await excess.closedWithin(5000)).toBe(true);
        expect(held.filter((c) => c.isClosed)).toHaveLength(0);

        for (const c of held.slice(0, 5)) c.close();
        // The server counts a connection out when it sees it close; a few tries cover that moment.
        let status = 0;
        for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
          status = await fetch(`${svc.url}/health/live`).then(
            (res) => res.status,
            () => 0,
          );
          if (status !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        expect(status).toBe(200);
        expect(await refusedCount(svc, 'total')).toBeGreaterThanOrEqual(1);
      } finally {
        // Requests under way hold the server's close until they end.
        for (const c of conns.splice(0)) c.close();
        await svc.stop();
      }
    });
  });

  describe('a client that goes away mid-body', () => {
    let svc: TestService;
    let acct: Provisioned;
    const lines: { level: number; msg?: string; err?: unknown; stack?: unknown }[] = [];
    beforeAll(async () => {
      const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      svc = await startTestService({ logger });
      acct = await svc.provision();
    });
    afterAll(() => svc.stop());

    it('is at most a debug line without a stack, not an error', async () => {
      const before = lines.length;
      const c = await open(svc);
      c.write(signHead(500, acct.token) + '{"orig":');
      await new Promise((r) => setTimeout(r, 200));
      c.close();
      // Bounded wait for the server to notice the abort and log it.
      for (let i = 0; i < 40 && !lines.slice(before).some((l) => /before sending its whole request body/.test(l.msg ?? '')); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const logged = lines.slice(before);
      expect(logged.filter((l) => l.level >= 40)).toEqual([]);
      expect(JSON.stringify(logged)).not.toMatch(/"stack"/);
      expect(logged.find((l) => /before sending its whole request body/.test(l.msg ?? ''))).toMatchObject({ level: 20 });
    });
  });
});
