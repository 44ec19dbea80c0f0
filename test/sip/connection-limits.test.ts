import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawConnection } from '../helpers/raw-connection.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { sipRequest, tcpExchange } from '../helpers/sip-client.js';

describe('SIP TCP connection limits', () => {
  let svc: TestService;
  let port: number;
  const conns: RawConnection[] = [];
  const open = async (localAddress: string) => {
    const c = await RawConnection.open(port, localAddress);
    conns.push(c);
    return c;
  };

  beforeAll(async () => {
    svc = await startTestService({ overrides: { 'sip.maxConnectionsPerSource': 20, 'sip.maxConnections': 30, 'sip.messageTimeoutMs': 1000 } });
    port = svc.node.sipPort!;
    await svc.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.1' });
  });
  afterEach(() => {
    for (const c of conns.splice(0)) c.close();
  });
  afterAll(() => svc.stop());

  it('resets connections from one address over its cap, and a TCP INVITE from another address is still answered', async () => {
    const held: RawConnection[] = [];
    for (let i = 0; i < 20; i++) held.push(await open('127.0.0.2'));
    const excess = await open('127.0.0.2');
    expect(await excess.closedWithin(5000)).toBe(true);
    expect(held.filter((c) => c.isClosed)).toHaveLength(0);

    const { replies } = await tcpExchange(port, [sipRequest({ transport: 'TCP', callId: 'limits-1' })], 1);
    expect(replies.map((r) => [r.status, r.headers.get('call-id')?.[0]])).toEqual([[302, 'limits-1']]);
    expect(replies[0]!.headers.get('identity')).toHaveLength(1);

    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/^shakenstack_connections_refused_total\{listener="sip",reason="per_source"\} 1$/m);
  });

  it('closes a connection that trickles its first message once the message timeout passes, long before the idle timeout', async () => {
    const c = await open('127.0.0.1');
    // About 600 bytes at one per 50 ms would take 30 s; each byte restarts the 120 s idle timer.
    const closedAfter = await c.trickle(sipRequest({ transport: 'TCP' }), 50);
    expect(closedAfter).toBeDefined();
    expect(closedAfter!).toBeGreaterThanOrEqual(950);
    expect(closedAfter!).toBeLessThan(10_000);
    expect(c.received).toBe('');
  });

  it('closes a connection that sends nothing once the message timeout passes', async () => {
    const c = await open('127.0.0.1');
    expect(await c.closedWithin(10_000)).toBe(true);
    expect(c.closedAt! - c.openedAt).toBeGreaterThanOrEqual(950);
  });

  it('leaves a connection that has completed its messages to the idle timeout', async () => {
    const c = await open('127.0.0.1');
    c.write(sipRequest({ transport: 'TCP', method: 'OPTIONS' }));
    // Twice the message timeout: a connection between messages is not "slow", only quiet.
    expect(await c.closedWithin(2000)).toBe(false);
    expect(c.received).toMatch(/^SIP\/2\.0 200 /);
  });
});
