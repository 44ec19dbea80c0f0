import { randomBytes, X509Certificate } from 'node:crypto';
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
