import type { KeyObject } from 'node:crypto';
import { ShakenError } from '../server/core/errors.js';
import type { KeySigner } from '../server/core/ports.js';

export interface KeyInfo {
  ref: string;
  store: string;
  createdAt?: Date;
}

/**
 * A place private keys live in and never leave: the software store (encrypted at rest) or a PKCS#11 token.
 * References are prefixed by the store's scheme (`soft:`, `pkcs11:`), so one service can hold both kinds.
 */
export interface KeyStore extends KeySigner {
  /** Reference prefix this store owns, e.g. `soft:`. */
  readonly scheme: string;
  list(): Promise<KeyInfo[]>;
  close(): Promise<void>;
}

/** Routes each reference to the store that owns its scheme; the core sees one `KeySigner`. */
export class KeyStoreRouter implements KeySigner {
  constructor(private readonly stores: readonly KeyStore[]) {}

  private storeFor(ref: string): KeyStore {
    const store = this.stores.find((s) => ref.startsWith(s.scheme));
    if (!store) {
      throw new ShakenError('ERR_KEYSTORE_KEY_NOT_FOUND', `no key store is configured for key reference ${JSON.stringify(ref.split(':')[0] + ':')}`);
    }
    return store;
  }

  sign(ref: string, data: Uint8Array): Promise<Uint8Array> {
    return this.storeFor(ref).sign(ref, data);
  }

  publicKey(ref: string): Promise<KeyObject> {
    return this.storeFor(ref).publicKey(ref);
  }

  async list(): Promise<KeyInfo[]> {
    return (await Promise.all(this.stores.map((s) => s.list()))).flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.stores.map((s) => s.close()));
  }
}
