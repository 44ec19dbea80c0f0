import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { CLI, type CliResult } from '../helpers/cli.js';
import { createSoftHsm, SOFTHSM_MODULE, type SoftHsm } from './softhsm.js';

const TOKEN = 'shaken-pin';
const WRONG_PIN = '975310';

/**
 * Runs `serve` to its exit. It runs in a process group of its own, so that if it never exits (the failure this
 * file guards against) the group, cluster workers included, is killed and the test fails instead of leaking.
 */
function runServe(env: Record<string, string>, timeoutMs = 45_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve'], { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('`serve` with a PIN the token refuses', () => {
  let hsm: SoftHsm;
  let dataDir: string;
  beforeAll(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken(TOKEN);
    dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-pin-'));
  });
  afterAll(async () => {
    await hsm?.cleanup();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const serve = (pinEnv: Record<string, string>) =>
    runServe({
      ...hsm.env,
      SHAKENSTACK_DATA_DIR: dataDir,
      SHAKENSTACK_PORT: '0',
      SHAKENSTACK_GRPC_PORT: '0',
      SHAKENSTACK_SIP: 'false',
      SHAKENSTACK_DEMO: 'false',
      SHAKENSTACK_PKCS11_MODULE: SOFTHSM_MODULE,
      SHAKENSTACK_PKCS11_TOKENS: TOKEN,
      ...pinEnv,
    });

  it('exits with the configuration code 78, naming pkcs11.pin, when the PIN came from SHAKENSTACK_PKCS11_PIN', async () => {
    const r = await serve({ SHAKENSTACK_PKCS11_PIN: WRONG_PIN });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`token "${TOKEN}" refused the PIN given by pkcs11.pin (CKR_PIN_INCORRECT)`);
    expect(r.stderr).not.toContain('pkcs11.pinFile');
    expect(r.stdout + r.stderr).not.toContain(WRONG_PIN);
    expect(r.stdout).not.toContain('listening');
  });

  it('exits with the configuration code 78, naming pkcs11.pinFile, when the PIN came from a file', async () => {
    const file = join(dataDir, 'pin');
    await writeFile(file, `${WRONG_PIN}\n`, { mode: 0o600 });
    const r = await serve({ SHAKENSTACK_PKCS11_PIN_FILE: file });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`token "${TOKEN}" refused the PIN given by pkcs11.pinFile (CKR_PIN_INCORRECT)`);
    expect(r.stdout + r.stderr).not.toContain(WRONG_PIN);
    expect(r.stdout).not.toContain('listening');
  });

  it('exits with 78 from a cluster too, instead of restarting workers that refuse the same PIN', { timeout: 60_000 }, async () => {
    const r = await serve({ SHAKENSTACK_PKCS11_PIN: WRONG_PIN, SHAKENSTACK_WORKERS: '2' });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('refused the PIN given by pkcs11.pin');
    expect(r.stdout).not.toContain('listening');
  });
});
