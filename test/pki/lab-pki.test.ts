import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ShakenError } from '../../server/core/errors.js';
import { createLabPki, issueLeaf, type LabPki } from '../../server/pki/lab-pki.js';

let dir: string;
let pki: LabPki;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shakenstack-pki-'));
  pki = await createLabPki();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the system openssl CLI, an implementation independent of ours, on PEM written to the temp dir. */
function openssl(args: string[], files: Record<string, string> = {}): { ok: boolean; out: string } {
  for (const [name, pem] of Object.entries(files)) writeFileSync(join(dir, name), pem);
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

function text(pem: string): string {
  const r = openssl(['x509', '-noout', '-text', '-in', 'cert.pem'], { 'cert.pem': pem });
  expect(r.ok).toBe(true);
  return r.out;
}

function verify(rootPem: string, intermediatePem: string, leafPem: string) {
  return openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'int.pem', 'leaf.pem'], {
    'root.pem': rootPem,
    'int.pem': intermediatePem,
    'leaf.pem': leafPem,
  });
}

describe('createLabPki, checked with openssl', () => {
  test('openssl verify accepts the leaf against the root with the intermediate untrusted', () => {
    const r = verify(pki.root.certPem, pki.intermediate.certPem, pki.leaf.certPem);
    expect(r.out).toContain('leaf.pem: OK');
    expect(r.ok).toBe(true);
  });

  test('openssl verify refuses the leaf against an unrelated root', async () => {
    const other = await createLabPki();
    const r = verify(other.root.certPem, pki.intermediate.certPem, pki.leaf.certPem);
    expect(r.ok).toBe(false);
  });

  test('the leaf is a SHAKEN certificate: subject, critical CA:FALSE and digitalSignature, TNAuthList, policy, CRL DP, key ids', () => {
    const out = text(pki.leaf.certPem);
    expect(out).toContain('Subject: C = US, O = shakenstack test, CN = SHAKEN 1234');
    expect(out).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(out).toMatch(/Key Usage: critical\s+Digital Signature\s*\n/);
    expect(out).toMatch(/1\.3\.6\.1\.5\.5\.7\.1\.26|TNAuthList|TN Authorization List/);
    expect(out).toContain('Policy: 2.16.840.1.114569.1.1.3');
    expect(out).toMatch(/CRL Distribution Points:\s+Full Name:\s+URI:http:\/\/127\.0\.0\.1\/crl\/test\.crl/);
    expect(out).toContain('Subject Key Identifier');
    expect(out).toContain('Authority Key Identifier');
  });

  test('every certificate is ECDSA P-256 signed with ecdsa-with-SHA256', () => {
    for (const cert of [pki.root, pki.intermediate, pki.leaf]) {
      const out = text(cert.certPem);
      expect(out).toContain('NIST CURVE: P-256');
      expect(out).toMatch(/Signature Algorithm: ecdsa-with-SHA256[\s\S]*Signature Algorithm: ecdsa-with-SHA256/);
    }
  });

  test('root and intermediate are CAs with critical basic constraints and keyCertSign and cRLSign', () => {
    for (const cert of [pki.root, pki.intermediate]) {
      const out = text(cert.certPem);
      expect(out).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
      expect(out).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    }
  });

  test('serial numbers are positive and distinct', () => {
    const serials = [pki.root, pki.intermediate, pki.leaf].map((c) => {
      const r = openssl(['x509', '-noout', '-serial', '-in', 'cert.pem'], { 'cert.pem': c.certPem });
      const m = /^serial=([0-9A-F]+)$/m.exec(r.out);
      expect(m).not.toBeNull();
      return m?.[1] ?? '';
    });
    for (const s of serials) expect(parseInt(s.slice(0, 2), 16)).toBeLessThan(0x80);
    expect(new Set(serials).size).toBe(3);
  });
});

describe('createLabPki', () => {
  test('encodes the TNAuthList as RFC 8226 SEQUENCE { [0] EXPLICIT IA5String } and marks it non-critical', () => {
    const ext = new x509.X509Certificate(pki.leaf.certPem).getExtension('1.3.6.1.5.5.7.1.26');
    expect(ext).not.toBeNull();
    expect(ext?.critical).toBe(false);
    expect(Buffer.from(ext?.value ?? new ArrayBuffer(0)).toString('hex')).toBe('3008a006160431323334');
  });

  test('exports private keys as PKCS#8 PEM matching their certificates', () => {
    for (const cert of [pki.root, pki.intermediate, pki.leaf]) {
      expect(cert.keyPem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
      expect(new X509Certificate(cert.certPem).checkPrivateKey(createPrivateKey(cert.keyPem))).toBe(true);
    }
  });

  test('builds chainPem as the leaf then the intermediate', () => {
    expect(pki.chainPem).toBe(pki.leaf.certPem + pki.intermediate.certPem);
    expect(pki.chainPem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
  });

  test('applies the spc, organization, country, CRL URL and validity options', async () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const notAfter = new Date('2031-01-01T00:00:00Z');
    const custom = await createLabPki({
      spc: '567A',
      organization: 'Example Telecom',
      country: 'CA',
      crlUrl: 'http://crl.example.test/sti.crl',
      leafNotBefore: notBefore,
      leafNotAfter: notAfter,
    });
    const leaf = new X509Certificate(custom.leaf.certPem);
    expect(leaf.subject).toBe('C=CA\nO=Example Telecom\nCN=SHAKEN 567A');
    expect(new Date(leaf.validFrom)).toEqual(notBefore);
    expect(new Date(leaf.validTo)).toEqual(notAfter);
    expect(text(custom.leaf.certPem)).toContain('URI:http://crl.example.test/sti.crl');
  });

  test('makes a P-384 leaf on request, still signed by the P-256 intermediate', async () => {
    const { leaf } = await issueLeaf(pki.intermediate, { leafKeyCurve: 'P-384' });
    const out = text(leaf.certPem);
    expect(out).toContain('NIST CURVE: P-384');
    expect(out).toContain('Signature Algorithm: ecdsa-with-SHA256');
  });

  test('leaves out the TNAuthList on request', async () => {
    const { leaf } = await issueLeaf(pki.intermediate, { omitTnAuthList: true });
    expect(new x509.X509Certificate(leaf.certPem).getExtension('1.3.6.1.5.5.7.1.26')).toBeNull();
  });

  test.each([
    ['spc', { spc: '' }],
    ['spc', { spc: 'SPC\u00e9' }],
    ['country', { country: 'USA' }],
    ['organization', { organization: ' ' }],
  ] as const)('refuses an invalid %s with ERR_REQ_FIELD_INVALID', async (field, opts) => {
    const e = await createLabPki(opts).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ShakenError);
    expect(e).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field });
  });
});

describe('issueLeaf', () => {
  test('issues another leaf under the same intermediate with a fresh key and serial, which openssl verifies', async () => {
    const { leaf, chainPem } = await issueLeaf(pki.intermediate);
    expect(chainPem).toBe(leaf.certPem + pki.intermediate.certPem);
    expect(leaf.keyPem).not.toBe(pki.leaf.keyPem);
    expect(new X509Certificate(leaf.certPem).serialNumber).not.toBe(new X509Certificate(pki.leaf.certPem).serialNumber);
    const r = verify(pki.root.certPem, pki.intermediate.certPem, leaf.certPem);
    expect(r.out).toContain('leaf.pem: OK');
  });

  test('refuses an intermediate whose key is not EC with ERR_CRED_INVALID', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const e = await issueLeaf({ certPem: pki.intermediate.certPem, keyPem: rsa }).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'ERR_CRED_INVALID', field: 'intermediate' });
  });
});
