import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const USER_PIN = '1234';
const SO_PIN = '5678';

/** A SoftHSM2 installation of its own: a config file and a token folder in a temporary directory. */
export interface SoftHsm {
  dir: string;
  conf: string;
  /** Environment for child processes (softhsm2-util, the CLI). */
  env: Record<string, string>;
  initToken(label: string, pin?: string): Promise<void>;
  /**
   * Puts a PEM private key into the token the documented way: `openssl pkcs8 -topk8 -nocrypt` (softhsm2-util
   * takes PKCS#8 only), then `softhsm2-util --import`.
   */
  importKey(opts: { keyPem: string; token: string; label: string; idHex: string }): Promise<void>;
  /** Takes every token away (as a pulled HSM would); the returned function puts them back unchanged. */
  removeTokens(): Promise<() => Promise<void>>;
  cleanup(): Promise<void>;
}

export async function createSoftHsm(): Promise<SoftHsm> {
  const dir = await mkdtemp(join(tmpdir(), 'shakenstack-softhsm-'));
  const tokens = join(dir, 'tokens');
  await mkdir(tokens);
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { PATH: process.env.PATH!, SOFTHSM2_CONF: conf };
  const util = (args: string[]) => run('softhsm2-util', args, { env });
  let keyFiles = 0;
  return {
    dir,
    conf,
    env,
    async initToken(label, pin = USER_PIN) {
      await util(['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', SO_PIN]);
    },
    async importKey({ keyPem, token, label, idHex }) {
      // Start from SEC1 ("EC PRIVATE KEY"), what most tools write, to exercise the conversion operators need.
      const sec1 = join(dir, `key-${++keyFiles}.pem`);
      const pk8 = `${sec1}.pk8`;
      await writeFile(sec1, createPrivateKey(keyPem).export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });
      await run('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', sec1, '-out', pk8]);
      await util(['--import', pk8, '--token', token, '--label', label, '--id', idHex, '--pin', USER_PIN]);
      await rm(sec1);
      await rm(pk8);
    },
    async removeTokens() {
      const away = join(dir, 'tokens-away');
      await rename(tokens, away);
      await mkdir(tokens);
      return async () => {
        await rm(tokens, { recursive: true });
        await rename(away, tokens);
      };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * SoftHSM reads SOFTHSM2_CONF from the process environment when the module initialises, so it cannot come
 * through loadConfig. Each vitest test file runs in its own worker process and points it at its own SoftHSM.
 */
export function useSoftHsmInThisProcess(hsm: SoftHsm): void {
  process.env.SOFTHSM2_CONF = hsm.conf;
}
