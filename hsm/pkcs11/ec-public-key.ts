import { createPublicKey, type KeyObject } from 'node:crypto';
import { ShakenError } from '../../server/core/errors.js';

/** CKA_EC_PARAMS of P-256: the DER namedCurve OID 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1). */
export const P256_EC_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

const POINT_BYTES = 65;

/**
 * Builds the public KeyObject from CKA_EC_POINT. PKCS#11 (v2.40 §2.3.3) defines the value as the DER encoding of
 * an OCTET STRING around the X9.62 point 04||X||Y, which SoftHSM returns; some tokens return the bare point.
 */
export function publicKeyFromEcPoint(ecPoint: Buffer, where: string): KeyObject {
  let point = ecPoint;
  if (point.length === POINT_BYTES + 2 && point[0] === 0x04 && point[1] === POINT_BYTES) point = point.subarray(2);
  if (point.length !== POINT_BYTES || point[0] !== 0x04) {
    throw new ShakenError('ERR_CRED_INVALID', `${where}: the public key is not an uncompressed P-256 point`);
  }
  try {
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
      format: 'jwk',
    });
  } catch (e) {
    throw new ShakenError('ERR_CRED_INVALID', `${where}: the public key is not a point on P-256`, { cause: e });
  }
}
