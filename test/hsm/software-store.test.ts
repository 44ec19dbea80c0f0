import { randomBytes, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignOnThread } from '../../hsm/software/sign-on-thread.js';
import { SoftwareKeyStore } from '../../hsm/software/software-store.js';
import { createLabPki } from '../../server/pki/lab-pki.js';
import { MemoryDirectory } from '../helpers/memory-directory.js';
import { describeKeyStore } from './key-store-suite.js';

describeKeyStore('software (AES-256-GCM at rest)', async () => {
  const pki = await createLabPki();
  const store = new SoftwareKeyStore(new MemoryDirectory(), randomBytes(32));
  return {
    store,
    ref: await store.importPem(pki.leaf.keyPem),
    certificateKey: new X509Certificate(pki.leaf.certPem).publicKey,
    missingRef: 'soft:0000000000000000',
    close: () => store.close(),
  };
});

describeKeyStore('software, signing on its own thread', async () => {
  const pki = await createLabPki();
  const store = new SoftwareKeyStore(new MemoryDirectory(), randomBytes(32), new SignOnThread());
  return {
    store,
    ref: await store.importPem(pki.leaf.keyPem),
    certificateKey: new X509Certificate(pki.leaf.certPem).publicKey,
    missingRef: 'soft:0000000000000000',
    close: () => store.close(),
  };
});

describe('the software store signing on its thread', () => {
  it("signs one turn's inputs of different lengths with two keys, each signature valid for its own input and key", async () => {
    const store = new SoftwareKeyStore(new MemoryDirectory(), randomBytes(32), new SignOnThread());
    try {
      const refs = [await store.generate(), await store.generate()];
      const keys = await Promise.all(refs.map((r) => store.publicKey(r)));
      const inputs = Array.from({ length: 40 }, (_, i) => randomBytes(1 + ((i * 37) % 400)));
      const sigs = await Promise.all(inputs.map((d, i) => store.sign(refs[i % 2]!, d)));
      sigs.forEach((sig, i) => {
        expect(sig.byteLength).toBe(64);
        expect(verify('sha256', inputs[i]!, { key: keys[i % 2]!, dsaEncoding: 'ieee-p1363' }, sig), `signature ${i}`).toBe(true);
        expect(verify('sha256', inputs[i]!, { key: keys[(i + 1) % 2]!, dsaEncoding: 'ieee-p1363' }, sig)).toBe(false);
      });
    } finally {
      await store.close();
    }
  });

  it('fails a signature pending when the store closes', async () => {
    const store = new SoftwareKeyStore(new MemoryDirectory(), randomBytes(32), new SignOnThread());
    const ref = await store.generate();
    await store.sign(ref, Buffer.from('warm'));
    const failed = expect(store.sign(ref, Buffer.from('x'))).rejects.toThrow('the software signing thread is closed');
    await store.close();
    await failed;
  });
});
