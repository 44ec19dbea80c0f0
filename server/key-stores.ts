import { KeyStoreRouter } from '../hsm/key-store.js';
import { loadMasterKey } from '../hsm/software/master-key.js';
import { SoftwareKeyStore } from '../hsm/software/software-store.js';
import type { Config } from './config/schema.js';
import type { Store } from './store/store.js';

export interface KeyStores {
  router: KeyStoreRouter;
  software: SoftwareKeyStore;
}

/** Opens every configured key store; the software one is always there as the zero-setup default. */
export async function openKeyStores(config: Config, store: Store): Promise<KeyStores> {
  const { key } = await loadMasterKey({ configured: config.masterKey, file: config.masterKeyFile });
  const software = new SoftwareKeyStore(store, key);
  return { router: new KeyStoreRouter([software]), software };
}
