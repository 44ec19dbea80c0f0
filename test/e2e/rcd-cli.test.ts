import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const JCD = JSON.stringify(['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Example Bank']]]);

describe('shakenstack rcd (RCD profiles on the command line)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-rcd-cli-'));
    env = { SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PUBLIC_URL: 'https://sti.example.test' };
    const pkiDir = join(dataDir, 'pki');
    expect((await runCli(['pki', 'init', '--out', pkiDir], env)).code).toBe(0);
    expect((await runCli(['account', 'create', 'bank'], env)).code).toBe(0);
    expect((await runCli(['credential', 'import', '--account', 'bank', '--chain', join(pkiDir, 'chain.pem'), '--key', join(pkiDir, 'leaf.key')], env)).code).toBe(0);
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('adds, lists, shows and removes a profile, and signs a call with it', async () => {
    const added = await runCli(['rcd', 'add', '--account', 'bank', '--nam', 'Example Bank', '--jcd', JCD, '--crn', 'Fraud alert', '--crn', 'Card activity', '--tn', '+1 202 555 0100', '--prefix', '1303555', '--placement', 'rcd', '--json'], env);
    expect(added.code, added.stderr).toBe(0);
    const profile = JSON.parse(added.stdout);
    expect(profile).toMatchObject({ id: expect.stringMatching(/^rcd_/), rcd: { nam: 'Example Bank', jcd: JSON.parse(JCD) }, crn: ['Fraud alert', 'Card activity'], tns: ['12025550100'], prefixes: ['1303555'], placement: 'rcd' });

    const list = await runCli(['rcd', 'list', '--account', 'bank'], env);
    expect(list.stdout).toMatch(new RegExp(`${profile.id}\\s+Example Bank\\s+rcd\\s+2\\s+2`));
    const shown = await runCli(['rcd', 'show', profile.id, '--account', 'bank'], env);
    expect(shown.stdout).toContain('"Fraud alert", "Card activity"');

    const signed = await runCli(['sign', '--account', 'bank', '--orig', '13035550199', '--dest', '18001234567', '--rcd', profile.id, '--crn', 'Card activity'], env);
    expect(signed.code, signed.stderr).toBe(0);
    const [shaken, rcd] = signed.stdout.trim().split('\n');
    expect(shaken).toMatch(/;ppt=shaken$/);
    expect(JSON.parse(Buffer.from(rcd!.split('.')[1]!, 'base64url').toString())).toMatchObject({ crn: 'Card activity', rcd: { nam: 'Example Bank' }, rcdi: { '/jcd': expect.stringMatching(/^sha256-/) } });

    const refused = await runCli(['sign', '--account', 'bank', '--orig', '14045550100', '--dest', '18001234567', '--rcd', profile.id], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('ERR_ATTEST_REFUSED');

    expect((await runCli(['rcd', 'remove', profile.id, '--account', 'bank'], env)).stdout).toContain(`removed ${profile.id}`);
    expect(JSON.parse((await runCli(['rcd', 'list', '--account', 'bank', '--json'], env)).stdout)).toEqual([]);
  });

  it('refuses a logo that is not https before fetching anything', async () => {
    const r = await runCli(['rcd', 'add', '--account', 'bank', '--nam', 'B', '--icn', 'http://brand.example/logo.png', '--tn', '12025550100'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ERR_REQ_FIELD_INVALID.*rcd\.icn|rcd\.icn.*https/s);
  });
});
