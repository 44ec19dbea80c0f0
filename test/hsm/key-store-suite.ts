import { randomBytes, verify, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyStore } from '../../hsm/key-store.js';

export interface KeyStoreFixture {
  store: KeyStore;
  /** A P-256 key in the store… */
  ref: string;
  /** …and the public key its certificate carries. */
  certificateKey: KeyObject;
  /** A well-formed reference to a key the store does not hold. */
  missingRef: string;
  close(): Promise<void>;
}

const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });

/**
 * What the core relies on from any key store (STYLE §6: one suite, every implementation): ES256 as raw R||S,
 * the public half to check certificates with, a clear error for an unknown key, and concurrent signatures.
 */
export function describeKeyStore(name: string, open: () => Promise<KeyStoreFixture>): void {
  describe(`key store contract: ${name}`, () => {
    let f: KeyStoreFixture;
    beforeAll(async () => {
      f = await open();
    });
    afterAll(() => f?.close());

    it('signs bytes into a 64-byte R||S that crypto.verify accepts as ES256 (ieee-p1363)', async () => {
      const data = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJhdHRlc3QiOiJBIn0', 'latin1');
      const sig = await f.store.sign(f.ref, data);
      expect(sig.byteLength).toBe(64);
      expect(verify('sha256', data, { key: f.certificateKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
      expect(verify('sha256', Buffer.from('tampered'), { key: f.certificateKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(false);
    });

    it('returns the public key that matches the certificate', async () => {
      const pub = await f.store.publicKey(f.ref);
      expect(pub.type).toBe('public');
      expect(pub.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(spki(pub).equals(spki(f.certificateKey))).toBe(true);
    });

    it('refuses an unknown reference with ERR_KEYSTORE_KEY_NOT_FOUND', async () => {
      await expect(f.store.publicKey(f.missingRef)).rejects.toMatchObject({ code: 'ERR_KEYSTORE_KEY_NOT_FOUND' });
      await expect(f.store.sign(f.missingRef, Buffer.from('x'))).rejects.toMatchObject({ code: 'ERR_KEYSTORE_KEY_NOT_FOUND' });
    });

    it('makes 64 signatures at once, each valid for its own data', async () => {
      const inputs = Array.from({ length: 64 }, () => randomBytes(200));
      const sigs = await Promise.all(inputs.map((d) => f.store.sign(f.ref, d)));
      sigs.forEach((sig, i) => {
        expect(verify('sha256', inputs[i]!, { key: f.certificateKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
      });
    });

    it('lists the key by the reference it signs with', async () => {
      const refs = (await f.store.list()).map((k) => k.ref);
      expect(refs).toContain(f.ref);
      expect(refs.every((r) => r.startsWith(f.store.scheme))).toBe(true);
    });
  });
}
