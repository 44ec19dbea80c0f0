/**
 * One table of forwarded calls (RFC 8946 div PASSporTs), run through every verify entry point: the core
 * (`Verifier.handle`), HTTP `POST /api/stir-shaken/verify`, gRPC `Verifier/Verify` and the SIP redirect server in
 * verify mode (test/verify/verify-div-transports.test.ts). Each case builds its Identity headers at run time
 * (PASSporTs are only fresh for 60 s) with the signing core's `signAs` and `signDiv`.
 */

export const CALLER = '14045266060';
/** The numbers a call visits: sent to N[0], forwarded to N[1], … */
export const N = ['18001230000', '18001230001', '18001230002', '18001230003', '18001230004', '18001230005'] as const;
/** A number no hop of these calls visits. */
export const ELSEWHERE = '18009990000';

/**
 * Who signs a div: two retargeting providers whose roots are trusted; one whose x5u serves its leaf without
 * the intermediate (the certificate does not chain to the trust anchor); one from an unrelated lab PKI whose
 * root is not trusted; and the first provider again with a clock two minutes slow (a stale div).
 */
export type DivSigner = 'fwdA' | 'fwdB' | 'unchained' | 'unrelated' | 'stale';

export interface DivCallFactory {
  /** The originating provider's shaken PASSporT, from CALLER to `dest` (N[0] by default), as an Identity header. */
  shaken(dest?: string): Promise<string>;
  /** A div PASSporT for the hop `from` → `to`, with the shaken orig unless `orig` is given. */
  div(from: string, to: string, opts?: { by?: DivSigner; orig?: string }): Promise<string>;
  /** shaken to N[0], then `hops` divs N[i] → N[i+1], alternating between fwdA and fwdB. */
  chain(hops: number): Promise<string[]>;
  /** A div-o (RFC 8946 §5) drawn from the `received` headers for a hop to `to`: its opt nests the last hop's PASSporT. */
  divO(received: string[], to: string): Promise<string>;
}

/** A call as every transport takes it: its Identity headers in the order sent, the number called now and To. */
export interface DivCall {
  identity: string[];
  /** The number called now: `ruri` in HTTP and gRPC, the Request-URI's user part in SIP. */
  ruri: string;
  /** The To number (a forwarded call's To often still holds the first number). */
  to: string;
}

/** What every transport must say, read into one shape (SIP carries only verstat and the Reason cause). */
export interface DivExpectation {
  verstat: 'TN-Validation-Passed' | 'TN-Validation-Failed' | 'No-TN-Validation';
  /** The SIP code of a failure (Reason cause in SIP); undefined when the call passes. */
  sip?: number;
  reason?: string;
  /** Header indexes in chain order; checked where the transport has a `call` member. */
  chain?: number[];
  /** The chain problems' reasons, in order. */
  problems?: string[];
  /** The kind of each PASSporT judged: the headers as received, then any nested in a div-o's opt. */
  kinds?: string[];
  /** What the verify log record lists when it differs from `kinds`: the received headers only. */
  logKinds?: string[];
  /** True: a call with one shaken header, answered exactly as before (no `call` member). */
  single?: boolean;
  /** The header whose own failure is the call's (its `call.passports` entry has ok false and the same reason). */
  failedHeader?: number;
}

export interface VerifyDivCase {
  title: string;
  build(f: DivCallFactory): Promise<DivCall>;
  expect: DivExpectation;
}

const kindsOf = (hops: number) => ['shaken', ...Array.from({ length: hops }, () => 'div')];

const passingChains: VerifyDivCase[] = [1, 2, 3, 4, 5].map((hops) => ({
  title: `a chain of ${hops} div hop${hops > 1 ? 's' : ''} to the number called now passes, To still the first number`,
  build: async (f) => ({ identity: await f.chain(hops), ruri: N[hops]!, to: N[0] }),
  expect: { verstat: 'TN-Validation-Passed', chain: kindsOf(hops).map((_, i) => i), problems: [], kinds: kindsOf(hops) },
}));

export const VERIFY_DIV_CASES: VerifyDivCase[] = [
  {
    title: 'a call that was not forwarded (one shaken header) is answered as before',
    build: async (f) => ({ identity: [await f.shaken()], ruri: N[0], to: N[0] }),
    expect: { verstat: 'TN-Validation-Passed', single: true, kinds: ['shaken'] },
  },
  ...passingChains,
  {
    title: 'reordered headers still pass: the order is free, the chain is rebuilt from the claims',
    build: async (f) => {
      const ids = await f.chain(5);
      return { identity: [ids[3]!, ids[5]!, ids[0]!, ids[1]!, ids[4]!, ids[2]!], ruri: N[5], to: N[0] };
    },
    expect: { verstat: 'TN-Validation-Passed', chain: [2, 3, 5, 0, 4, 1], problems: [], kinds: ['div', 'div', 'shaken', 'div', 'div', 'div'] },
  },
  {
    title: 'a div-o alone (the shaken header dropped on the way) passes: its opt nests the shaken, judged as if received',
    build: async (f) => ({ identity: [await f.divO([await f.shaken()], N[1])], ruri: N[1], to: N[0] }),
    expect: { verstat: 'TN-Validation-Passed', chain: [1, 0], problems: [], kinds: ['div-o', 'shaken'], logKinds: ['div-o'] },
  },
  {
    title: 'a wrong div (not the shaken dest) is 438 div_unlinked',
    build: async (f) => ({ identity: [await f.shaken(), await f.div(ELSEWHERE, N[1])], ruri: N[1], to: N[0] }),
    expect: { verstat: 'No-TN-Validation', sip: 438, reason: 'div_unlinked', chain: [0], problems: ['div_unlinked', 'not_connected'] },
  },
  {
    title: 'a div whose certificate does not chain to the trust anchor (x5u without the intermediate) fails the call: 437 cert_untrusted',
    build: async (f) => ({ identity: [await f.shaken(), await f.div(N[0], N[1], { by: 'unchained' })], ruri: N[1], to: N[0] }),
    expect: { verstat: 'TN-Validation-Failed', sip: 437, reason: 'cert_untrusted', chain: [0, 1], problems: [], failedHeader: 1 },
  },
  {
    title: 'a div from an unrelated lab PKI (root not trusted) fails the call: 437 cert_untrusted',
    build: async (f) => ({ identity: [await f.shaken(), await f.div(N[0], N[1], { by: 'unrelated' })], ruri: N[1], to: N[0] }),
    expect: { verstat: 'TN-Validation-Failed', sip: 437, reason: 'cert_untrusted', chain: [0, 1], problems: [], failedHeader: 1 },
  },
  {
    title: 'a stale div (signed two minutes ago) is 403 iat_stale, still placed in the chain',
    build: async (f) => ({ identity: [await f.shaken(), await f.div(N[0], N[1], { by: 'stale' })], ruri: N[1], to: N[0] }),
    expect: { verstat: 'No-TN-Validation', sip: 403, reason: 'iat_stale', chain: [0, 1], problems: [], failedHeader: 1 },
  },
  {
    title: 'a missing hop (hop 2 of 3 left out) is 438 div_unlinked',
    build: async (f) => {
      const ids = await f.chain(3);
      return { identity: [ids[0]!, ids[1]!, ids[3]!], ruri: N[3], to: N[0] };
    },
    expect: { verstat: 'No-TN-Validation', sip: 438, reason: 'div_unlinked', chain: [0, 1], problems: ['div_unlinked', 'not_connected'] },
  },
  {
    title: 'a loop (forwarded back to the first number) is 438 div_loop',
    build: async (f) => ({ identity: [await f.shaken(), await f.div(N[0], N[1]), await f.div(N[1], N[0], { by: 'fwdB' })], ruri: N[0], to: N[0] }),
    expect: { verstat: 'No-TN-Validation', sip: 438, reason: 'div_loop', chain: [0, 1, 2], problems: ['div_loop'] },
  },
  {
    title: 'a div whose orig is not the shaken orig is 438 div_orig_mismatch',
    build: async (f) => ({ identity: [await f.shaken(), await f.div(N[0], N[1], { orig: '14045269999' })], ruri: N[1], to: N[0] }),
    expect: { verstat: 'No-TN-Validation', sip: 438, reason: 'div_orig_mismatch', chain: [0, 1], problems: ['div_orig_mismatch'] },
  },
  {
    title: 'a call whose last dest is not the number called now is 438 not_connected',
    build: async (f) => ({ identity: await f.chain(2), ruri: N[5], to: N[0] }),
    expect: { verstat: 'No-TN-Validation', sip: 438, reason: 'not_connected', chain: [0, 1, 2], problems: ['not_connected'] },
  },
];
