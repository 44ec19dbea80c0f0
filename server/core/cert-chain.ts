import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { DerError, TAG, childrenOf, oidOf, readTlv, timeOf, type Tlv } from './der.js';
import { ShakenError } from './errors.js';

/** What the service needs to know about one certificate of a credential's chain. */
export interface CertInfo {
  /** RFC 4514 string, most specific RDN first: `CN=SHAKEN 1234, O=Example, C=US`. */
  subject: string;
  issuer: string;
  /** Hex, lowercase, without leading zero octets. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** The SPC entry of the TNAuthList extension (RFC 8226 §9), null when the extension or the entry is absent. */
  spc: string | null;
  /** Hex SHA-256 of the DER, lowercase, without colons. */
  fingerprintSha256: string;
  isCa: boolean;
  /** `EC P-256`, `EC P-384`, `RSA`, ... */
  publicKeyAlgorithm: string;
}

export interface ParsedChain {
  leaf: CertInfo;
  /** Leaf first, then intermediates, in the order given. */
  certs: CertInfo[];
  leafPublicKey: KeyObject;
  /** The leaf's DER, for what reads its extensions further (JWT Claim Constraints). */
  leafDer: Buffer;
  /** CERTIFICATE blocks only, leaf first, ending in one newline: what the x5u URL serves. */
  pem: string;
}

const MAX_CERTS = 10;
const OID_TN_AUTH_LIST = '1.3.6.1.5.5.7.1.26';
const DAY_MS = 86_400_000;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \1-----/g;
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
/** RFC 4514 §3 short names; any other attribute type is written as a dotted OID. */
const DN_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

function invalid(reason: string, cause?: unknown): ShakenError {
  return new ShakenError('ERR_CRED_INVALID', reason, { field: 'chain', cause });
}

/**
 * Parses a PEM chain (leaf first, then intermediates) as served at x5u. Refuses, with ERR_CRED_INVALID,
 * input that is empty, holds no certificate or more than ten, holds a private key, or does not decode.
 */
export function parseCertificateChain(pem: string): ParsedChain {
  const ders = pemCertificates(pem);
  const certs: CertInfo[] = [];
  let leafPublicKey: KeyObject | undefined;
  for (const [i, der] of ders.entries()) {
    const { info, publicKey } = readCertificate(der, i + 1);
    certs.push(info);
    leafPublicKey ??= publicKey;
  }
  const leaf = certs[0];
  if (leaf === undefined || leafPublicKey === undefined) throw invalid('the chain holds no certificate');
  return { leaf, certs, leafPublicKey, leafDer: ders[0]!, pem: ders.map(toPem).join('') };
}

/** Whole days from `nowMs` until the certificate's notAfter, rounded down; negative once expired. */
export function daysUntilExpiry(cert: CertInfo, nowMs: number): number {
  return Math.floor((cert.notAfter.getTime() - nowMs) / DAY_MS);
}

/**
 * Throws ERR_CRED_* if the credential must not sign at nowMs: leaf not P-256/ecdsa, expired, not yet valid,
 * or `publicKey` (the signing key's public half) does not equal the leaf's key.
 */
export function assertCredentialUsable(chain: ParsedChain, publicKey: KeyObject, nowMs: number): void {
  const { leaf } = chain;
  // ATIS-1000080 and RFC 8588 (ES256) allow only ECDSA P-256 for the signing credential.
  if (leaf.publicKeyAlgorithm !== 'EC P-256') {
    throw invalid(`the leaf certificate key is ${leaf.publicKeyAlgorithm}; SHAKEN requires ECDSA P-256`);
  }
  const signing = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  if (!spki(signing).equals(spki(chain.leafPublicKey))) {
    throw new ShakenError('ERR_CRED_KEY_MISMATCH', 'the signing key does not match the leaf certificate public key', {
      field: 'chain',
    });
  }
  // RFC 5280 §4.1.2.5: both bounds are inclusive.
  if (nowMs < leaf.notBefore.getTime()) {
    throw new ShakenError('ERR_CRED_NOT_YET_VALID', `the leaf certificate is not valid before ${leaf.notBefore.toISOString()}`, {
      field: 'chain',
    });
  }
  if (nowMs > leaf.notAfter.getTime()) {
    throw new ShakenError('ERR_CRED_EXPIRED', `the leaf certificate expired at ${leaf.notAfter.toISOString()}`, {
      field: 'chain',
    });
  }
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

function pemCertificates(pem: string): Buffer[] {
  if (typeof pem !== 'string' || pem.trim() === '') throw invalid('the certificate chain is empty');
  // The x5u file is public (ATIS-1000080): a key in it would be published with it.
  if (PRIVATE_KEY_BLOCK.test(pem)) {
    throw invalid('the chain contains a private key; the x5u file must hold certificates only');
  }
  const ders: Buffer[] = [];
  for (const [, label, body = ''] of pem.matchAll(PEM_BLOCK)) {
    if (label !== 'CERTIFICATE') continue;
    if (ders.length === MAX_CERTS) throw invalid(`the chain holds more than ${MAX_CERTS} certificates`);
    const b64 = body.replace(/\s+/g, '');
    if (b64 === '' || b64.length % 4 !== 0 || !BASE64.test(b64)) {
      throw invalid(`certificate ${ders.length + 1} is not valid base64`);
    }
    ders.push(Buffer.from(b64, 'base64'));
  }
  const opened = pem.split('-----BEGIN CERTIFICATE-----').length - 1;
  if (opened !== ders.length) throw invalid('a CERTIFICATE block is not terminated by its END line');
  if (ders.length === 0) throw invalid('the chain holds no CERTIFICATE block');
  return ders;
}

function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function readCertificate(der: Buffer, n: number): { info: CertInfo; publicKey: KeyObject } {
  let x509: X509Certificate;
  let publicKey: KeyObject;
  try {
    x509 = new X509Certificate(der);
    publicKey = x509.publicKey;
  } catch (e) {
    throw invalid(`certificate ${n} is not a valid DER X.509 certificate`, e);
  }
  const tbs = readTbs(der, n);
  return {
    info: {
      subject: tbs.subject,
      issuer: tbs.issuer,
      serialNumber: x509.serialNumber.toLowerCase().replace(/^(?:00)+(?=.)/, ''),
      notBefore: tbs.notBefore,
      notAfter: tbs.notAfter,
      spc: tbs.spc,
      fingerprintSha256: createHash('sha256').update(der).digest('hex'),
      isCa: x509.ca,
      publicKeyAlgorithm: describeKey(publicKey),
    },
    publicKey,
  };
}

interface TbsFields {
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  spc: string | null;
}

/**
 * Reads what node:crypto's X509Certificate does not expose: RFC 4514 names, exact validity and extensions.
 * Walks the few TLVs it needs by hand: asn1js.fromBER on a whole certificate measured ~1.4 ms per
 * certificate against ~0.2 ms for node's own parse; asn1js still reads the small TNAuthList value.
 */
function readTbs(der: Buffer, n: number): TbsFields {
  const where = `certificate ${n}`;
  const cert = derOrInvalid(() => readTlv(der, 0), `${where} is not well-formed DER`);
  if (cert.tag !== TAG.SEQUENCE || cert.end !== der.length) throw invalid(`${where} has trailing or malformed DER`);
  const fields = kids(der, kids(der, cert, where)[0], where);
  // RFC 5280 §4.1: version [0] is optional, then serial, signature, issuer, validity, subject, SPKI.
  const first = fields[0]?.tag === TAG.CONTEXT_0 ? 1 : 0;
  const [issuer, validity, subject] = [fields[first + 2], fields[first + 3], fields[first + 4]];
  const [notBefore, notAfter] = kids(der, validity, where);
  let spc: string | null = null;
  const extensions = fields.slice(first + 6).find((f) => f.tag === TAG.CONTEXT_3);
  if (extensions !== undefined) {
    for (const ext of kids(der, kids(der, extensions, where)[0], where)) {
      const parts = kids(der, ext, where);
      const [oid, value] = [parts[0], parts[parts.length - 1]];
      if (oid?.tag === TAG.OID && oidOf(der, oid) === OID_TN_AUTH_LIST) {
        if (value?.tag !== TAG.OCTET_STRING) throw invalid(`${where} has a malformed TNAuthList`);
        spc = readSpc(der.subarray(value.start, value.end), where);
      }
    }
  }
  return {
    subject: formatName(der, subject, where),
    issuer: formatName(der, issuer, where),
    notBefore: timeValue(der, notBefore, where),
    notAfter: timeValue(der, notAfter, where),
    spc,
  };
}

/** Children of a constructed TLV; a missing or malformed one is this certificate's fault, said once here. */
function kids(der: Buffer, tlv: Tlv | undefined, where: string): Tlv[] {
  if (tlv === undefined) throw invalid(`${where} is not a well-formed certificate`);
  return derOrInvalid(() => childrenOf(der, tlv), `${where} is not well-formed DER`);
}

/** The shared DER reader throws DerError; for a credential that is ERR_CRED_INVALID with our wording. */
function derOrInvalid<T>(read: () => T, reason: string): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof DerError) throw invalid(reason, e);
    throw e;
  }
}

function timeValue(der: Buffer, tlv: Tlv | undefined, where: string): Date {
  if (tlv === undefined) throw invalid(`${where} has a malformed validity`);
  return new Date(derOrInvalid(() => timeOf(der, tlv), `${where} has a malformed validity`));
}

/**
 * RFC 8226 §9 (module in Appendix A, EXPLICIT TAGS): TNAuthorizationList ::= SEQUENCE OF TNEntry,
 * TNEntry ::= CHOICE { spc [0] ServiceProviderCode, range [1] ..., one [2] ... }, ServiceProviderCode ::= IA5String.
 * The explicit form wraps the IA5String in a constructed [0]; an implicit primitive [0] is also accepted.
 */
function readSpc(value: Buffer, where: string): string | null {
  const decoded = asn1js.fromBER(value);
  if (decoded.offset !== value.length || !(decoded.result instanceof asn1js.Sequence)) {
    throw invalid(`${where} has a malformed TNAuthList`);
  }
  for (const entry of decoded.result.valueBlock.value) {
    if (entry.idBlock.tagClass !== 3 || entry.idBlock.tagNumber !== 0) continue; // range [1] and one [2] carry no SPC
    let spc: string | undefined;
    if (entry instanceof asn1js.Constructed) {
      const [inner] = entry.valueBlock.value;
      if (inner instanceof asn1js.IA5String) spc = inner.getValue();
    } else if (entry instanceof asn1js.Primitive) {
      spc = Buffer.from(entry.valueBlock.valueHexView).toString('latin1');
    }
    if (spc === undefined || !/^[\x20-\x7e]+$/.test(spc)) throw invalid(`${where} has a malformed TNAuthList SPC`);
    return spc;
  }
  return null;
}

/** Name ::= SEQUENCE OF RDN, RDN ::= SET OF { type OID, value ANY }, written most specific RDN first (RFC 4514 §2.1). */
function formatName(der: Buffer, name: Tlv | undefined, where: string): string {
  const rdns = kids(der, name, where).map((rdn) =>
    kids(der, rdn, where)
      .map((atv) => {
        const [type, value] = kids(der, atv, where);
        if (type?.tag !== TAG.OID || value === undefined) throw invalid(`${where} has a malformed name`);
        const oid = oidOf(der, type);
        const short = DN_NAMES[oid];
        const text = short === undefined ? undefined : stringValue(der, value);
        // RFC 4514 §2.4: a dotted-OID type, or a value that is no string, is written as '#' and the hex of its BER.
        if (short === undefined || text === undefined) {
          return `${short ?? oid}=#${der.toString('hex', value.pos, value.end)}`;
        }
        return `${short}=${escapeDnValue(text)}`;
      })
      .join('+'),
  );
  return rdns.reverse().join(', ');
}

function stringValue(der: Buffer, tlv: Tlv): string | undefined {
  switch (tlv.tag) {
    case 0x0c: // UTF8String
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x1a: // VisibleString
      return der.toString('utf8', tlv.start, tlv.end);
    case 0x14: // TeletexString: read as Latin-1, as most software does
      return der.toString('latin1', tlv.start, tlv.end);
    case 0x1e: // BMPString: UTF-16BE
      return (tlv.end - tlv.start) % 2 === 0 ? Buffer.from(der.subarray(tlv.start, tlv.end)).swap16().toString('utf16le') : undefined;
    default:
      return undefined;
  }
}

/** RFC 4514 §2.4 escaping of an attribute value. */
function escapeDnValue(value: string): string {
  return value.replace(/[\\"+,;<>\0]|^[ #]| $/g, (c) => (c === '\0' ? '\\00' : `\\${c}`));
}

function describeKey(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown curve';
    return `EC ${CURVES[curve] ?? curve}`;
  }
  const names: Record<string, string> = { rsa: 'RSA', 'rsa-pss': 'RSA-PSS', ed25519: 'Ed25519', ed448: 'Ed448' };
  return names[type ?? ''] ?? (type ?? 'unknown').toUpperCase();
}
