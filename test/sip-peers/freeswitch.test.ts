import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingLua } from '../helpers/kamailio.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { checkIdentityIndependently, startSilentHttpServer } from './support.js';

const missing = missingLua();
if (missing) console.warn(`test/sip-peers/freeswitch: skipped, ${missing}`);

const HERE = dirname(fileURLToPath(import.meta.url));
const STUB = join(HERE, 'freeswitch-stub.lua');
const SCRIPT = resolve(HERE, '../../clients/freeswitch/shakenstack_sign.lua');

interface ScriptRun {
  set: Record<string, string>;
  exec: string[];
  curlCalls: number;
  log: string;
}

/** Runs the FreeSWITCH script under lua5.4 with the given channel variables (see freeswitch-stub.lua). */
function runScript(vars: Record<string, string>, globals: Record<string, string> = {}): Promise<ScriptRun> {
  const lines = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => `${k}=${v}`).join('\n');
  return new Promise((resolvePromise, reject) => {
    execFile('lua5.4', [STUB, SCRIPT], { env: { PATH: process.env.PATH, FS_VARS: lines(vars), FS_GLOBALS: lines(globals) }, timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`lua5.4 failed: ${err.message}\n${stderr}`));
      const run: ScriptRun = { set: {}, exec: [], curlCalls: 0, log: stderr };
      for (const line of stdout.split('\n')) {
        const set = /^SET ([^=]+)=(.*)$/.exec(line);
        if (set) run.set[set[1]!] = set[2]!;
        else if (line.startsWith('EXEC ')) run.exec.push(line.slice(5));
        else if (line.startsWith('CURL ')) run.curlCalls++;
      }
      resolvePromise(run);
    });
  });
}

describe.skipIf(missing !== undefined)('FreeSWITCH script shakenstack_sign.lua (lua5.4, FreeSWITCH API stood in, real service)', () => {
  let service: TestService;
  let acct: Provisioned;

  beforeAll(async () => {
    service = await startTestService();
    acct = await service.provision({ defaultAttest: 'C', maxAttest: 'A' });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('sets sip_h_Identity to a header that verifies on its own, with caller_id_number, destination_number and X-Attestation', async () => {
    const run = await runScript({
      shakenstack_url: service.url,
      shakenstack_api_key: acct.token,
      caller_id_number: '+1-404-526-6060',
      destination_number: '18001234567',
      'sip_h_X-Attestation': 'B',
    });
    expect(run.curlCalls).toBe(1);
    expect(run.set.shakenstack_result).toBe('signed');
    const checked = await checkIdentityIndependently(run.set.sip_h_Identity!, acct.pki);
    expect(checked.claims.orig).toEqual({ tn: '14045266060' });
    expect(checked.claims.dest).toEqual({ tn: ['18001234567'] });
    expect(checked.claims.attest).toBe('B');
    expect(checked.header.x5u).toBe(acct.x5u);
    expect(run.exec).toEqual(['unset sip_h_X-Attestation']);
    expect(run.log).not.toContain(acct.token);
  });

  it('prefers the shakenstack_* variables and reads the API key from the global variable', async () => {
    const run = await runScript(
      { shakenstack_url: service.url, caller_id_number: '15550000000', shakenstack_orig: '12025550123', destination_number: '100', shakenstack_dest: '+18005550199', shakenstack_attest: 'A' },
      { shakenstack_api_key: acct.token },
    );
    expect(run.set.shakenstack_result).toBe('signed');
    const checked = await checkIdentityIndependently(run.set.sip_h_Identity!, acct.pki);
    expect(checked.claims.orig).toEqual({ tn: '12025550123' });
    expect(checked.claims.dest).toEqual({ tn: ['18005550199'] });
    expect(checked.claims.attest).toBe('A');
  });

  it('leaves the call unsigned with the service error when the key is refused, and never logs the key', async () => {
    const badKey = 'ssk_0000000000000000_notAValidKeyNotAValidKeyNotAValidKey12';
    const run = await runScript({ shakenstack_url: service.url, shakenstack_api_key: badKey, caller_id_number: '14045266060', destination_number: '18001234567' });
    expect(run.set.sip_h_Identity).toBeUndefined();
    expect(run.set.shakenstack_result).toBe('unsigned');
    expect(run.set.shakenstack_error).toMatch(/^refused: ERR_AUTH_INVALID/);
    expect(run.exec).toEqual([]);
    expect(run.log + JSON.stringify(run.set)).not.toContain(badKey);
  });

  it('answers 503 with on_failure reject when the service never answers, after its timeout', async () => {
    const silent = await startSilentHttpServer();
    try {
      const run = await runScript({ shakenstack_url: silent.url, shakenstack_api_key: acct.token, shakenstack_on_failure: 'reject', shakenstack_timeout: '1', caller_id_number: '14045266060', destination_number: '18001234567' });
      expect(silent.connections()).toBe(1);
      expect(run.set.shakenstack_result).toBe('rejected');
      expect(run.set.shakenstack_error).toMatch(/no answer from .* within 1 s/);
      expect(run.exec).toEqual(['respond 503 Service Unavailable']);
      expect(run.set.sip_h_Identity).toBeUndefined();
    } finally {
      await silent.close();
    }
  });

  it('refuses a calling party that is not a telephone number without calling the service', async () => {
    const run = await runScript({ shakenstack_url: service.url, shakenstack_api_key: acct.token, caller_id_number: 'anonymous"},{"x', destination_number: '18001234567' });
    expect(run.curlCalls).toBe(0);
    expect(run.set.shakenstack_result).toBe('unsigned');
    expect(run.set.shakenstack_error).toBe('the calling party is not a telephone number');
  });
});
