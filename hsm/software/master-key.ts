import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ShakenError } from '../../server/core/errors.js';

const KEY_BYTES = 32;

/** Accepts 32 bytes written as 64 hex characters or as base64/base64url. */
export function decodeMasterKey(text: string, source: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new ShakenError('ERR_KEYSTORE_UNAVAILABLE', `master key from ${source} must be 32 bytes (64 hex or 44 base64 characters)`);
  }
  return key;
}

/**
 * The software key store's master key: the configured value if there is one, otherwise the key file,
 * created with mode 0600 on first start. `wx` makes creation atomic, so two processes starting together
 * cannot each write a different key.
 */
export async function loadMasterKey(opts: { configured?: string; file: string }): Promise<{ key: Buffer; created: boolean }> {
  if (opts.configured) return { key: decodeMasterKey(opts.configured, 'SHAKENSTACK_MASTER_KEY'), created: false };
  try {
    const text = await readFile(opts.file, 'utf8');
    const mode = (await stat(opts.file)).mode & 0o077;
    if (mode !== 0) {
      throw new ShakenError('ERR_KEYSTORE_UNAVAILABLE', `master key file ${opts.file} is readable by group or others; chmod 600 it`);
    }
    return { key: decodeMasterKey(text, opts.file), created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dirname(opts.file), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  try {
    await writeFile(opts.file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return { key, created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return loadMasterKey(opts);
  }
}
