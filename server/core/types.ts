import type { RcdRequest, RcdSigned } from './rcd/rcd-types.js';

export type Attestation = 'A' | 'B' | 'C';

export type PolicyMode = 'enforce' | 'trust';
export type NonNumericOrigPolicy = 'B' | 'C' | 'refuse';
/** What kind of source a caller is: a customer trunk/application, or a gateway or interconnect. */
export type SourceKind = 'customer' | 'gateway';

/** `orig` per RFC 8225 §5.2.1: exactly one telephone number or one URI. */
export type Orig = { tn: string } | { uri: string };

/** `dest` per RFC 8225 §5.2.1: arrays of canonical TNs and/or URIs; at least one entry overall. */
export interface Dest {
  tn?: string[];
  uri?: string[];
}

/** A sign request after validation: numbers canonical, fields well-formed. */
export interface SignRequest {
  orig: Orig;
  dest: Dest;
  /** The level the caller asked for (body, or a header that beats it); undefined means the account default. */
  attest?: Attestation;
  origid?: string;
  iat?: number;
  /** Rich Call Data asked for (RFC 9795): a vetted profile, or fields that must equal one. */
  rcd?: RcdRequest;
}

export type Transport = 'http' | 'grpc' | 'sip' | 'cli';

/** What a request-log record is about: a signature (STI-AS) or a verification (STI-VS). */
export type RequestKind = 'sign' | 'verify';

/** Who is asking: resolved from an API key (or a SIP source) before the core signs. */
export interface CallerContext {
  accountId: string;
  apiKeyId?: string;
  sourceKind: SourceKind;
  transport: Transport;
}

/** Why a call got the level it got; `requested` and `account-default` mean nothing lowered it. */
export type AttestationReason =
  | 'requested'
  | 'account-default'
  | 'account-maximum'
  | 'tn-not-in-inventory'
  | 'gateway-source'
  | 'non-numeric-caller';

export interface SignResult {
  /** The full Identity header value: `<jws>;info=<x5u>;alg=ES256;ppt=shaken`. */
  identity: string;
  passport: string;
  attest: Attestation;
  requestedAttest: Attestation;
  downgraded: boolean;
  attestReason: AttestationReason;
  origid: string;
  iat: number;
  x5u: string;
  credentialId: string;
  /** Whose call this was and where it goes (canonical), for decisions made after signing (routing). */
  accountId: string;
  dest: Dest;
  /** The RCD signed with the call, when the request asked for it. */
  rcd?: RcdSigned;
}

export interface ShakenClaims {
  attest: Attestation;
  dest: Dest;
  iat: number;
  orig: Orig;
  origid: string;
}

/**
 * A call's Date header (RFC 8224 §4.1: the iat of its PASSporT; §6.2.1: its freshness), as the transport read
 * it: whole seconds, or present but unreadable. An absent Date is `undefined` where a CallDate is taken.
 */
export type CallDate = { readable: true; sec: number } | { readable: false };
