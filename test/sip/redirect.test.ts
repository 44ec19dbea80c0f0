import { X509Certificate } from 'node:crypto';
import { compactVerify, importSPKI } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addRoutingRule } from '../../server/manage/routing-rules.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, tcpExchange, UdpPeer, type SipReply } from '../helpers/sip-client.js';

/** Checks an Identity header the way a remote verifier would: x5u fetched, signature checked by jose. */
async function claimsOf(identity: string) {
  const [jws, ...params] = identity.split(';');
  expect(params).toEqual([expect.stringMatching(/^info=<http:\/\/127\.0\.0\.1:\d+\/.+>$/), 'alg=ES256', 'ppt=shaken']);
  const info = /^info=<(.+)>$/.exec(params[0]!)![1]!;
  const pem = await (await fetch(info)).text();
  const leaf = new X509Certificate(pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/)![0]);
  const { payload, protectedHeader } = await compactVerify(jws!, await importSPKI(leaf.publicKey.export({ type: 'spki', format: 'pem' }) as string, 'ES256'));
  expect(protectedHeader).toMatchObject({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u: info });
  return JSON.parse(new TextDecoder().decode(payload));
}

const h = (r: SipReply, name: string) => r.headers.get(name.toLowerCase());

describe('SIP redirect server (sign mode)', () => {
  let svc: TestService;
  let pbx: Provisioned;
  let port: number;
  const peers: UdpPeer[] = [];
  const peer = async (address = '127.0.0.1') => {
    const p = await UdpPeer.open(address);
    peers.push(p);
    return p;
  };

  beforeAll(async () => {
    svc = await startTestService({ sip: true });
    port = svc.node.sipPort!;
    pbx = await svc.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.1' });
  });
  afterEach(() => {
    for (const p of peers.splice(0)) p.close();
  });
  afterAll(() => svc.stop());

  it('answers an INVITE with 302: Identity signed for PAI → To, Contact from the Request-URI, dialog headers mirrored', async () => {
    const uac = await peer();
    const invite = sipRequest({ pai: '<sip:+1-404-526-6061@pbx.example.net;user=phone>', callId: 'call-1@pbx', cseq: 7, via: `127.0.0.1:${uac.port}` });
    const r = await uac.request(port, invite);
    expect(r.status).toBe(302);
    expect(r.phrase).toBe('Moved Temporarily');
    expect(h(r, 'Via')![0]).toMatch(new RegExp(`^SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bK-`));
    expect(h(r, 'From')).toEqual(['<sip:14045266060@pbx.example.net>;tag=caller1']);
    expect(h(r, 'To')![0]).toMatch(/^<sip:18005551234@carrier\.example\.net>;tag=[0-9a-f]{12}$/);
    expect(h(r, 'Call-ID')).toEqual(['call-1@pbx']);
    expect(h(r, 'CSeq')).toEqual(['7 INVITE']);
    expect(h(r, 'Contact')).toEqual(['<sip:18005551234@127.0.0.1>']);
    expect(h(r, 'Content-Length')).toEqual(['0']);
    const claims = await claimsOf(h(r, 'Identity')![0]!);
    expect(claims).toMatchObject({ attest: 'A', orig: { tn: '14045266061' }, dest: { tn: ['18005551234'] } });
    expect(Math.abs(claims.iat - Date.now() / 1000)).toBeLessThan(5);
  });

  it('takes orig from From without PAI, and dest from the Request-URI when To holds no number', async () => {
    const uac = await peer();
    const r = await uac.request(port, sipRequest({ uri: 'sip:+18005550199@127.0.0.1;user=phone', to: '"Sales" <sip:sales@carrier.example.net>' }));
    expect(r.status).toBe(302);
    expect(await claimsOf(h(r, 'Identity')![0]!)).toMatchObject({ orig: { tn: '14045266060' }, dest: { tn: ['18005550199'] } });
  });

  it('lowers the level with X-Attestation and never raises it above the account maximum', async () => {
    const svc2 = await startTestService({ sip: true });
    try {
      const capped = await svc2.provision({ defaultAttest: 'B', maxAttest: 'B', sipSource: '127.0.0.1' });
      expect(capped.account.maxAttest).toBe('B');
      const uac = await peer();
      const asC = await uac.request(svc2.node.sipPort!, sipRequest({ extra: ['X-Attestation: C'] }));
      expect((await claimsOf(h(asC, 'Identity')![0]!)).attest).toBe('C');
      const asA = await uac.request(svc2.node.sipPort!, sipRequest({ extra: ['X-Attestation: A'] }));
      expect((await claimsOf(h(asA, 'Identity')![0]!)).attest).toBe('B');
      const dflt = await uac.request(svc2.node.sipPort!, sipRequest());
      expect((await claimsOf(h(dflt, 'Identity')![0]!)).attest).toBe('B');
    } finally {
      await svc2.stop();
    }
  });

  it('puts the routing rules in Contact, best first with q-values', async () => {
    const svc2 = await startTestService({ sip: true });
    try {
      const a = await svc2.provision({ sipSource: '127.0.0.1' });
      await addRoutingRule(svc2.node.store, a.account.id, { prefix: '1800', target: 'sip:tollfree-b.example.net', priority: 20 });
      await addRoutingRule(svc2.node.store, a.account.id, { prefix: '1800', target: 'sip:tollfree-a.example.net;transport=tcp', priority: 10 });
      const uac = await peer();
      const r = await uac.request(svc2.node.sipPort!, sipRequest());
      expect(h(r, 'Contact')).toEqual(['<sip:tollfree-a.example.net;transport=tcp>;q=1.0, <sip:tollfree-b.example.net>;q=0.9']);
    } finally {
      await svc2.stop();
    }
  });

  it('answers a retransmitted INVITE with the identical 302, and resends it until the ACK', async () => {
    const uac = await peer();
    const invite = sipRequest({ branch: 'z9hG4bK-retrans-1' });
    const first = await uac.request(port, invite);
    const again = await uac.request(port, invite);
    expect(again.raw).toBe(first.raw);
    // No ACK yet: Timer G resends the 302 after 500 ms (RFC 3261 §17.2.1).
    const resent = await uac.quiet(800);
    expect(resent.length).toBeGreaterThanOrEqual(1);
    expect(resent[0]!.raw).toBe(first.raw);
    const ack = sipRequest({ method: 'ACK', branch: 'z9hG4bK-retrans-1', callId: h(first, 'Call-ID')![0], to: h(first, 'To')![0] });
    uac.send(port, ack);
    // Confirmed (RFC 3261 §17.2.1): an INVITE retransmission that crossed the ACK is absorbed, not answered or signed again.
    uac.send(port, invite);
    expect(await uac.quiet(1500)).toEqual([]);
  });

  it('absorbs an ACK: no answer', async () => {
    const uac = await peer();
    uac.send(port, sipRequest({ method: 'ACK', branch: 'z9hG4bK-nobody' }));
    expect(await uac.quiet(300)).toEqual([]);
  });

  it('answers OPTIONS with 200 and what it allows', async () => {
    const uac = await peer();
    const r = await uac.request(port, sipRequest({ method: 'OPTIONS' }));
    expect(r.status).toBe(200);
    expect(h(r, 'Allow')).toEqual(['INVITE, ACK, CANCEL, OPTIONS']);
    expect(h(r, 'To')![0]).toMatch(/;tag=/);
  });

  it('answers CANCEL: 481 without a matching INVITE, 200 with one', async () => {
    const uac = await peer();
    expect((await uac.request(port, sipRequest({ method: 'CANCEL', branch: 'z9hG4bK-none' }))).status).toBe(481);
    const invite = sipRequest({ branch: 'z9hG4bK-cancel-1', callId: 'cancel-1' });
    expect((await uac.request(port, invite)).status).toBe(302);
    const cancel = await uac.request(port, sipRequest({ method: 'CANCEL', branch: 'z9hG4bK-cancel-1', callId: 'cancel-1' }));
    expect(cancel.status).toBe(200);
    expect(h(cancel, 'CSeq')).toEqual(['1 CANCEL']);
  });

  it('answers other methods with 405 and Allow', async () => {
    const uac = await peer();
    const r = await uac.request(port, sipRequest({ method: 'REGISTER' }));
    expect(r.status).toBe(405);
    expect(h(r, 'Allow')).toEqual(['INVITE, ACK, CANCEL, OPTIONS']);
  });

  it('answers a malformed request it can still address with 400 and a Reason; drops garbage', async () => {
    const uac = await peer();
    const noCseq = sipRequest().replace(/CSeq: [^\r]+\r\n/, 'CSeq: one INVITE\r\n');
    const r = await uac.request(port, noCseq);
    expect(r.status).toBe(400);
    expect(h(r, 'Reason')).toEqual(['SIP;cause=400;text="malformed CSeq"']);
    uac.send(port, 'HELLO\r\n\r\n');
    uac.send(port, Buffer.alloc(1200, 0x41));
    uac.send(port, sipRequest().replace('Call-ID', 'Call\u0000ID'));
    expect(await uac.quiet(300)).toEqual([]);
  });

  it('refuses a bare LF inside a header instead of letting it through', async () => {
    const uac = await peer();
    const injected = sipRequest({ extra: ['X-Attestation: A\nIdentity: forged'] });
    const r = await uac.request(port, injected);
    expect(r.status).toBe(400);
    expect(r.raw).not.toMatch(/forged/);
    expect(h(r, 'Reason')).toEqual(['SIP;cause=400;text="bare CR or LF in the message head"']);
  });

  it('never copies header text it does not mirror into its answer', async () => {
    const uac = await peer();
    const r = await uac.request(port, sipRequest({ extra: ['X-Attestation: "><evil>', 'Require: 100rel, bad"tag'] }));
    expect(r.status).toBe(420);
    expect(h(r, 'Unsupported')).toEqual(['100rel, invalid']);
    const bad = await uac.request(port, sipRequest({ extra: ['X-Attestation: Z;evil=1'] }));
    // Not signable (bad attestation): 302 without Identity, the cause from the SIP error table, our text only.
    expect(bad.status).toBe(302);
    expect(h(bad, 'Identity')).toBeUndefined();
    expect(h(bad, 'Reason')).toEqual(['SIP;cause=400;text="ERR_ATTEST_INVALID"']);
    expect(bad.raw).not.toMatch(/evil/);
  });

  it('does not sign an INVITE whose Date is more than 60 s off', async () => {
    const uac = await peer();
    const old = new Date(Date.now() - 61_000).toUTCString();
    const r = await uac.request(port, sipRequest({ extra: [`Date: ${old}`] }));
    expect(r.status).toBe(302);
    expect(h(r, 'Identity')).toBeUndefined();
    expect(h(r, 'Reason')).toEqual(['SIP;cause=403;text="ERR_REQ_IAT_STALE"']);
    const fresh = new Date(Date.now() - 30_000).toUTCString();
    const ok = await uac.request(port, sipRequest({ extra: [`Date: ${fresh}`] }));
    const claims = await claimsOf(h(ok, 'Identity')![0]!);
    // iat is the Date (RFC 8224 §4.1), to the second.
    expect(claims.iat).toBe(Math.floor(Date.parse(fresh) / 1000));
  });

  it('survives a burst of mutated datagrams and still answers the next good INVITE', async () => {
    const uac = await peer();
    const base = Buffer.from(sipRequest({ pai: '<tel:+14045266060>', extra: ['X-Attestation: B', 'Require: foo'] }), 'latin1');
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(base);
      for (let k = 0, edits = 1 + rand(6); k < edits; k++) buf[rand(buf.length)] = [0, 10, 13, 32, 58, 59, 60, 62, 44, 34, rand(256)][rand(11)]!;
      uac.send(port, buf);
      if (i % 200 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await uac.quiet(500);
    for (const reply of uac.received) {
      // Whatever was answered is a well-formed response without a forged Identity.
      expect(reply.status).toBeGreaterThanOrEqual(200);
      if (reply.status !== 302) expect(reply.headers.get('identity')).toBeUndefined();
    }
    expect((await uac.request(port, sipRequest())).status).toBe(302);
  });

  it('answers 403 to a source address of no account', async () => {
    const stranger = await peer('127.0.0.9');
    const r = await stranger.request(port, sipRequest());
    expect(r.status).toBe(403);
    expect(h(r, 'Identity')).toBeUndefined();
    expect(h(r, 'Reason')).toEqual(['SIP;cause=403;text="ERR_AUTH_INVALID"']);
  });

  it('serves TCP too: messages split across segments and two in one segment', async () => {
    const one = sipRequest({ transport: 'TCP', callId: 'tcp-1' });
    const two = sipRequest({ transport: 'TCP', callId: 'tcp-2', method: 'OPTIONS' });
    const { replies } = await tcpExchange(port, [one.slice(0, 40), one.slice(40, 200), one.slice(200) + two], 2);
    // Separate transactions: the OPTIONS may well be answered before the INVITE is signed.
    expect(replies.map((r) => [r.status, h(r, 'Call-ID')![0]]).sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      [302, 'tcp-1'],
      [200, 'tcp-2'],
    ]);
    const redirect = replies.find((r) => r.status === 302)!;
    expect(await claimsOf(h(redirect, 'Identity')![0]!)).toMatchObject({ orig: { tn: '14045266060' } });
  });

  it('closes a TCP connection that sends more than the message limit without a message end', async () => {
    const { replies, closed } = await tcpExchange(port, [Buffer.alloc(20_000, 0x41)], 0);
    expect(replies).toEqual([]);
    expect(closed).toBe(true);
  });

  it('refuses to start a second node on a SIP port in use, naming the address and the settings', async () => {
    await expect(startTestService({ overrides: { 'sip.port': port } })).rejects.toThrow(
      new RegExp(`SIP cannot listen on UDP 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*set sip\\.port, or sip\\.enabled=false`),
    );
  });

  it('logs SIP calls in the request log with the account and transport', async () => {
    const uac = await peer();
    await uac.request(port, sipRequest({ callId: 'logged-1', pai: '<tel:+14045266099>' }));
    await new Promise((r) => setTimeout(r, 300));
    const rows = await svc.node.store.queryRequestLog({ accountId: pbx.account.id, transport: 'sip' });
    expect(rows.some((r) => r.kind === 'sign' && r.orig === '14045266099' && r.outcome === 'ok')).toBe(true);
  });
});

describe('SIP redirect server: what a call that cannot be signed gets', () => {
  const cases = [
    ['reject', 403, 'Stale Date'],
    ['603', 603, 'Decline'],
    ['404', 404, 'Not Found'],
  ] as const;
  for (const [setting, code, phrase] of cases) {
    it(`sip.onSignFailure=${setting} → ${code} ${phrase}`, async () => {
      const svc = await startTestService({ overrides: { 'sip.onSignFailure': setting } });
      const uac = await UdpPeer.open();
      try {
        await svc.provision({ sipSource: '127.0.0.1' });
        const r = await uac.request(svc.node.sipPort!, sipRequest({ extra: [`Date: ${new Date(Date.now() - 120_000).toUTCString()}`] }));
        expect([r.status, r.phrase]).toEqual([code, phrase]);
        expect(h(r, 'Reason')).toEqual(['SIP;cause=403;text="ERR_REQ_IAT_STALE"']);
        expect(h(r, 'Contact')).toBeUndefined();
      } finally {
        uac.close();
        await svc.stop();
      }
    });
  }

  it('answers 503 with Retry-After beyond sip.maxPending, and nothing is left pending', async () => {
    const svc = await startTestService({ overrides: { 'sip.maxPending': 1 } });
    const uac = await UdpPeer.open();
    try {
      await svc.provision({ sipSource: '127.0.0.1' });
      for (let i = 0; i < 20; i++) uac.send(svc.node.sipPort!, sipRequest());
      const replies = await uac.waitFor(20);
      const statuses = replies.map((r) => r.status);
      expect(statuses).toContain(503);
      expect(statuses).toContain(302);
      expect(replies.find((r) => r.status === 503)!.headers.get('retry-after')).toEqual(['1']);
      expect((await uac.request(svc.node.sipPort!, sipRequest())).status).toBe(302);
    } finally {
      uac.close();
      await svc.stop();
    }
  });

  it('keeps at most sip.maxTransactions transactions under a flood', async () => {
    const svc = await startTestService({ overrides: { 'sip.maxTransactions': 50, 'sip.onSignFailure': 'reject' } });
    const uac = await UdpPeer.open('127.0.0.3');
    try {
      // A source of no account: every INVITE is answered 403 at once, and each one is a transaction.
      for (let i = 0; i < 400; i++) uac.send(svc.node.sipPort!, sipRequest());
      await uac.waitFor(400, 10_000);
      expect(uac.received.every((r) => r.status === 403)).toBe(true);
    } finally {
      uac.close();
      await svc.stop();
    }
  });
});

describe('SIP redirect server: sip.thread', () => {
  // The default (worker) is what every other test here runs; `main` keeps the SIP work on the event loop.
  for (const thread of ['main', 'worker'] as const) {
    it(`sip.thread=${thread}: signs, logs the call, answers a retransmission identically and stops resending at the ACK`, async () => {
      const svc = await startTestService({ overrides: { 'sip.thread': thread } });
      const uac = await UdpPeer.open();
      try {
        const pbx = await svc.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.1' });
        const invite = sipRequest({ branch: `z9hG4bK-thread-${thread}`, callId: `thread-${thread}`, pai: '<tel:+14045266098>' });
        const first = await uac.request(svc.node.sipPort!, invite);
        expect(first.status).toBe(302);
        expect(await claimsOf(h(first, 'Identity')![0]!)).toMatchObject({ attest: 'A', orig: { tn: '14045266098' } });
        const again = await uac.request(svc.node.sipPort!, invite);
        expect(again.raw).toBe(first.raw);
        uac.send(svc.node.sipPort!, sipRequest({ method: 'ACK', branch: `z9hG4bK-thread-${thread}`, callId: `thread-${thread}`, to: h(first, 'To')![0] }));
        expect(await uac.quiet(1200)).toEqual([]);
        const rows = await svc.node.store.queryRequestLog({ accountId: pbx.account.id, transport: 'sip' });
        expect(rows.filter((r) => r.kind === 'sign' && r.orig === '14045266098' && r.outcome === 'ok')).toHaveLength(1);
      } finally {
        uac.close();
        await svc.stop();
      }
    });
  }
});
