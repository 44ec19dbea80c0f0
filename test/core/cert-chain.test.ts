import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import { X509Certificate, createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  assertCredentialUsable,
  daysUntilExpiry,
  parseCertificateChain,
} from '../../server/core/cert-chain.js';
import { ShakenError } from '../../server/core/errors.js';
import { createLabPki, issueLeaf, type IssuedCert, type LabPki } from '../../server/pki/lab-pki.js';

const DAY_MS = 86_400_000;
// Whole seconds: X.509 times carry no milliseconds.
const NOT_BEFORE = new Date(Math.floor(Date.now() / 1000) * 1000 - DAY_MS);
const NOT_AFTER = new Date(NOT_BEFORE.getTime() + 90 * DAY_MS);

let pki: LabPki;

beforeAll(async () => {
  pki = await createLabPki({ leafNotBefore: NOT_BEFORE, leafNotAfter: NOT_AFTER });
});

function thrown(fn: () => unknown): ShakenError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ShakenError) return e;
    throw e;
  }
  throw new Error('expected a ShakenError, nothing was thrown');
}

function publicKeyOf(cert: IssuedCert) {
  return createPublicKey(cert.keyPem);
}

/** Signs a leaf carrying an arbitrary TNAuthList value, to read encodings the lab PKI never writes. */
async function leafWithTnAuthList(value: ArrayBuffer): Promise<string> {
  const crypto = webcrypto as unknown as Crypto;
  const issuer = new x509.X509Certificate(pki.intermediate.certPem);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const signingKey = await crypto.subtle.importKey(
    'pkcs8',
    createPrivateKey(pki.intermediate.keyPem).export({ type: 'pkcs8', format: 'der' }),
    alg,
    false,
    ['sign'],
  );
  const keys = await crypto.subtle.generateKey(alg, false, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: 'CN=SHAKEN 9999, O=tn test, C=US',
      issuer: issuer.subjectName,
      publicKey: keys.publicKey,
      signingKey,
      signingAlgorithm: alg,
      extensions: [new x509.Extension('1.3.6.1.5.5.7.1.26', false, value)],
    },
    crypto,
  );
  return cert.toString('pem') + '\n' + pki.intermediate.certPem;
}

describe('parseCertificateChain', () => {
  test('parses a generated chain leaf first, with subject, issuer, SPC, validity and fingerprint', () => {
    const chain = parseCertificateChain(pki.chainPem);
    const leafX509 = new X509Certificate(pki.leaf.certPem);

    expect(chain.certs).toHaveLength(2);
    expect(chain.leaf).toBe(chain.certs[0]);
    expect(chain.leaf).toMatchObject({
      subject: 'CN=SHAKEN 1234, O=shakenstack test, C=US',
      issuer: 'CN=shakenstack test intermediate CA, O=shakenstack test, C=US',
      spc: '1234',
      isCa: false,
      publicKeyAlgorithm: 'EC P-256',
      serialNumber: leafX509.serialNumber.toLowerCase(),
      fingerprintSha256: leafX509.fingerprint256.replaceAll(':', '').toLowerCase(),
    });
    expect(chain.leaf.notBefore).toEqual(NOT_BEFORE);
    expect(chain.leaf.notAfter).toEqual(NOT_AFTER);
    expect(chain.certs[1]).toMatchObject({
      subject: chain.leaf.issuer,
      issuer: 'CN=shakenstack test root CA, O=shakenstack test, C=US',
      spc: null,
      isCa: true,
    });
  });

  test('returns the leaf public key, equal to the public half of the leaf private key', () => {
    const chain = parseCertificateChain(pki.chainPem);
    expect(chain.leafPublicKey.equals(publicKeyOf(pki.leaf))).toBe(true);
  });

  test('normalises the PEM: drops CRLF, surrounding text and non-certificate blocks, ends in one newline', () => {
    const ecParams = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
    const messy = `subject=CN=SHAKEN 1234\r\n${pki.leaf.certPem.replaceAll('\n', '\r\n')}\r\n${ecParams}\n${pki.intermediate.certPem}\n\n\n`;
    const chain = parseCertificateChain(messy);
    expect(chain.pem).toBe(pki.chainPem);
    expect(chain.pem.endsWith('-----\n')).toBe(true);
    expect(chain.pem.match(/-----BEGIN /g)).toHaveLength(2);
  });

  test('reads a leaf without TNAuthList with spc null', async () => {
    const { chainPem } = await issueLeaf(pki.intermediate, { omitTnAuthList: true });
    expect(parseCertificateChain(chainPem).leaf.spc).toBeNull();
  });

  test('reads the SPC from an implicitly tagged [0] entry as well as the RFC 8226 explicit form', async () => {
    const implicit = new asn1js.Sequence({
      value: [new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: Buffer.from('567A') })],
    }).toBER();
    expect(parseCertificateChain(await leafWithTnAuthList(implicit)).leaf.spc).toBe('567A');
  });

  test('reports spc null when the TNAuthList holds only a telephone-number entry', async () => {
    const one = new asn1js.Sequence({
      value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 2 }, value: [new asn1js.IA5String({ value: '12025550100' })] })],
    }).toBER();
    expect(parseCertificateChain(await leafWithTnAuthList(one)).leaf.spc).toBeNull();
  });

  test('refuses a TNAuthList that is not a SEQUENCE with ERR_CRED_INVALID', async () => {
    const pem = await leafWithTnAuthList(new asn1js.IA5String({ value: '1234' }).toBER());
    expect(thrown(() => parseCertificateChain(pem))).toMatchObject({ code: 'ERR_CRED_INVALID', field: 'chain' });
  });

  test('writes subject values with RFC 4514 escaping', async () => {
    const odd = await createLabPki({ organization: 'A&B, "x" ' });
    expect(parseCertificateChain(odd.chainPem).leaf.subject).toBe('CN=SHAKEN 1234, O=A&B\\, \\"x\\"\\ , C=US');
  });

  test.each([
    ['an empty string', ''],
    ['white space only', ' \n\t\n'],
  ])('refuses %s as an empty chain', (_name, pem) => {
    const e = thrown(() => parseCertificateChain(pem));
    expect(e).toMatchObject({ code: 'ERR_CRED_INVALID', field: 'chain' });
    expect(e.reason).toMatch(/empty/);
  });

  test.each([
    ['text without any PEM block', 'not a certificate at all'],
    ['only a PUBLIC KEY block', () => createPublicKey(pki.leaf.keyPem).export({ type: 'spki', format: 'pem' }).toString()],
  ])('refuses %s as holding no certificate', (_name, input) => {
    const pem = typeof input === 'function' ? input() : input;
    const e = thrown(() => parseCertificateChain(pem));
    expect(e).toMatchObject({ code: 'ERR_CRED_INVALID', field: 'chain' });
    expect(e.reason).toMatch(/no CERTIFICATE/);
  });

  test.each([
    ['PKCS#8 PRIVATE KEY after the certificates', () => pki.chainPem + pki.leaf.keyPem],
    ['PKCS#8 PRIVATE KEY before the certificates', () => pki.leaf.keyPem + pki.chainPem],
    ['SEC1 EC PRIVATE KEY', () => pki.chainPem + createPrivateKey(pki.leaf.keyPem).export({ type: 'sec1', format: 'pem' }).toString()],
  ])('refuses a chain carrying a %s and says the x5u file must not hold a key', (_name, make) => {
    const e = thrown(() => parseCertificateChain(make()));
    expect(e).toMatchObject({ code: 'ERR_CRED_INVALID', field: 'chain' });
    expect(e.reason).toMatch(/private key/);
  });

  test.each([
    ['invalid base64', '-----BEGIN CERTIFICATE-----\nMIIB!!!!not*base64\n-----END CERTIFICATE-----\n'],
    ['base64 that is not DER', '-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n'],
    ['an empty block', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n'],
    ['a block without its END line', '-----BEGIN CERTIFICATE-----\nMIIBhjCCASygAwIBAgICAasw\n'],
  ])('refuses %s with ERR_CRED_INVALID', (_name, pem) => {
    expect(thrown(() => parseCertificateChain(pem))).toMatchObject({ code: 'ERR_CRED_INVALID', field: 'chain' });
  });

  test('refuses a certificate whose DER has trailing bytes', () => {
    const der = Buffer.concat([new X509Certificate(pki.leaf.certPem).raw, Buffer.from([0, 0])]);
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    expect(thrown(() => parseCertificateChain(pem))).toMatchObject({ code: 'ERR_CRED_INVALID', field: 'chain' });
  });

  test('accepts ten certificates and refuses eleven', () => {
    expect(parseCertificateChain(pki.leaf.certPem.repeat(10)).certs).toHaveLength(10);
    const e = thrown(() => parseCertificateChain(pki.leaf.certPem.repeat(11)));
    expect(e).toMatchObject({ code: 'ERR_CRED_INVALID', field: 'chain' });
    expect(e.reason).toMatch(/more than 10/);
  });
});

describe('assertCredentialUsable', () => {
  test('passes for the leaf key inside the validity period, given its public or private half', () => {
    const chain = parseCertificateChain(pki.chainPem);
    const now = NOT_BEFORE.getTime() + DAY_MS;
    expect(() => assertCredentialUsable(chain, publicKeyOf(pki.leaf), now)).not.toThrow();
    expect(() => assertCredentialUsable(chain, createPrivateKey(pki.leaf.keyPem), now)).not.toThrow();
  });

  test('treats notBefore and notAfter as inclusive bounds', () => {
    const chain = parseCertificateChain(pki.chainPem);
    expect(() => assertCredentialUsable(chain, publicKeyOf(pki.leaf), NOT_BEFORE.getTime())).not.toThrow();
    expect(() => assertCredentialUsable(chain, publicKeyOf(pki.leaf), NOT_AFTER.getTime())).not.toThrow();
  });

  test('refuses an expired leaf with ERR_CRED_EXPIRED', async () => {
    const notAfter = new Date(Date.now() - DAY_MS);
    const { leaf, chainPem } = await issueLeaf(pki.intermediate, {
      leafNotBefore: new Date(notAfter.getTime() - 30 * DAY_MS),
      leafNotAfter: notAfter,
    });
    const e = thrown(() => assertCredentialUsable(parseCertificateChain(chainPem), publicKeyOf(leaf), Date.now()));
    expect(e).toMatchObject({ code: 'ERR_CRED_EXPIRED', field: 'chain' });
  });

  test('refuses a leaf that is not yet valid with ERR_CRED_NOT_YET_VALID', async () => {
    const notBefore = new Date(Date.now() + DAY_MS);
    const { leaf, chainPem } = await issueLeaf(pki.intermediate, {
      leafNotBefore: notBefore,
      leafNotAfter: new Date(notBefore.getTime() + 30 * DAY_MS),
    });
    const e = thrown(() => assertCredentialUsable(parseCertificateChain(chainPem), publicKeyOf(leaf), Date.now()));
    expect(e).toMatchObject({ code: 'ERR_CRED_NOT_YET_VALID', field: 'chain' });
  });

  test('refuses the key of another leaf with ERR_CRED_KEY_MISMATCH', async () => {
    const other = await issueLeaf(pki.intermediate);
    const chain = parseCertificateChain(pki.chainPem);
    const e = thrown(() => assertCredentialUsable(chain, publicKeyOf(other.leaf), NOT_BEFORE.getTime() + DAY_MS));
    expect(e).toMatchObject({ code: 'ERR_CRED_KEY_MISMATCH', field: 'chain' });
  });

  test('refuses a P-384 leaf, even with its own key, with ERR_CRED_INVALID', async () => {
    const { leaf, chainPem } = await issueLeaf(pki.intermediate, { leafKeyCurve: 'P-384' });
    const chain = parseCertificateChain(chainPem);
    expect(chain.leaf.publicKeyAlgorithm).toBe('EC P-384');
    const e = thrown(() => assertCredentialUsable(chain, publicKeyOf(leaf), Date.now()));
    expect(e).toMatchObject({ code: 'ERR_CRED_INVALID', field: 'chain' });
    expect(e.reason).toMatch(/P-256/);
  });
});

describe('daysUntilExpiry', () => {
  const leaf = () => parseCertificateChain(pki.chainPem).leaf;

  test.each([
    ['ten days and a millisecond before notAfter', -(10 * DAY_MS + 1), 10],
    ['half a day before notAfter', -DAY_MS / 2, 0],
    ['exactly at notAfter', 0, 0],
    ['one millisecond after notAfter', 1, -1],
    ['a day and a millisecond after notAfter', DAY_MS + 1, -2],
  ])('counts whole days, rounded down, %s', (_name, offsetMs, days) => {
    expect(daysUntilExpiry(leaf(), NOT_AFTER.getTime() + offsetMs)).toBe(days);
  });
});
