import { X509Certificate, type KeyObject } from 'node:crypto';
import { parseCertificateChain, type CertInfo } from '../cert-chain.js';
import { certificateFields, childrenOf, readTlv, type CertificateFields } from '../der.js';

/** One certificate of a fetched chain, parsed once: node's object for signatures, our fields for names and extensions. */
export interface ChainCert {
  x509: X509Certificate;
  info: CertInfo;
  fields: CertificateFields;
}

/** A chain fetched from x5u, parsed once and cached with its key: the hot path never parses a certificate. */
export interface FetchedChain {
  certs: ChainCert[];
  leaf: ChainCert;
  leafKey: KeyObject;
  /** The first http(s) URI of the leaf's CRL distribution point (RFC 5280 §4.2.1.13), if any. */
  crlUrl: string | undefined;
}

export type ChainParse = { ok: true; chain: FetchedChain } | { ok: false; detail: string };

const OID_CRL_DP = '2.5.29.31';
const DER_TYPES = new Set(['application/pkix-cert', 'application/x-x509-ca-cert', 'application/pkcs7-mime', 'application/octet-stream']);

function pemOfDers(body: Buffer): string {
  // application/pkix-cert is one DER certificate (RFC 2585); consecutive ones are accepted as a chain, leaf first.
  const blocks: string[] = [];
  for (let pos = 0; pos < body.length; ) {
    const tlv = readTlv(body, pos);
    const b64 = body.subarray(pos, tlv.end).toString('base64').match(/.{1,64}/g)!.join('\n');
    blocks.push(`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
    pos = tlv.end;
  }
  return blocks.join('');
}

/**
 * The CRL distribution point URIs of a certificate: DistributionPoint.distributionPoint [0] fullName [0]
 * GeneralNames, uniformResourceIdentifier [6] IA5String (RFC 5280 §4.2.1.13).
 */
export function crlDistributionUrls(extensions: Map<string, Buffer>): string[] {
  const value = extensions.get(OID_CRL_DP);
  if (!value) return [];
  const urls: string[] = [];
  for (const dp of childrenOf(value, readTlv(value, 0))) {
    const dpName = childrenOf(value, dp).find((t) => t.tag === 0xa0);
    const fullName = dpName ? childrenOf(value, dpName).find((t) => t.tag === 0xa0) : undefined;
    for (const gn of fullName ? childrenOf(value, fullName) : []) {
      if (gn.tag === 0x86) urls.push(value.toString('latin1', gn.start, gn.end));
    }
  }
  return urls;
}

/** Parses what an x5u URL served: a PEM chain (leaf first) or DER (`application/pkix-cert`). Never throws. */
export function parseFetchedChain(body: Buffer, contentType: string | undefined): ChainParse {
  try {
    const looksPem = body.subarray(0, 64).toString('latin1').includes('-----BEGIN');
    const isDer = !looksPem && (body[0] === 0x30 || (contentType !== undefined && DER_TYPES.has(contentType)));
    const pem = isDer ? pemOfDers(body) : body.toString('utf8');
    const parsed = parseCertificateChain(pem);
    const blocks = parsed.pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g) ?? [];
    const certs = blocks.map((block, i) => {
      const x509 = new X509Certificate(block);
      return { x509, info: parsed.certs[i]!, fields: certificateFields(x509.raw) };
    });
    const leaf = certs[0]!;
    const crlUrl = crlDistributionUrls(leaf.fields.extensions).find((u) => /^https?:\/\//i.test(u));
    return { ok: true, chain: { certs, leaf, leafKey: parsed.leafPublicKey, crlUrl } };
  } catch (e) {
    const reason = (e as { reason?: string }).reason ?? (e as Error).message;
    return { ok: false, detail: reason };
  }
}
