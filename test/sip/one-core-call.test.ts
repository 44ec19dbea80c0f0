import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallService } from '../../server/core/call/call-service.js';
import type { CallResult } from '../../server/core/call/call.js';
import { RedirectHandler } from '../../server/sip/redirect-handler.js';
import { startSipServer, type SipServer } from '../../server/sip/sip-server.js';
import type { Directory } from '../../server/core/ports.js';
import { coreFixture, FakeClock, type CoreFixture } from '../helpers/core-fixture.js';
import { fixtureCallService } from '../helpers/call-fixture.js';
import { sipRequest, UdpPeer } from '../helpers/sip-client.js';

const logger = pino({ level: 'silent' });

/** The call service with a count of every question asked of it, and of the callers it identified. */
function counted(calls: CallService) {
  const asked: { method: 'signCall' | 'verifyCall'; outcome: CallResult['outcome'] }[] = [];
  const wrap = (method: 'signCall' | 'verifyCall') => async (call: Parameters<CallService['signCall']>[0]) => {
    const result = await calls[method](call);
    asked.push({ method, outcome: result.outcome });
    return result;
  };
  return { asked, service: { signCall: wrap('signCall'), verifyCall: wrap('verifyCall') } satisfies CallService };
}

/**
 * STYLE.md §10 and issue 13: the SIP adapter asks the core one question per INVITE, and the core identifies the
 * caller once for it, on a refusal too (it used to come back for the account and the routes).
 */
describe('the SIP adapter calls the core once per INVITE', () => {
  let f: CoreFixture;
  let resolved = 0;
  const servers: SipServer[] = [];
  const peers: UdpPeer[] = [];

  async function redirectServer(mode: 'sign' | 'verify') {
    const policy = { maxDateSkewSec: 60, routeUnsigned: true, routeFailedVerification: true, requireIdentity: false };
    const calls = counted(fixtureCallService(f, policy));
    const handler = new RedirectHandler(
      { calls: calls.service, logger },
      { mode, onSignFailure: 'redirect', reasonProtocol: 'SIP', maxPending: 100, maxTransactions: 1000, limits: { maxMessageBytes: 16_384, maxHeaders: 100 } },
    );
    const server = await startSipServer(handler, { host: '127.0.0.1', port: 0, maxMessageBytes: 16_384, maxConnections: 0, maxConnectionsPerSource: 0, idleTimeoutMs: 10_000, messageTimeoutMs: 0 }, logger);
    servers.push(server);
    return { port: server.port, asked: calls.asked };
  }

  async function peer(address: string) {
    const p = await UdpPeer.open(address);
    peers.push(p);
    return p;
  }

  /** Sends one INVITE and returns its answer with what the core was asked meanwhile. */
  async function invite(port: number, asked: unknown[], from: UdpPeer, extra: string[] = []) {
    const before = { asked: asked.length, resolved };
    const reply = await from.request(port, sipRequest({ extra }));
    return { reply, asked: asked.slice(before.asked), resolved: resolved - before.resolved };
  }

  beforeAll(async () => {
    // The test PKI's root and intermediate are valid from the real now on: the fixture's clock starts there too.
    f = await coreFixture({ maxAttest: 'A', defaultAttest: 'A', clock: new FakeClock(Date.now()) });
    (f.dir as Directory).listSipSources = async () => [{ accountId: f.account.id, cidr: '127.0.0.1/32', sourceKind: 'customer' }];
    const resolve = f.signing.sources.resolve.bind(f.signing.sources);
    f.signing.sources.resolve = (address, transport) => {
      resolved++;
      return resolve(address, transport);
    };
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('sign mode: once for a signed call, once for a refused one that is still routed, once for a stranger', async () => {
    const { port, asked } = await redirectServer('sign');
    const pbx = await peer('127.0.0.1');
    const signed = await invite(port, asked, pbx);
    expect(signed.reply.status).toBe(302);
    expect(signed.reply.headers.get('identity')).toHaveLength(1);
    expect(signed.asked).toEqual([{ method: 'signCall', outcome: 'signed' }]);
    expect(signed.resolved).toBe(1);

    const refused = await invite(port, asked, pbx, ['X-Attestation: Z']);
    expect([refused.reply.status, refused.reply.headers.get('contact'), refused.reply.headers.get('reason')]).toEqual([302, ['<sip:18005551234@127.0.0.1>'], ['SIP;cause=400;text="ERR_ATTEST_INVALID"']]);
    expect(refused.asked).toEqual([{ method: 'signCall', outcome: 'refused' }]);
    expect(refused.resolved).toBe(1);

    const stranger = await invite(port, asked, await peer('127.0.0.9'));
    expect(stranger.reply.status).toBe(403);
    expect(stranger.asked).toEqual([{ method: 'signCall', outcome: 'refused' }]);
    expect(stranger.resolved).toBe(1);
  });

  it('verify mode: once for a verified call, a failed one, one without Identity and a stranger', async () => {
    const { port, asked } = await redirectServer('verify');
    const pbx = await peer('127.0.0.1');
    const { identity } = await f.signing.handle({ token: f.token, transport: 'http', input: { orig: { tn: '14045266060' }, dest: { tn: ['18005551234'] } } });

    const verified = await invite(port, asked, pbx, [`Identity: ${identity}`]);
    expect(verified.reply.headers.get('p-asserted-identity')).toEqual(['<tel:+14045266060;verstat=TN-Validation-Passed>']);
    expect(verified.asked).toEqual([{ method: 'verifyCall', outcome: 'verified' }]);
    expect(verified.resolved).toBe(1);

    const failed = await invite(port, asked, pbx, ['Identity: garbage']);
    expect([failed.reply.status, failed.reply.headers.get('reason')]).toEqual([302, ['SIP;cause=438;text="Invalid Identity Header"']]);
    expect(failed.asked).toEqual([{ method: 'verifyCall', outcome: 'verify-failed' }]);
    expect(failed.resolved).toBe(1);

    const none = await invite(port, asked, pbx);
    expect(none.reply.headers.get('p-asserted-identity')).toEqual(['<tel:+14045266060;verstat=No-TN-Validation>']);
    expect(none.asked).toEqual([{ method: 'verifyCall', outcome: 'no-identity' }]);

    const stranger = await invite(port, asked, await peer('127.0.0.9'), [`Identity: ${identity}`]);
    expect(stranger.reply.status).toBe(403);
    expect(stranger.asked).toEqual([{ method: 'verifyCall', outcome: 'refused' }]);
    expect(stranger.resolved).toBe(1);
  });
});
