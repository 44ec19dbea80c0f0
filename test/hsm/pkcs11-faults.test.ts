import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Pkcs11KeyStore, type Pkcs11Options } from '../../hsm/pkcs11/pkcs11-store.js';
import { loadConfig, redactedConfig } from '../../server/config/load.js';
import { pkcs11Options } from '../../server/key-stores.js';
import { createLabPki } from '../../server/pki/lab-pki.js';
import { createSoftHsm, SOFTHSM_MODULE, USER_PIN, useSoftHsmInThisProcess, type SoftHsm } from './softhsm.js';

const run = promisify(execFile);
const TOKEN = 'shaken-f';
const REF = 'pkcs11:token=shaken-f;object=signer';

let hsm: SoftHsm;
beforeAll(async () => {
  hsm = await createSoftHsm();
  useSoftHsmInThisProcess(hsm);
  await hsm.initToken(TOKEN);
  await hsm.importKey({ keyPem: (await createLabPki()).leaf.keyPem, token: TOKEN, label: 'signer', idHex: '01' });
});
afterAll(() => hsm?.cleanup());

const options = (o: Partial<Pkcs11Options> = {}): Pkcs11Options => ({
  module: SOFTHSM_MODULE,
  pin: USER_PIN,
  tokens: [TOKEN],
  sessions: 2,
  retry: { minMs: 20, maxMs: 200 },
  ...o,
});

describe('PKCS#11 faults at start', () => {
  it('names a module file that does not exist', async () => {
    await expect(Pkcs11KeyStore.open(options({ module: '/nonexistent/libpkcs11.so' }))).rejects.toMatchObject({
      code: 'ERR_KEYSTORE_CONFIG',
      reason: expect.stringMatching(/\/nonexistent\/libpkcs11\.so does not exist.*SHAKENSTACK_PKCS11_MODULE/),
    });
  });

  it('names a module file that is not a loadable library', async () => {
    const notALibrary = join(hsm.dir, 'not-a-library.so');
    await writeFile(notALibrary, 'hello');
    await expect(Pkcs11KeyStore.open(options({ module: notALibrary }))).rejects.toMatchObject({
      code: 'ERR_KEYSTORE_CONFIG',
      reason: expect.stringContaining(`${notALibrary} cannot be loaded`),
    });
  });

  it('names a missing token and the tokens that are present', async () => {
    await expect(Pkcs11KeyStore.open(options({ tokens: ['no-such-token'] }))).rejects.toMatchObject({
      code: 'ERR_KEYSTORE_CONFIG',
      reason: expect.stringContaining(`no token labelled "no-such-token" in PKCS#11 module ${SOFTHSM_MODULE} (tokens present: "${TOKEN}")`),
    });
  });

  it('reports a refused PIN as ERR_KEYSTORE_LOGIN_FAILED without echoing it', async () => {
    const e = await Pkcs11KeyStore.open(options({ pin: '987654' })).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'ERR_KEYSTORE_LOGIN_FAILED', reason: expect.stringContaining('CKR_PIN_INCORRECT') });
    expect(JSON.stringify(e)).not.toContain('987654');
  });

  it('names the setting a refused PIN came from', async () => {
    const e = await Pkcs11KeyStore.open(options({ pin: '987654', pinSetting: 'pkcs11.pinFile' })).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'ERR_KEYSTORE_LOGIN_FAILED', field: 'pkcs11.pinFile', reason: expect.stringContaining('refused the PIN given by pkcs11.pinFile') });
  });
});

describe('PKCS#11 configuration', () => {
  const cfg = (env: Record<string, string>) => loadConfig({ env: { SHAKENSTACK_PKCS11_MODULE: SOFTHSM_MODULE, SHAKENSTACK_PKCS11_TOKENS: ` ${TOKEN} , other `, ...env } });

  it('reads the PIN from a private file, without its trailing newline, and splits the token list', async () => {
    const file = join(hsm.dir, 'pin');
    await writeFile(file, `${USER_PIN}\n`, { mode: 0o600 });
    expect(await pkcs11Options(cfg({ SHAKENSTACK_PKCS11_PIN_FILE: file }))).toMatchObject({ pin: USER_PIN, tokens: [TOKEN, 'other'], sessions: 4 });
  });

  it('refuses a PIN file that group or others can read', async () => {
    const file = join(hsm.dir, 'open-pin');
    await writeFile(file, USER_PIN);
    await chmod(file, 0o644);
    await expect(pkcs11Options(cfg({ SHAKENSTACK_PKCS11_PIN_FILE: file }))).rejects.toMatchObject({ code: 'ERR_KEYSTORE_CONFIG', reason: expect.stringContaining('chmod 600') });
  });

  it('masks the PIN in the printable configuration', () => {
    expect(JSON.stringify(redactedConfig(cfg({ SHAKENSTACK_PKCS11_PIN: '24680' })))).not.toContain('24680');
  });

  it('refuses a missing PIN, and two PINs, naming the settings', async () => {
    await expect(pkcs11Options(cfg({}))).rejects.toMatchObject({ code: 'ERR_KEYSTORE_CONFIG', reason: expect.stringContaining('SHAKENSTACK_PKCS11_PIN') });
    await expect(pkcs11Options(cfg({ SHAKENSTACK_PKCS11_PIN: USER_PIN, SHAKENSTACK_PKCS11_PIN_FILE: '/x' }))).rejects.toMatchObject({ code: 'ERR_KEYSTORE_CONFIG' });
  });
});

describe('PKCS#11 faults at run time', () => {
  it('fails calls at once while the token is gone, then recovers by itself when it is back', async () => {
    const store = await Pkcs11KeyStore.open(options());
    try {
      expect((await store.sign(REF, Buffer.from('before'))).byteLength).toBe(64);
      const putBack = await hsm.removeTokens();
      // The first call after the loss meets the dead handle; the pool stops and later calls do not reach the token.
      await expect(store.sign(REF, Buffer.from('during'))).rejects.toMatchObject({ code: 'ERR_KEYSTORE_UNAVAILABLE' });
      const fast = await Promise.allSettled(Array.from({ length: 20 }, () => store.sign(REF, Buffer.from('during'))));
      expect(fast.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'ERR_KEYSTORE_UNAVAILABLE')).toBe(true);
      expect(store.tokenState(TOKEN)).toBe('recovering');
      await putBack();
      await vi.waitFor(() => expect(store.tokenState(TOKEN)).toBe('ok'), { timeout: 10_000, interval: 20 });
      expect((await store.sign(REF, Buffer.from('after'))).byteLength).toBe(64);
    } finally {
      await store.close();
    }
  });

  it('logs a lost token once, however many calls fail, and once more when it is back', async () => {
    const lines: { level: 'info' | 'error'; obj: Record<string, unknown>; msg: string }[] = [];
    const logger = {
      info: (obj: object, msg: string) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
      error: (obj: object, msg: string) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
    };
    const store = await Pkcs11KeyStore.open(options({ logger }));
    try {
      expect((await store.sign(REF, Buffer.from('before'))).byteLength).toBe(64);
      expect(lines).toEqual([]);
      const putBack = await hsm.removeTokens();
      await Promise.allSettled(Array.from({ length: 20 }, () => store.sign(REF, Buffer.from('during'))));
      for (let i = 0; i < 5; i++) expect(store.tokenState(TOKEN)).toBe('recovering');
      expect(lines).toEqual([{ level: 'error', obj: { token: TOKEN, error: expect.stringMatching(/^CKR_/) }, msg: expect.stringContaining('PKCS#11 token stopped answering') }]);
      await putBack();
      await vi.waitFor(() => expect(store.tokenState(TOKEN)).toBe('ok'), { timeout: 10_000, interval: 20 });
      expect((await store.sign(REF, Buffer.from('after'))).byteLength).toBe(64);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toEqual({ level: 'info', obj: { token: TOKEN }, msg: expect.stringContaining('PKCS#11 token is back') });
      // A second loss is a new event: logged again.
      const putBackAgain = await hsm.removeTokens();
      expect(store.tokenState(TOKEN)).toBe('recovering');
      await putBackAgain();
      await vi.waitFor(() => expect(store.tokenState(TOKEN)).toBe('ok'), { timeout: 10_000, interval: 20 });
      expect(lines.map((l) => l.level)).toEqual(['error', 'info', 'error', 'info']);
    } finally {
      await store.close();
    }
  });

  it('fails calls when the login is lost, then logs in again by itself', async () => {
    const store = await Pkcs11KeyStore.open(options());
    try {
      expect((await store.sign(REF, Buffer.from('before'))).byteLength).toBe(64);
      // Login state belongs to the whole process: a logout through any handle on the library ends it for the store too.
      const lib = new pkcs11js.PKCS11();
      lib.load(SOFTHSM_MODULE);
      const slot = lib.C_GetSlotList(true).find((h) => lib.C_GetTokenInfo(h).label.trim() === TOKEN)!;
      const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
      lib.C_Logout(session);
      lib.C_CloseSession(session);
      // SoftHSM hides private objects once logged out, so the call meets CKR_OBJECT_HANDLE_INVALID.
      await expect(store.sign(REF, Buffer.from('during'))).rejects.toMatchObject({ code: 'ERR_KEYSTORE_UNAVAILABLE', reason: expect.stringContaining('reconnecting') });
      await vi.waitFor(() => expect(store.tokenState(TOKEN)).toBe('ok'), { timeout: 10_000, interval: 20 });
      expect((await store.sign(REF, Buffer.from('after'))).byteLength).toBe(64);
    } finally {
      await store.close();
    }
  });

  it('notices a removed token from a health probe alone, without signing traffic', async () => {
    const store = await Pkcs11KeyStore.open(options());
    try {
      const putBack = await hsm.removeTokens();
      expect(store.tokenState(TOKEN)).toBe('recovering');
      await putBack();
      await vi.waitFor(() => expect(store.tokenState(TOKEN)).toBe('ok'), { timeout: 10_000, interval: 20 });
    } finally {
      await store.close();
    }
  });

  it('stops at a PIN the token refuses when logging in again, and answers ERR_KEYSTORE_LOGIN_FAILED from then on', async () => {
    const lines: string[] = [];
    const store = await Pkcs11KeyStore.open(options({ logger: { info: (_o, msg) => lines.push(`info ${msg}`), error: (_o, msg) => lines.push(`error ${msg}`) } }));
    try {
      // Another process changes the PIN; the store learns it only when it has to log in again after a loss.
      await run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', TOKEN, '--login', '--pin', USER_PIN, '--change-pin', '--new-pin', '4321'], { env: hsm.env });
      const putBack = await hsm.removeTokens();
      expect(store.tokenState(TOKEN)).toBe('recovering');
      await putBack();
      await vi.waitFor(() => expect(store.tokenState(TOKEN)).toBe('login-failed'), { timeout: 10_000, interval: 20 });
      await expect(store.sign(REF, Buffer.from('x'))).rejects.toMatchObject({ code: 'ERR_KEYSTORE_LOGIN_FAILED' });
      // The loss, then the refusal: the token is not reported back, and nothing more is logged per call.
      expect(lines).toEqual([expect.stringMatching(/^error PKCS#11 token stopped answering/), expect.stringMatching(/^error PKCS#11 token refused the PIN when logging in again/)]);
    } finally {
      await store.close();
      await run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', TOKEN, '--login', '--pin', '4321', '--change-pin', '--new-pin', USER_PIN], { env: hsm.env });
    }
  });
});
