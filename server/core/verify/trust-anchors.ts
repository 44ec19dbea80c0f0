import { X509Certificate, createHash } from 'node:crypto';
import { certificateFields } from '../der.js';

/** One configured STI-CA root (or any certificate the operator chose to trust as the end of a path). */
export interface TrustAnchor {
  x509: X509Certificate;
  /** Hex SHA-256 of the DER. */
  fingerprint: string;
  subjectRaw: Buffer;
  subject: string;
  notBefore: number;
  notAfter: number;
}

/** A set of anchors as loaded at one moment. `generation` changes on every reload, so cached path verdicts know they are stale. */
export interface TrustAnchors {
  generation: number;
  anchors: readonly TrustAnchor[];
  /** Where they came from, for messages (`/etc/shakenstack/sti-ca.pem, 3 certificates`). */
  description: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g;

export class TrustAnchorError extends Error {}

/** Reads every CERTIFICATE block of the given PEM texts. Throws TrustAnchorError naming the bad block. */
export function parseTrustAnchors(pems: readonly { name: string; text: string }[], generation: number): TrustAnchors {
  const anchors: TrustAnchor[] = [];
  const seen = new Set<string>();
  for (const { name, text } of pems) {
    let n = 0;
    for (const [, body] of text.matchAll(PEM_CERT)) {
      n++;
      const der = Buffer.from(body!.replace(/\s+/g, ''), 'base64');
      let x509: X509Certificate;
      try {
        x509 = new X509Certificate(der);
      } catch (e) {
        throw new TrustAnchorError(`${name}: certificate ${n} does not parse: ${(e as Error).message}`);
      }
      const notBefore = Date.parse(x509.validFrom);
      const notAfter = Date.parse(x509.validTo);
      if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) throw new TrustAnchorError(`${name}: certificate ${n} has a validity this verifier cannot read`);
      const fingerprint = createHash('sha256').update(der).digest('hex');
      if (seen.has(fingerprint)) continue;
      seen.add(fingerprint);
      anchors.push({
        x509,
        fingerprint,
        subjectRaw: certificateFields(der).subjectRaw,
        subject: x509.subject.replace(/\n/g, ', '),
        notBefore,
        notAfter,
      });
    }
  }
  const names = pems.map((p) => p.name).join(', ');
  return { generation, anchors, description: `${names || '(none)'}: ${anchors.length} certificate${anchors.length === 1 ? '' : 's'}` };
}

/** No anchors: every chain is untrusted. What the verifier uses when `verify.trustAnchors` is unset. */
export function emptyTrustAnchors(): TrustAnchors {
  return { generation: 0, anchors: [], description: 'no trust anchors configured (verify.trustAnchors)' };
}

/** A fixed set (CLI `--trust`, tests). */
export function staticTrustSource(anchors: TrustAnchors): { current(): TrustAnchors } {
  return { current: () => anchors };
}
