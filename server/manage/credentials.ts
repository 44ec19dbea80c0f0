import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { assertCredentialUsable, parseCertificateChain } from '../core/cert-chain.js';
import { x5uPath } from '../core/certificate-publisher.js';
import { ShakenError } from '../core/errors.js';
import type { CredentialRecord, KeySigner } from '../core/ports.js';
import { assertValidX5u } from '../core/signing-credential.js';
import type { SoftwareKeyStore } from '../../hsm/software/software-store.js';
import type { Store } from '../store/store.js';

export interface CredentialImport {
  accountId: string;
  chainPem: string;
  /** A PEM private key to put into the software key store… */
  keyPem?: string;
  /** …or a reference to a key already in a key store (e.g. `pkcs11:...`). */
  keyRef?: string;
  /**
   * Where verifiers will fetch the chain, stored as given; default: hosted by this service, stored as the path
   * `/certs/<fingerprint>.pem`, which each node resolves against its own publicUrl when it signs.
   */
  x5u?: string;
}

function publicKeyOfPem(pem: string): KeyObject {
  try {
    return createPublicKey(createPrivateKey({ key: pem, format: 'pem' }));
  } catch (e) {
    throw new ShakenError('ERR_CRED_INVALID', 'not an unencrypted PEM private key', { field: 'key', cause: e });
  }
}

/**
 * Checks everything before writing anything (chain parses, key is P-256 and matches the leaf, certificate
 * valid now, TNAuthList present, x5u well-formed), then stores the key and the credential. The new credential becomes the
 * account's active one; the previous one is retired and stays published at its x5u.
 */
export async function importCredential(
  deps: { store: Store; software: SoftwareKeyStore; keys: KeySigner; nowMs: number },
  input: CredentialImport,
): Promise<CredentialRecord> {
  if ((input.keyPem === undefined) === (input.keyRef === undefined)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'give exactly one of a PEM key or a key reference', { field: 'key' });
  }
  const chain = parseCertificateChain(input.chainPem);
  const publicKey = input.keyPem !== undefined ? publicKeyOfPem(input.keyPem) : await deps.keys.publicKey(input.keyRef!);
  assertCredentialUsable(chain, publicKey, deps.nowMs);
  // RFC 8226 §9 / ATIS-1000080: verifiers refuse a leaf without TNAuthList, so signing with it would be pointless.
  if (chain.leaf.spc === null) {
    throw new ShakenError('ERR_CRED_INVALID', 'the leaf certificate has no TNAuthList extension with an SPC (RFC 8226); verifiers would refuse its tokens', { field: 'chain' });
  }
  // A hosted x5u is not fixed here: the importing process's publicUrl (a CLI on an admin host) need not be the
  // address verifiers reach the serving nodes at.
  const x5u = input.x5u ?? x5uPath(chain.leaf);
  if (input.x5u !== undefined) assertValidX5u(x5u);
  const keyRef = input.keyPem !== undefined ? await deps.software.importPem(input.keyPem) : input.keyRef!;
  return deps.store.addCredential({ accountId: input.accountId, keyRef, chainPem: chain.pem, x5u });
}
