import { readFile, stat } from 'node:fs/promises';
import { KeyStoreRouter, type KeyStore } from '../hsm/key-store.js';
import type { Pkcs11KeyStore, Pkcs11Logger, Pkcs11Options } from '../hsm/pkcs11/pkcs11-store.js';
import { loadMasterKey } from '../hsm/software/master-key.js';
import { SoftwareKeyStore } from '../hsm/software/software-store.js';
import type { Config } from './config/schema.js';
import { ShakenError } from './core/errors.js';
import type { Store } from './store/store.js';

export interface KeyStores {
  router: KeyStoreRouter;
  software: SoftwareKeyStore;
  /** Present when `pkcs11.module` is set. */
  pkcs11: Pkcs11KeyStore | undefined;
  /** Readiness probes, one per PKCS#11 token (`pkcs11:<label>`): each rejects while its token cannot sign. */
  probes: Record<string, () => Promise<void>>;
}

function configError(reason: string): ShakenError {
  return new ShakenError('ERR_KEYSTORE_CONFIG', reason);
}

/** The PIN and the setting it came from, which a refused PIN's error names. */
async function readPin(config: Config): Promise<{ pin: string; setting: 'pkcs11.pin' | 'pkcs11.pinFile' }> {
  const { pin, pinFile } = config.pkcs11;
  if (pin !== undefined && pinFile !== undefined) throw configError('give the PKCS#11 PIN once: pkcs11.pin or pkcs11.pinFile, not both');
  if (pin !== undefined) return { pin, setting: 'pkcs11.pin' };
  if (pinFile === undefined) throw configError('the PKCS#11 PIN is not set (SHAKENSTACK_PKCS11_PIN or SHAKENSTACK_PKCS11_PIN_FILE)');
  let text: string;
  try {
    if (((await stat(pinFile)).mode & 0o077) !== 0) throw configError(`PIN file ${pinFile} is readable by group or others; chmod 600 it`);
    text = await readFile(pinFile, 'utf8');
  } catch (e) {
    if (e instanceof ShakenError) throw e;
    throw configError(`cannot read PIN file ${pinFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return { pin: text.replace(/\r?\n$/, ''), setting: 'pkcs11.pinFile' };
}

/** The PKCS#11 store's options from the configuration; `tokens` overrides `pkcs11.tokens` (the `hsm` commands name one). */
export async function pkcs11Options(config: Config, tokens?: readonly string[]): Promise<Pkcs11Options> {
  const module = config.pkcs11.module;
  if (module === undefined) throw configError('no PKCS#11 module is configured (pkcs11.module, SHAKENSTACK_PKCS11_MODULE)');
  const labels = tokens ?? (config.pkcs11.tokens ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const { pin, setting } = await readPin(config);
  return { module, tokens: labels, pin, pinSetting: setting, sessions: config.pkcs11.sessions };
}

/** Opens the PKCS#11 store; the library is imported only when one is configured. */
export async function openPkcs11(options: Pkcs11Options): Promise<Pkcs11KeyStore> {
  const { Pkcs11KeyStore } = await import('../hsm/pkcs11/pkcs11-store.js');
  return Pkcs11KeyStore.open(options);
}

/**
 * Opens every configured key store; the software one is always there as the zero-setup default. `logger` hears
 * PKCS#11 tokens being lost and coming back (a serving node passes its own; one-shot CLI commands need none).
 */
export async function openKeyStores(config: Config, store: Store, logger?: Pkcs11Logger): Promise<KeyStores> {
  const { key } = await loadMasterKey({ configured: config.masterKey, file: config.masterKeyFile });
  const software = new SoftwareKeyStore(store, key);
  const pkcs11 = config.pkcs11.module === undefined ? undefined : await openPkcs11({ ...(await pkcs11Options(config)), logger });
  const stores: KeyStore[] = pkcs11 ? [software, pkcs11] : [software];
  const probes = Object.fromEntries(
    (pkcs11?.tokens ?? []).map((label) => [
      `pkcs11:${label}`,
      async () => {
        const state = pkcs11!.tokenState(label);
        if (state !== 'ok') throw new Error(`token ${label} is ${state}`);
      },
    ]),
  );
  return { router: new KeyStoreRouter(stores), software, pkcs11, probes };
}
