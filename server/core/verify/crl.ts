import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { DerError, TAG, childrenOf, oidOf, rawOf, readTlv, serialHex, timeOf } from '../der.js';

/** A certificate revocation list (RFC 5280 §5.1), read once and kept while it is fresh. */
export interface ParsedCrl {
  issuerRaw: Buffer;
  thisUpdate: number;
  nextUpdate: number | undefined;
  /** Revoked serial numbers, lower-case hex without leading zero octets (CertInfo.serialNumber's form). */
  revoked: Set<string>;
  tbs: Buffer;
  hash: string;
  signature: Buffer;
  /** Fingerprint of an issuer key → whether the CRL's signature verified with it; filled on first use. */
  signatureChecks: Map<string, boolean>;
}

/** RFC 5758 §3.2 / RFC 4055 §5: the signature algorithms an STI-CA uses; the hash is what crypto.verify needs. */
const SIGNATURE_HASH: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

const PEM_CRL = /-----BEGIN X509 CRL-----([^-]+)-----END X509 CRL-----/;

/** Reads a CRL in DER (`application/pkix-crl`) or PEM. Throws DerError when it is not one. */
export function parseCrl(body: Buffer): ParsedCrl {
  const pem = PEM_CRL.exec(body.subarray(0, 8).toString('latin1') === '-----BEG' ? body.toString('latin1') : '');
  const der: Buffer = pem ? Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64') : body;
  const outer = readTlv(der, 0);
  if (outer.tag !== TAG.SEQUENCE || outer.end !== der.length) throw new DerError('not a CertificateList');
  const [tbsTlv, algTlv, sigTlv] = childrenOf(der, outer);
  if (!tbsTlv || !algTlv || sigTlv?.tag !== TAG.BIT_STRING) throw new DerError('CertificateList is short');
  const algOid = oidOf(der, childrenOf(der, algTlv)[0]!);
  const hash = SIGNATURE_HASH[algOid];
  if (!hash) throw new DerError(`unsupported CRL signature algorithm ${algOid}`);
  const f = childrenOf(der, tbsTlv);
  let i = f[0]?.tag === TAG.INTEGER ? 1 : 0; // version is optional (v1 CRLs omit it)
  i++; // signature AlgorithmIdentifier
  const issuer = f[i++];
  const thisUpdate = f[i++];
  if (!issuer || !thisUpdate) throw new DerError('TBSCertList is short');
  let nextUpdate: number | undefined;
  if (f[i] && (f[i]!.tag === TAG.UTC_TIME || f[i]!.tag === TAG.GENERALIZED_TIME)) nextUpdate = timeOf(der, f[i++]!);
  const revoked = new Set<string>();
  if (f[i]?.tag === TAG.SEQUENCE) {
    for (const entry of childrenOf(der, f[i]!)) revoked.add(serialHex(der, childrenOf(der, entry)[0]!));
  }
  return {
    issuerRaw: rawOf(der, issuer),
    thisUpdate: timeOf(der, thisUpdate),
    nextUpdate,
    revoked,
    tbs: rawOf(der, tbsTlv),
    hash,
    // BIT STRING: the first content octet counts unused bits, always 0 for a signature.
    signature: Buffer.from(der.subarray(sigTlv.start + 1, sigTlv.end)),
    signatureChecks: new Map(),
  };
}

/** Whether `key` (with its fingerprint, for the memo) signed the CRL. ECDSA signatures in a CRL are DER, not R||S. */
export function crlSignedBy(crl: ParsedCrl, key: KeyObject, fingerprint: string): boolean {
  let ok = crl.signatureChecks.get(fingerprint);
  if (ok === undefined) {
    try {
      ok = cryptoVerify(crl.hash, crl.tbs, key, crl.signature);
    } catch {
      ok = false;
    }
    crl.signatureChecks.set(fingerprint, ok);
  }
  return ok;
}
