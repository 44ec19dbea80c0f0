import { afterEach, describe, expect, it } from 'vitest';
import { RawConnection } from '../helpers/raw-connection.js';
import { startTestService, type TestService } from '../helpers/service.js';

const BODY = JSON.stringify({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' });
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

describe('closing the HTTP server', () => {
  it('answers a request that was past routing when close began, then closes its keep-alive connection instead of waiting out the keep-alive timeout', async () => {
    svc = await startTestService();
    const { token } = await svc.provision();
    const conn = await RawConnection.open(Number(new URL(svc.url).port));
    // Headers and half the body: the request is routed and waits for the rest of its body.
    const half = BODY.length >> 1;
    conn.write(
      `POST /api/stir-shaken/sign HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY.slice(0, half)}`,
    );
    await settle(200);
    let closed = false;
    const closing = svc.node.close().then(() => (closed = true));
    await settle(100);
    conn.write(BODY.slice(half));
    // Answered, on a connection the client keeps open (keep-alive): only the server can end it now. The keep-alive
    // timeout is 72 s; 5 s is ample for a close that does not wait for it.
    expect(await conn.closedWithin(5_000)).toBe(true);
    expect(conn.received).toMatch(/^HTTP\/1\.1 200 /);
    await Promise.race([closing, settle(2_000)]);
    expect(closed).toBe(true);
  });
});
