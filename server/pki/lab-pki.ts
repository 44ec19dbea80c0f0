import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import { ShakenError } from '../core/errors.js';

/*
 * The demo and lab PKI: a root, an intermediate and SHAKEN leaves made on the spot. It issues the demo account's
 * chain on first start (`manage/demo.ts`), the chain of `shakenstack pki init` for a lab, and the tests'
 * chains. Its root is trusted by nobody else: never a production credential.
 */

/** A certificate and its private key, both PEM. */
export interface IssuedCert {
  certPem: string;
  /** PKCS#8 (`-----BEGIN PRIVATE KEY-----`). */
  keyPem: string;
}

export interface LabPki {
  root: IssuedCert;
  intermediate: IssuedCert;
  leaf: IssuedCert;
  /** Leaf then intermediate: the x5u file. */
  chainPem: string;
}

export interface LabPkiOptions {
  /** Default '1234'. */
  spc?: string;
  /** Default 'shakenstack test'. */
  organization?: string;
  /** Default 'US'. */
  country?: string;
  /** CRL distribution point; default 'http://127.0.0.1/crl/test.crl'. */
  crlUrl?: string;
  /** Default now - 1 h. */
  leafNotBefore?: Date;
  /** Default now + 365 d. */
  leafNotAfter?: Date;
  /** Default 'P-256'; 'P-384' makes a leaf the signer must refuse. */
  leafKeyCurve?: 'P-256' | 'P-384';
  /** Leave out the TNAuthList extension. */
  omitTnAuthList?: boolean;
  /** More leaf extensions, as OID and DER value (tests: JWT Claim Constraints, RFC 8226 §8). Not critical. */
  leafExtensions?: { oid: string; der: Uint8Array }[];
}

// Passed to every @peculiar/x509 call rather than set globally with cryptoProvider.set().
const crypto = webcrypto as unknown as Crypto;
const OID_TN_AUTH_LIST = '1.3.6.1.5.5.7.1.26';
/** ATIS-1000080 SHAKEN certificate policy. */
const OID_SHAKEN_POLICY = '2.16.840.1.114569.1.1.3';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const CA_USAGES = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

type Curve = 'P-256' | 'P-384';

interface Defaults {
  spc: string;
  organization: string;
  country: string;
  crlUrl: string;
}

function withDefaults(opts: LabPkiOptions): Defaults {
  const d = {
    spc: opts.spc ?? '1234',
    organization: opts.organization ?? 'shakenstack test',
    country: opts.country ?? 'US',
    crlUrl: opts.crlUrl ?? 'http://127.0.0.1/crl/test.crl',
  };
  // ServiceProviderCode is an IA5String (RFC 8226 §9); countryName is two PrintableString letters (RFC 5280).
  if (!/^[\x20-\x7e]+$/.test(d.spc)) throw fieldInvalid('spc', 'the SPC must be non-empty printable ASCII');
  if (!/^[A-Z]{2}$/.test(d.country)) throw fieldInvalid('country', 'the country must be two capital letters (ISO 3166)');
  if (d.organization.trim() === '') throw fieldInvalid('organization', 'the organization must not be empty');
  return d;
}

function fieldInvalid(field: string, reason: string): ShakenError {
  return new ShakenError('ERR_REQ_FIELD_INVALID', reason, { field });
}

/** A root, an intermediate and one SHAKEN leaf (ATIS-1000080), all ECDSA P-256 with ecdsa-with-SHA256 by default. */
export async function createLabPki(opts: LabPkiOptions = {}): Promise<LabPki> {
  const d = withDefaults(opts);
  const now = Date.now();
  const rootKeys = await generateKeys('P-256');
  const root = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: distinguishedName(d, `${d.organization} root CA`),
      notBefore: new Date(now - HOUR_MS),
      notAfter: new Date(now + 10 * 365 * DAY_MS),
      keys: rootKeys,
      signingAlgorithm: signingAlgorithm('P-256'),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(CA_USAGES, true),
        await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  const intKeys = await generateKeys('P-256');
  const intCert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: distinguishedName(d, `${d.organization} intermediate CA`),
      issuer: root.subjectName,
      notBefore: new Date(now - HOUR_MS),
      notAfter: new Date(now + 5 * 365 * DAY_MS),
      publicKey: intKeys.publicKey,
      signingKey: rootKeys.privateKey,
      signingAlgorithm: signingAlgorithm('P-256'),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(CA_USAGES, true),
        await x509.SubjectKeyIdentifierExtension.create(intKeys.publicKey, false, crypto),
        authorityKeyId(root),
        new x509.CertificatePolicyExtension([OID_SHAKEN_POLICY]),
        new x509.CRLDistributionPointsExtension([d.crlUrl]),
      ],
    },
    crypto,
  );

  const intermediate = { certPem: pemOf(intCert), keyPem: await pkcs8Pem(intKeys.privateKey) };
  const { leaf, chainPem } = await issueLeaf(intermediate, opts);
  return { root: { certPem: pemOf(root), keyPem: await pkcs8Pem(rootKeys.privateKey) }, intermediate, leaf, chainPem };
}

/** Issues one more SHAKEN leaf under an existing intermediate (for rotation tests and `pki issue`). */
export async function issueLeaf(
  intermediate: IssuedCert,
  opts: LabPkiOptions = {},
): Promise<{ leaf: IssuedCert; chainPem: string }> {
  const d = withDefaults(opts);
  const now = Date.now();
  const issuerCert = new x509.X509Certificate(intermediate.certPem);
  const issuerKey = await importSigningKey(intermediate.keyPem);
  const leafKeys = await generateKeys(opts.leafKeyCurve ?? 'P-256');
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey, false, crypto),
    authorityKeyId(issuerCert),
    new x509.CertificatePolicyExtension([OID_SHAKEN_POLICY]),
    new x509.CRLDistributionPointsExtension([d.crlUrl]),
  ];
  if (opts.omitTnAuthList !== true) extensions.push(tnAuthList(d.spc));
  for (const e of opts.leafExtensions ?? []) extensions.push(new x509.Extension(e.oid, false, new Uint8Array(e.der)));

  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: distinguishedName(d, `SHAKEN ${d.spc}`),
      issuer: issuerCert.subjectName,
      notBefore: opts.leafNotBefore ?? new Date(now - HOUR_MS),
      notAfter: opts.leafNotAfter ?? new Date(now + 365 * DAY_MS),
      publicKey: leafKeys.publicKey,
      signingKey: issuerKey.key,
      signingAlgorithm: signingAlgorithm(issuerKey.curve),
      extensions,
    },
    crypto,
  );
  const leaf = { certPem: pemOf(cert), keyPem: await pkcs8Pem(leafKeys.privateKey) };
  return { leaf, chainPem: leaf.certPem + pemOf(issuerCert) };
}

/**
 * `C, O, CN` in that DER order, so the RFC 4514 string reads `CN=..., O=..., C=...`. Values go in as typed
 * strings: @peculiar/x509 treats plain string values as DN syntax (quotes, backslashes, a leading '#').
 */
function distinguishedName(d: Defaults, commonName: string): x509.Name {
  const text = (value: string): x509.JsonAttributeObject =>
    x509.Name.isPrintableString(value) ? { printableString: value } : { utf8String: value };
  return new x509.Name([{ C: [{ printableString: d.country }] }, { O: [text(d.organization)] }, { CN: [text(commonName)] }]);
}

/** RFC 8226 §9: TNAuthList (non-critical) holding one SPC entry, `[0] EXPLICIT IA5String`. */
function tnAuthList(spc: string): x509.Extension {
  const entry = new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 0 },
    value: [new asn1js.IA5String({ value: spc })],
  });
  return new x509.Extension(OID_TN_AUTH_LIST, false, new asn1js.Sequence({ value: [entry] }).toBER());
}

/** Points at the issuer's own subject key identifier when it has one, so the two always agree. */
function authorityKeyId(issuer: x509.X509Certificate): x509.AuthorityKeyIdentifierExtension {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski === null) {
    throw new ShakenError('ERR_CRED_INVALID', 'the issuing certificate has no subject key identifier', { field: 'intermediate' });
  }
  return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
}

function generateKeys(curve: Curve): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify']);
}

/** ATIS-1000080 uses ecdsa-with-SHA256 throughout; a P-384 issuer still signs with SHA-256 here. */
function signingAlgorithm(curve: Curve): EcKeyGenParams & EcdsaParams {
  return { name: 'ECDSA', namedCurve: curve, hash: 'SHA-256' };
}

async function importSigningKey(keyPem: string): Promise<{ key: CryptoKey; curve: Curve }> {
  const key = createPrivateKey(keyPem);
  const named = key.asymmetricKeyDetails?.namedCurve;
  const curve = named === 'prime256v1' ? 'P-256' : named === 'secp384r1' ? 'P-384' : undefined;
  if (key.asymmetricKeyType !== 'ec' || curve === undefined) {
    throw new ShakenError('ERR_CRED_INVALID', 'the intermediate key must be ECDSA P-256 or P-384', { field: 'intermediate' });
  }
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const cryptoKey = await crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, false, ['sign']);
  return { key: cryptoKey, curve };
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  return KeyObject.from(key as unknown as webcrypto.CryptoKey).export({ type: 'pkcs8', format: 'pem' }).toString();
}

function pemOf(cert: x509.X509Certificate): string {
  return `${cert.toString('pem').trim()}\n`;
}

/** RFC 5280 §4.1.2.2: positive, at most 20 octets; 16 random octets with the top bit clear and a non-zero first octet. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return bytes.toString('hex');
}
