import { describe, expect, it } from 'vitest';
import { withSourceDialects } from '../../server/core/call/call-dialect.js';
import type { Call, CallResult } from '../../server/core/call/call.js';
import type { CallService } from '../../server/core/call/call-service.js';
import type { DivSignResult } from '../../server/core/div/div-passport.js';
import type { RphSignResult } from '../../server/core/rph/rph-passport.js';
import type { RcdSigned } from '../../server/core/rcd/rcd-types.js';
import { PLAIN_DIALECT, parseSbcDialect, type SbcDialect } from '../../server/core/sbc-dialect.js';
import type { SignResult } from '../../server/core/types.js';
import type { VerifyResult } from '../../server/core/verify/verify-result.js';
import { responseOf } from '../../server/sip/call-response.js';
import { escapeHvalue } from '../../server/sip/dialect-response.js';
import { parseMessage, type SipRequest } from '../../server/sip/message.js';
import { buildResponse } from '../../server/sip/response.js';

const OPTS = { onSignFailure: 'redirect', reasonProtocol: 'SIP' } as const;
const PEER = { address: '192.0.2.10', port: 5060 };
const SHAKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJhdHRlc3QiOiJBIn0.c2ln;info=<https://sti.example.net/x5u/ab12.pem>;alg=ES256;ppt=shaken';
const DIV = 'eyJhbGciOiJFUzI1NiJ9.eyJkaXYiOnt9fQ.ZGl2;info=<https://sti.example.net/x5u/ab12.pem>;alg=ES256;ppt=div';
const RPH = 'eyJhbGciOiJFUzI1NiJ9.eyJycGgiOnt9fQ.cnBo;info=<https://sti.example.net/x5u/ab12.pem>;alg=ES256;ppt=rph';
const RCD = 'eyJhbGciOiJFUzI1NiJ9.eyJyY2QiOnt9fQ.cmNk;info=<https://sti.example.net/x5u/ab12.pem>;alg=ES256;ppt=rcd';
const ROUTES = [{ uri: 'sip:tollfree-a.example.net' }, { uri: 'sip:tollfree-b.example.net;transport=tcp' }] as CallResult['routes'];

const INVITE = parseMessage(
  Buffer.from(
    [
      'INVITE sip:+18005551234@shakenstack.example.net SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds',
      'From: <sip:+14045266060@pbx.example.net>;tag=1928301774',
      'To: <sip:+18005551234@carrier.example.net>',
      'Call-ID: a84b4c76e66710@pbx.example.net',
      'CSeq: 314159 INVITE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  ),
) as SipRequest;

/** One result of each outcome the redirect server writes (the parts responseOf reads are real; the rest is not read). */
const RESULTS: Record<string, CallResult> = {
  signed: { outcome: 'signed', accountId: 'acc_1', routes: ROUTES, signed: { identity: SHAKEN } as SignResult },
  forwarded: { outcome: 'forwarded', accountId: 'acc_1', routes: ROUTES.slice(0, 1), received: [SHAKEN], div: { identity: DIV } as DivSignResult },
  transit: { outcome: 'transit', accountId: 'acc_1', routes: ROUTES.slice(0, 1), received: [SHAKEN, DIV] },
  'refused, routed unsigned': { outcome: 'refused', accountId: 'acc_1', routes: ROUTES.slice(0, 1), error: { code: 'ERR_TN_INVALID', reason: 'x' } },
  'refused, nowhere': { outcome: 'refused', accountId: 'acc_1', routes: [], error: { code: 'ERR_ATTEST_REFUSED', reason: 'x' } },
  verified: {
    outcome: 'verified',
    accountId: 'acc_1',
    routes: ROUTES.slice(0, 1),
    callingTn: '14045266060',
    verdict: { verstat: 'TN-Validation-Passed' },
    verified: { ok: true, verstat: 'TN-Validation-Passed', attest: 'B', origid: '123e4567-e89b-12d3-a456-426614174000' } as VerifyResult,
  },
  'verify-failed': {
    outcome: 'verify-failed',
    accountId: 'acc_1',
    routes: ROUTES.slice(0, 1),
    callingTn: '14045266060',
    verdict: { verstat: 'TN-Validation-Failed', failure: { sip: 438, stop: false } },
    verified: { ok: false, verstat: 'TN-Validation-Failed', sip: 438 } as VerifyResult,
  },
  'no-identity': { outcome: 'no-identity', accountId: 'acc_1', routes: ROUTES.slice(0, 1), callingTn: '14045266060', verdict: { verstat: 'No-TN-Validation' } },
  'identity-required': { outcome: 'identity-required', accountId: undefined, routes: [] },
};

const wire = (r: CallResult) => buildResponse(INVITE, PEER, responseOf(r, OPTS), '6c1b0e0a5f21').toString('latin1');
const dialect = (d: Partial<SbcDialect>): SbcDialect => ({ ...PLAIN_DIALECT, ...d });

describe('SBC dialects in the SIP response builder', () => {
  it.each(Object.keys(RESULTS))('off by default: %s is written byte for byte the same with no dialect and with the plain one', (name) => {
    const result = RESULTS[name]!;
    expect(wire({ ...result, dialect: PLAIN_DIALECT })).toBe(wire(result));
  });

  it('off by default: the plain signed answer is the one docs/sip-redirect-server.md shows', () => {
    expect(wire(RESULTS.signed!)).toBe(
      [
        'SIP/2.0 302 Moved Temporarily',
        'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds',
        'From: <sip:+14045266060@pbx.example.net>;tag=1928301774',
        'To: <sip:+18005551234@carrier.example.net>;tag=6c1b0e0a5f21',
        'Call-ID: a84b4c76e66710@pbx.example.net',
        'CSeq: 314159 INVITE',
        'Contact: <sip:tollfree-a.example.net>;q=1.0, <sip:tollfree-b.example.net;transport=tcp>;q=0.9',
        `Identity: ${SHAKEN}`,
        'Server: shakenstack',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
  });

  it('escapes an Identity for a URI header (RFC 3261 §19.1.1) so that unescaping gives it back byte for byte', () => {
    const escaped = escapeHvalue(SHAKEN);
    expect(escaped).toBe('eyJhbGciOiJFUzI1NiJ9.eyJhdHRlc3QiOiJBIn0.c2ln%3Binfo%3D%3Chttps://sti.example.net/x5u/ab12.pem%3E%3Balg%3DES256%3Bppt%3Dshaken');
    expect(decodeURIComponent(escaped)).toBe(SHAKEN);
    // Every character a URI header value may not hold bare, and the escape character itself.
    expect(escapeHvalue('a;b<c>d=e"f,g&h@i j%k\\l')).toBe('a%3Bb%3Cc%3Ed%3De%22f%2Cg%26h%40i%20j%25k%5Cl');
    expect(escapeHvalue("-_.!~*'()[]/?:+$")).toBe("-_.!~*'()[]/?:+$");
    // A header value is latin1 on the wire: one character, one octet, escaped as that octet.
    expect(escapeHvalue('\u00e9\u0001')).toBe('%E9%01');
    expect(escapeHvalue('\u{1F4DE}')).toBe('%F0%9F%93%9E');
  });

  it('identityInContact: every Contact entry carries every Identity, in order, and the Identity header fields stay', () => {
    const parts = responseOf({ ...RESULTS.signed!, dialect: dialect({ identityInContact: true }) }, OPTS);
    const h = `?Identity=${escapeHvalue(SHAKEN)}`;
    expect(parts).toEqual({
      code: 302,
      phrase: 'Moved Temporarily',
      headers: [`Contact: <sip:tollfree-a.example.net${h}>;q=1.0, <sip:tollfree-b.example.net;transport=tcp${h}>;q=0.9`, `Identity: ${SHAKEN}`],
    });
    const forwarded = responseOf({ ...RESULTS.forwarded!, dialect: dialect({ identityInContact: true }) }, OPTS);
    expect(forwarded.headers).toEqual([`Contact: <sip:tollfree-a.example.net?Identity=${escapeHvalue(SHAKEN)}&Identity=${escapeHvalue(DIV)}>`, `Identity: ${SHAKEN}`, `Identity: ${DIV}`]);
    // A priority call: the rph PASSporT rides in the Contact too, after the shaken one, as in the header fields.
    const signed = RESULTS.signed as Extract<CallResult, { outcome: 'signed' }>;
    const priority = responseOf({ ...signed, routes: ROUTES.slice(0, 1), rph: { identity: RPH } as RphSignResult, dialect: dialect({ identityInContact: true }) }, OPTS);
    expect(priority.headers).toEqual([`Contact: <sip:tollfree-a.example.net?Identity=${escapeHvalue(SHAKEN)}&Identity=${escapeHvalue(RPH)}>`, `Identity: ${SHAKEN}`, `Identity: ${RPH}`]);
    // A branded call whose brand went in a separate rcd PASSporT (RFC 9795): it rides in the Contact too, then the
    // Call-Info of the brand follows the Identity header fields.
    const rcd = { profile: 'rcdp_1', placement: 'rcd', identity: RCD, claims: { rcd: { nam: 'Acme Corp' }, rcdi: {} } } as RcdSigned;
    const branded = responseOf({ ...signed, routes: ROUTES.slice(0, 1), signed: { ...signed.signed, rcd }, dialect: dialect({ identityInContact: true }) }, OPTS);
    expect(branded.headers?.slice(0, 3)).toEqual([`Contact: <sip:tollfree-a.example.net?Identity=${escapeHvalue(SHAKEN)}&Identity=${escapeHvalue(RCD)}>`, `Identity: ${SHAKEN}`, `Identity: ${RCD}`]);
  });

  it('identityInContact: a route with URI headers of its own gets the Identity joined with &', () => {
    const result = { ...RESULTS.signed!, routes: [{ uri: 'sip:gw.example.net?X-Trunk=7' }] as CallResult['routes'], dialect: dialect({ identityInContact: true }) };
    expect(responseOf(result, OPTS).headers![0]).toBe(`Contact: <sip:gw.example.net?X-Trunk=7&Identity=${escapeHvalue(SHAKEN)}>`);
  });

  it('identityInContact leaves an answer without Identity as it is (a call refused but routed, a verify answer)', () => {
    for (const name of ['refused, routed unsigned', 'verified', 'no-identity']) {
      expect(wire({ ...RESULTS[name]!, dialect: dialect({ identityInContact: true }) })).toBe(wire(RESULTS[name]!));
    }
  });

  it('multipleChoices: every 302 becomes 300 Multiple Choices with the same headers; other statuses stay', () => {
    for (const [name, result] of Object.entries(RESULTS)) {
      const plain = responseOf(result, OPTS);
      const sbc = responseOf({ ...result, dialect: dialect({ multipleChoices: true }) }, OPTS);
      expect(sbc, name).toEqual(plain.code === 302 ? { ...plain, code: 300, phrase: 'Multiple Choices' } : plain);
    }
  });

  it('attestationHeaders: the verified attest and origid after the verstat, for a PASSporT that verified only', () => {
    const on = dialect({ attestationHeaders: true });
    expect(responseOf({ ...RESULTS.verified!, dialect: on }, OPTS).headers).toEqual([
      'Contact: <sip:tollfree-a.example.net>',
      'P-Asserted-Identity: <tel:+14045266060;verstat=TN-Validation-Passed>',
      'P-Attestation-Indicator: B',
      'P-Origination-ID: 123e4567-e89b-12d3-a456-426614174000',
    ]);
    for (const name of ['verify-failed', 'no-identity', 'signed']) expect(wire({ ...RESULTS[name]!, dialect: on })).toBe(wire(RESULTS[name]!));
  });

  it('attestationHeaders never writes an origid that is not one line of visible characters', () => {
    const verified = RESULTS.verified as Extract<CallResult, { verified: VerifyResult }>;
    const bad = { ...verified, verified: { ...verified.verified, origid: 'a\r\nX-Injected: 1' } as VerifyResult, dialect: dialect({ attestationHeaders: true }) };
    expect(responseOf(bad, OPTS).headers).not.toContainEqual(expect.stringMatching(/P-Origination-ID|X-Injected/));
  });
});

describe('SBC dialects reaching the call result', () => {
  const call: Call = { token: undefined, sourceAddress: '192.0.2.10', transport: 'sip', from: undefined, to: undefined };
  const inner = (result: CallResult): CallService => ({ signCall: async () => result, verifyCall: async () => result });

  it("marks a result with its SIP source's dialect, and leaves the plain dialect's and a stranger's results untouched", async () => {
    const sbc = dialect({ multipleChoices: true });
    const sources = { dialectOf: async (address: string) => (address === '192.0.2.10' ? sbc : address === '192.0.2.11' ? PLAIN_DIALECT : undefined) };
    expect(await withSourceDialects(inner(RESULTS.signed!), sources).signCall(call)).toEqual({ ...RESULTS.signed, dialect: sbc });
    expect(await withSourceDialects(inner(RESULTS.verified!), sources).verifyCall(call)).toEqual({ ...RESULTS.verified, dialect: sbc });
    expect(await withSourceDialects(inner(RESULTS.signed!), sources).signCall({ ...call, sourceAddress: '192.0.2.11' })).toBe(RESULTS.signed);
    const stranger = { outcome: 'refused', accountId: undefined, routes: [], error: { code: 'ERR_AUTH_INVALID', reason: 'x' } } as CallResult;
    expect(await withSourceDialects(inner(stranger), sources).signCall(call)).toBe(stranger);
  });

  it('reads a dialect from a request: booleans only, unknown members refused, absent is plain', () => {
    expect(parseSbcDialect(undefined)).toEqual(PLAIN_DIALECT);
    expect(parseSbcDialect({ multipleChoices: true })).toEqual(dialect({ multipleChoices: true }));
    expect(() => parseSbcDialect({ multipleChoice: true })).toThrow(expect.objectContaining({ code: 'ERR_REQ_FIELD_INVALID', field: 'dialect' }));
    expect(() => parseSbcDialect({ identityInContact: 1 })).toThrow(expect.objectContaining({ code: 'ERR_REQ_FIELD_INVALID', field: 'dialect.identityInContact' }));
    expect(() => parseSbcDialect(['identityInContact'])).toThrow(expect.objectContaining({ field: 'dialect' }));
  });
});
