import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkOnLoop } from '../../server/core/verify/es256.js';
import { SignatureThread } from '../../server/verify-fetch/signature-thread.js';

/*
 * The signature thread (issue 17) against the check on the event loop: the same verdict for every check, whatever
 * the mix of keys and verdicts in one turn's batch, and no check left hanging when the thread is closed or dies.
 */
const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const es256 = (input: string, key: KeyObject) => sign('sha256', Buffer.from(input, 'latin1'), { key, dsaEncoding: 'ieee-p1363' });

interface Case {
  input: string;
  key: KeyObject;
  signature: Buffer;
}

function cases(): Case[] {
  const a = keyPair();
  const b = keyPair();
  const out: Case[] = [];
  for (let i = 0; i < 40; i++) {
    const signer = i % 3 === 0 ? b : a;
    const input = `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify({ n: i })).toString('base64url')}`;
    const signature = es256(input, signer.privateKey);
    // Every fifth is checked with the other key, every seventh has a flipped bit: verdicts differ along the batch.
    const key = i % 5 === 0 ? (signer === a ? b : a).publicKey : signer.publicKey;
    if (i % 7 === 0) signature[10]! ^= 1;
    out.push({ input, key, signature });
  }
  return out;
}

describe('the signature thread', () => {
  const threads: SignatureThread[] = [];
  const thread = (script?: URL) => {
    const t = new SignatureThread(script);
    threads.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(threads.splice(0).map((t) => t.close()));
  });

  it("gives each check of a turn's batch the event loop's verdict, with several keys and verdicts mixed", async () => {
    const all = cases();
    const expected = await Promise.all(all.map((c) => checkOnLoop.check(c.input, c.key, c.signature)));
    expect(expected.filter((v) => v).length).toBeGreaterThan(10);
    expect(expected.filter((v) => !v).length).toBeGreaterThan(10);
    const t = thread();
    // One turn: all forty go to the thread as one batch.
    expect(await Promise.all(all.map((c) => t.check(c.input, c.key, c.signature)))).toEqual(expected);
    // Across turns: each batch answered in order, the next sent while the last is checked.
    const spread: Promise<boolean>[] = [];
    for (const c of all) {
      spread.push(t.check(c.input, c.key, c.signature));
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(spread)).toEqual(expected);
  });

  it('judges a signature that is not 64 bytes as the event loop does', async () => {
    const { privateKey, publicKey } = keyPair();
    const der = sign('sha256', Buffer.from('x.y'), privateKey);
    const t = thread();
    expect(await t.check('x.y', publicKey, der)).toBe(await checkOnLoop.check('x.y', publicKey, der));
    expect(await t.check('x.y', publicKey, Buffer.alloc(0))).toBe(await checkOnLoop.check('x.y', publicKey, Buffer.alloc(0)));
  });

  it('fails what is pending when closed, and every check after', async () => {
    const [c] = cases();
    const t = thread();
    const failed = expect(t.check(c!.input, c!.key, c!.signature)).rejects.toThrow('the signature thread is closed');
    await t.close();
    await failed;
    await expect(t.check(c!.input, c!.key, c!.signature)).rejects.toThrow('the signature thread is closed');
  });

  it('fails the checks a dying thread held, and starts another for the next', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shakenstack-signature-thread-'));
    const script = join(dir, 'dies.mjs');
    writeFileSync(script, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
    const [c] = cases();
    const t = thread(pathToFileURL(script));
    await expect(Promise.all([t.check(c!.input, c!.key, c!.signature), t.check(c!.input, c!.key, c!.signature)])).rejects.toThrow('the signature thread exited with code 3');
    await expect(t.check(c!.input, c!.key, c!.signature)).rejects.toThrow('the signature thread exited with code 3');
  });
});
