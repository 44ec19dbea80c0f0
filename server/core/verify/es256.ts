import { verify, type KeyObject } from 'node:crypto';
import { ES256_SIGNATURE_BYTES } from '../passport.js';
import type { SignatureChecker } from './verify-ports.js';

/**
 * ES256 over the signing input as received (RFC 7515 §5.2: the octets, never re-serialised), with the key the
 * chain vouches for: the header's alg chose nothing. The one check, wherever it runs (on the event loop, or on
 * the verification thread: server/verify-fetch/signature-thread.ts).
 */
export function verifyEs256(signingInput: string, key: KeyObject, signature: Uint8Array): boolean {
  return verify('sha256', Buffer.from(signingInput, 'latin1'), { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/** The check on the caller's thread: no hand-off, the event loop pays the ~60-110 µs of an ECDSA verify. */
export const checkOnLoop: SignatureChecker = {
  check: (signingInput, key, signature) => Promise.resolve(verifyEs256(signingInput, key, signature)),
};

/**
 * Why a signature of `bytes` octets can never verify as ES256 (raw R||S, RFC 7518 §3.4: a DER-encoded or truncated
 * one), or undefined when its length fits. The verifier and `explain` judge it alike, before any fetch.
 */
export function es256LengthProblem(bytes: number): string | undefined {
  return bytes === ES256_SIGNATURE_BYTES ? undefined : `the signature is ${bytes} bytes; ES256 is ${ES256_SIGNATURE_BYTES}-byte R||S`;
}
