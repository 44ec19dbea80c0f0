import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('shakenstack inventory (CLI)', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shakenstack-inv-'));
    env = { SHAKENSTACK_DATA_DIR: dir };
    expect((await runCli(['account', 'create', 'carrier'], env)).code).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('creates accounts in enforce mode', async () => {
    expect(JSON.parse((await runCli(['account', 'list', '--json'], env)).stdout)[0]).toMatchObject({ name: 'carrier', policyMode: 'enforce', nonNumericOrig: 'B' });
  });

  it('imports a CSV with numbers, ranges and prefixes and exports the same entries', async () => {
    const csv = ['kind,value,count', 'tn,+1 404 526 6060,', '# a comment', '', 'range,14045260000,1000', 'prefix,1212555'].join('\n');
    await writeFile(join(dir, 'inv.csv'), csv);
    const r = await runCli(['inventory', 'import', '--account', 'carrier', '--file', join(dir, 'inv.csv'), '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ imported: 3, total: 3 });
    const out = join(dir, 'out.csv');
    expect((await runCli(['inventory', 'export', '--account', 'carrier', '--out', out], env)).code).toBe(0);
    expect((await readFile(out, 'utf8')).trim().split('\n').sort()).toEqual(['kind,value,count', 'prefix,1212555,', 'range,14045260000,1000', 'tn,14045266060,'].sort());
  });

  it('reports every bad row with its line number and imports nothing', async () => {
    const csv = ['tn,15550001111', 'tn,1555abc', 'range,15550002000', 'zone,1555', 'range,999,5', 'tn,15550003333'].join('\n');
    await writeFile(join(dir, 'bad.csv'), csv);
    const before = JSON.parse((await runCli(['inventory', 'import', '--account', 'carrier', '--file', join(dir, 'inv.csv'), '--json'], env)).stdout).total;
    const r = await runCli(['inventory', 'import', '--account', 'carrier', '--file', join(dir, 'bad.csv'), '--replace'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('4 bad row(s), nothing imported');
    expect(r.stderr).toMatch(/line 2: .*digits/);
    expect(r.stderr).toMatch(/line 3: a range needs a count/);
    expect(r.stderr).toMatch(/line 4: first column must be tn, range or prefix/);
    expect(r.stderr).toMatch(/line 5: range must not run past/);
    const after = (await runCli(['inventory', 'export', '--account', 'carrier'], env)).stdout.trim().split('\n').length - 1;
    expect(after).toBe(before);
  });

  it('adds and removes single entries', async () => {
    const add = await runCli(['inventory', 'add', '--account', 'carrier', '--tn', '15557770000', '--range', '15558880000,10', '--json'], env);
    expect(JSON.parse(add.stdout)).toMatchObject({ op: 'add', entries: 2 });
    const rm = await runCli(['inventory', 'remove', '--account', 'carrier', '--tn', '15557770000', '--json'], env);
    expect(JSON.parse(rm.stdout)).toMatchObject({ removed: 1 });
  });

  it('adds, lists and removes routing rules', async () => {
    const added = await runCli(['route', 'add', '--account', 'carrier', '--prefix', '1800', '--target', 'sip:tollfree.example.net', '--priority', '5', '--json'], env);
    expect(added.code).toBe(0);
    const rule = JSON.parse(added.stdout);
    expect(rule).toMatchObject({ prefix: '1800', target: 'sip:tollfree.example.net', priority: 5 });
    expect((await runCli(['route', 'list', '--account', 'carrier'], env)).stdout).toContain('sip:tollfree.example.net');
    const bad = await runCli(['route', 'add', '--account', 'carrier', '--target', 'tel:+1800'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ERR_URI_INVALID');
    expect((await runCli(['route', 'remove', '--account', 'carrier', rule.id], env)).code).toBe(0);
    expect(JSON.parse((await runCli(['route', 'list', '--account', 'carrier', '--json'], env)).stdout)).toEqual([]);
  });

  it('changes an account policy and marks gateway keys', async () => {
    const u = await runCli(['account', 'update', 'carrier', '--mode', 'trust', '--non-numeric', 'refuse', '--json'], env);
    expect(JSON.parse(u.stdout)).toMatchObject({ policyMode: 'trust', nonNumericOrig: 'refuse' });
    const bad = await runCli(['account', 'update', 'carrier', '--mode', 'strict'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('policyMode must be one of enforce, trust');
    const k = await runCli(['apikey', 'create', '--account', 'carrier', '--gateway', '--json'], env);
    expect(k.code).toBe(0);
    expect(JSON.parse((await runCli(['apikey', 'list', '--json'], env)).stdout).at(-1)).toMatchObject({ sourceKind: 'gateway' });
  });
});
