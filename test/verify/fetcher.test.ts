import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsFetcher } from '../../server/verify-fetch/https-fetcher.js';
import { isForbiddenAddress } from '../../server/verify-fetch/address-policy.js';
import { maxAgeMs } from '../../server/verify-fetch/cache-directives.js';
import { CertServer } from './support.js';

describe('x5u/CRL fetcher', () => {
  let server: CertServer;
  beforeAll(async () => {
    server = await CertServer.start();
    server.serve('/ok.pem', 'chain', { 'content-type': 'application/pem-certificate-chain; charset=utf-8', 'cache-control': 'max-age=300' });
    server.routes.set('/moved.pem', { status: 302, headers: { location: '/ok.pem' } });
    server.routes.set('/away.pem', { status: 301, headers: { location: `https://localhost:${server.port}/ok.pem` } });
    server.routes.set('/loop.pem', { status: 307, headers: { location: '/loop.pem' } });
    server.routes.set('/big.pem', { body: Buffer.alloc(70_000, 0x41) });
    server.routes.set('/hang.pem', { hang: true });
    server.routes.set('/error.pem', { status: 500 });
  });
  afterAll(() => server.stop());

  const relaxed = (over: { timeoutMs?: number; maxBytes?: number } = {}) =>
    createHttpsFetcher({ allowHttpX5u: true, allowPrivateAddresses: true, timeoutMs: over.timeoutMs ?? 2000, maxBytes: over.maxBytes ?? 65536, tlsCa: server.tlsCaPem });
  const strict = () => createHttpsFetcher({ timeoutMs: 2000, maxBytes: 65536, tlsCa: server.tlsCaPem });

  it('returns the body, its media type and its max-age', async () => {
    const r = await relaxed().fetch(server.url('/ok.pem'), 'x5u');
    expect(r).toMatchObject({ ok: true, contentType: 'application/pem-certificate-chain', maxAgeMs: 300_000 });
    expect(r.ok && r.body.toString()).toBe('chain');
  });

  it('follows a redirect on the same origin and refuses one to another origin (localhost is another origin than 127.0.0.1)', async () => {
    expect(await relaxed().fetch(server.url('/moved.pem'), 'x5u')).toMatchObject({ ok: true });
    expect(await relaxed().fetch(server.url('/away.pem'), 'x5u')).toMatchObject({ ok: false, failure: 'refused', detail: expect.stringMatching(/another origin/) });
    expect(await relaxed().fetch(server.url('/loop.pem'), 'x5u')).toMatchObject({ ok: false, failure: 'unreachable', detail: 'more than 3 redirects' });
  });

  it('refuses http, userinfo, query and fragment without connecting', async () => {
    for (const u of [server.url('/ok.pem').replace('https', 'http'), `https://u:p@127.0.0.1:${server.port}/ok.pem`, `${server.url('/ok.pem')}?a`, `${server.url('/ok.pem')}#a`, `${server.url('/ok.pem')}?`]) {
      expect(await strict().fetch(u, 'x5u'), u).toMatchObject({ ok: false, failure: 'refused' });
    }
  });

  it('refuses loopback, private, link-local and IPv6 loopback addresses without the switch, literal or resolved', async () => {
    const before = server.hitsOf('/ok.pem');
    for (const host of ['127.0.0.1', '10.1.2.3', '169.254.169.254', '192.168.1.1', '[::1]', '[::ffff:127.0.0.1]', '0x7f000001', 'localhost']) {
      const r = await strict().fetch(`https://${host}:${server.port}/ok.pem`, 'x5u');
      expect(r, host).toMatchObject({ ok: false, failure: 'refused' });
    }
    expect(server.hitsOf('/ok.pem')).toBe(before);
  });

  it('ends a fetch at its deadline and a body at its size cap', async () => {
    const hang = await relaxed({ timeoutMs: 300 }).fetch(server.url('/hang.pem'), 'x5u');
    expect(hang).toMatchObject({ ok: false, failure: 'unreachable', detail: 'no complete answer within 300 ms' });
    const big = await relaxed().fetch(server.url('/big.pem'), 'x5u');
    expect(big).toMatchObject({ ok: false, failure: 'unreachable', detail: expect.stringMatching(/65536-byte limit/) });
    expect(await relaxed().fetch(server.url('/big.pem'), 'crl')).toMatchObject({ ok: true });
  });

  it('reports a status other than 200 and a TLS certificate it does not trust as unreachable', async () => {
    expect(await relaxed().fetch(server.url('/error.pem'), 'x5u')).toMatchObject({ ok: false, failure: 'unreachable', detail: 'HTTP 500' });
    const noCa = createHttpsFetcher({ allowHttpX5u: true, allowPrivateAddresses: true, timeoutMs: 2000, maxBytes: 65536 });
    expect(await noCa.fetch(server.url('/ok.pem'), 'x5u')).toMatchObject({ ok: false, failure: 'unreachable', detail: expect.stringMatching(/^TLS: /) });
  });
});

describe('address policy', () => {
  it('blocks special-purpose ranges and allows public addresses', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd12::1', '::ffff:10.0.0.1', '::ffff:7f00:1', '::127.0.0.1', 'ff02::1', 'not-an-ip']) {
      expect(isForbiddenAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '::ffff:8.8.8.8', '2606:4700:4700::1111', '2a00:1450:4001::200e']) expect(isForbiddenAddress(a), a).toBe(false);
  });

  it('judges IPv4-embedding IPv6 forms by the IPv4 address they carry: NAT64, SIIT, mapped, compatible', () => {
    const forms: [string, string, boolean][] = [
      // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052): only a public IPv4 address may be embedded
      ['NAT64 loopback', '64:ff9b::127.0.0.1', true],
      ['NAT64 loopback, hex', '64:ff9b::7f00:1', true],
      ['NAT64 metadata', '[64:ff9b::a9fe:a9fe]', true],
      ['NAT64 private', '64:ff9b::10.1.2.3', true],
      ['NAT64 public', '64:ff9b::8.8.8.8', false],
      // SIIT IPv4-translated ::ffff:0:0:0/96 (RFC 7915)
      ['SIIT loopback', '::ffff:0:127.0.0.1', true],
      ['SIIT private', '::ffff:0:c0a8:101', true],
      ['SIIT public', '::ffff:0:8.8.8.8', false],
      // mapped and compatible, as before
      ['mapped CGNAT', '::ffff:100.64.0.1', true],
      ['compatible private', '::10.0.0.1', true],
    ];
    for (const [what, a, forbidden] of forms) expect(isForbiddenAddress(a), what).toBe(forbidden);
  });

  it('refuses local-use NAT64, 6to4 and Teredo outright, whatever they embed, and scoped addresses', () => {
    for (const a of [
      '64:ff9b:1::808:808', // local-use NAT64 64:ff9b:1::/48 (RFC 8215), not globally reachable
      '64:ff9b:1:ffff::7f00:1',
      '2002:7f00:1::1', // 6to4 of 127.0.0.1
      '2002:808:808::1', // 6to4 of a public address: refused too
      '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
      '2001::7f00:1',
      'fe80::1%eth0',
    ]) {
      expect(isForbiddenAddress(a), a).toBe(true);
    }
    // Just outside those prefixes: ordinary global unicast.
    for (const a of ['2003::1', '2001:4860:4860::8888']) expect(isForbiddenAddress(a), a).toBe(false);
  });
});

describe('cache directives', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads max-age, s-maxage, no-store and Expires relative to Date', () => {
    expect(maxAgeMs('public, max-age=600', undefined, undefined, now)).toBe(600_000);
    expect(maxAgeMs('max-age=600, s-maxage=60', undefined, undefined, now)).toBe(60_000);
    expect(maxAgeMs('no-store', 'Thu, 01 Jan 2026 01:00:00 GMT', undefined, now)).toBe(0);
    expect(maxAgeMs(undefined, 'Thu, 01 Jan 2026 01:00:00 GMT', 'Thu, 01 Jan 2026 00:30:00 GMT', now)).toBe(1_800_000);
    expect(maxAgeMs(undefined, '0', undefined, now)).toBe(0);
    expect(maxAgeMs(undefined, undefined, undefined, now)).toBeUndefined();
  });
});
