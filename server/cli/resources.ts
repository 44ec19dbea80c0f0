import type { AccountRecord } from '../core/ports.js';
import { storeOptions } from '../config/store-options.js';
import { openKeyStores, openPkcs11, pkcs11Options, type KeyStores } from '../key-stores.js';
import type { Pkcs11KeyStore } from '../../hsm/pkcs11/pkcs11-store.js';
import { findAccount } from '../manage/accounts.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { required, type CommandContext } from './command-kit.js';

/*
 * What a command opens for the length of its run, closed again whatever happens: the store, the key stores,
 * a PKCS#11 token, and the account that --account names.
 */

export async function withStore<T>(ctx: CommandContext, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeOptions(ctx.config));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export function withKeys<T>(ctx: CommandContext, work: (store: Store, keys: KeyStores) => Promise<T>): Promise<T> {
  return withStore(ctx, async (store) => {
    const keys = await openKeyStores(ctx.config, store);
    try {
      return await work(store, keys);
    } finally {
      await keys.router.close();
    }
  });
}

/** The PKCS#11 store alone (no database): `tokens` names the ones to open, default the configured ones. */
export async function withPkcs11<T>(ctx: CommandContext, tokens: string[] | undefined, work: (hsm: Pkcs11KeyStore) => Promise<T>): Promise<T> {
  const hsm = await openPkcs11(await pkcs11Options(ctx.config, tokens));
  try {
    return await work(hsm);
  } finally {
    await hsm.close();
  }
}

/** The account a command acts for (`--account <name|id>`, required): every change names it. */
export function accountOf(ctx: CommandContext, store: Store): Promise<AccountRecord> {
  return findAccount(store, required(ctx, 'account'));
}

/** The account `--account` names when given (list commands: all accounts without it). */
export async function accountIdIfGiven(ctx: CommandContext, store: Store): Promise<string | undefined> {
  const named = ctx.values.account;
  return typeof named === 'string' && named !== '' ? (await findAccount(store, named)).id : undefined;
}
