import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { ShakenError } from '../../server/core/errors.js';
import type { KeyInfo, KeyStore } from '../key-store.js';
import { open, seal } from './at-rest.js';

/** Where the software store keeps its encrypted blobs (the service's store implements it). */
export interface KeyBlobRepository {
  putKeyBlob(ref: string, blob: Uint8Array): Promise<void>;
  getKeyBlob(ref: string): Promise<{ ref: string; blob: Uint8Array; createdAt: Date } | undefined>;
  listKeyBlobs(): Promise<{ ref: string; createdAt: Date }[]>;
}

const SCHEME = 'soft:';

function assertP256(key: KeyObject, field: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ShakenError('ERR_CRED_INVALID', 'the key must be an EC P-256 key (ES256, RFC 8588 §3)', { field });
  }
}

/**
 * The zero-setup key store: P-256 keys held as AES-256-GCM blobs under a master key, decrypted into
 * `KeyObject`s once and kept in memory; nothing re-imports a key per call.
 */
export class SoftwareKeyStore implements KeyStore {
  readonly scheme = SCHEME;
  private readonly keys = new Map<string, Promise<{ priv: KeyObject; pub: KeyObject }>>();
  /** Keys already decrypted: the signing path reads them without a promise hop. */
  private readonly ready = new Map<string, KeyObject>();

  constructor(
    private readonly repo: KeyBlobRepository,
    private readonly masterKey: Buffer,
  ) {}

  /** Imports a PEM private key (PKCS#8 or SEC1); returns its new reference. */
  async importPem(pem: string): Promise<string> {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch (e) {
      throw new ShakenError('ERR_CRED_INVALID', 'not an unencrypted PEM private key (decrypt it first: openssl pkey -in key.pem -out plain.pem)', { field: 'key', cause: e });
    }
    assertP256(key, 'key');
    return this.storeKey(key);
  }

  /** Creates a new P-256 key inside the store; returns its reference. */
  async generate(): Promise<string> {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return this.storeKey(privateKey);
  }

  private async storeKey(priv: KeyObject): Promise<string> {
    const ref = SCHEME + randomBytes(8).toString('hex');
    const der = priv.export({ type: 'pkcs8', format: 'der' });
    await this.repo.putKeyBlob(ref, seal(this.masterKey, der, ref));
    return ref;
  }

  private loadKey(ref: string): Promise<{ priv: KeyObject; pub: KeyObject }> {
    let loading = this.keys.get(ref);
    if (!loading) {
      loading = (async () => {
        const found = await this.repo.getKeyBlob(ref);
        if (!found) throw new ShakenError('ERR_KEYSTORE_KEY_NOT_FOUND', `key ${ref} is not in the software key store`);
        const der = open(this.masterKey, found.blob, ref);
        if (!der) {
          throw new ShakenError('ERR_KEYSTORE_UNAVAILABLE', `key ${ref} cannot be decrypted: the master key is not the one it was stored under`);
        }
        const priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
        der.fill(0);
        this.ready.set(ref, priv);
        return { priv, pub: createPublicKey(priv) };
      })();
      this.keys.set(ref, loading);
      loading.catch(() => this.keys.delete(ref));
    }
    return loading;
  }

  async sign(ref: string, data: Uint8Array): Promise<Uint8Array> {
    const priv = this.ready.get(ref) ?? (await this.loadKey(ref)).priv;
    // On the event loop, not libuv's pool (issue 17, measured on 2 cores): handing a signature to a pool thread
    // cost the loop about as much as signing (SignJob, waking a thread) and the pool thread 12 µs more than the
    // signature, so the pool added CPU per request, and its thread competing with the loop for a core raised the
    // HTTP half-load p99 (26-37 ms against 8-23 in A/B runs). More workers, not the pool, buy a second core
    // (docs/performance.md#signing-on-the-event-loop).
    return cryptoSign('sha256', data, { key: priv, dsaEncoding: 'ieee-p1363' });
  }

  async publicKey(ref: string): Promise<KeyObject> {
    return (await this.loadKey(ref)).pub;
  }

  async list(): Promise<KeyInfo[]> {
    return (await this.repo.listKeyBlobs()).map((b) => ({ ref: b.ref, store: 'software', createdAt: b.createdAt }));
  }

  async close(): Promise<void> {
    this.keys.clear();
    this.ready.clear();
  }
}
