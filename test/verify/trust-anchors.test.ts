import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../server/config/load.js';
import { createLabPki, type LabPki } from '../../server/pki/lab-pki.js';
import { FileTrustAnchorSource } from '../../server/verify-fetch/trust-anchor-file.js';
import { FakeClock } from './support.js';

describe('trust anchors from verify.trustAnchors', () => {
  let a: LabPki;
  let b: LabPki;
  beforeAll(async () => {
    [a, b] = await Promise.all([createLabPki(), createLabPki()]);
  });

  /** Writes a file and moves its mtime, so a change within the same millisecond is still seen. */
  function write(path: string, text: string, mtimeSec: number): void {
    writeFileSync(path, text);
    utimesSync(path, mtimeSec, mtimeSec);
  }

  it('loads a bundle at start and refuses a missing or empty one with a configuration error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
    const file = join(dir, 'bundle.pem');
    write(file, a.root.certPem + b.root.certPem, 1000);
    const source = new FileTrustAnchorSource(file, 1000, new FakeClock());
    expect(source.current().anchors.map((x) => x.subject)).toEqual([expect.stringContaining('shakenstack test root CA'), expect.stringContaining('shakenstack test root CA')]);
    expect(() => new FileTrustAnchorSource(join(dir, 'nope.pem'), 1000, new FakeClock())).toThrow(ConfigError);
    write(join(dir, 'empty.pem'), 'no certificates here', 1000);
    expect(() => new FileTrustAnchorSource(join(dir, 'empty.pem'), 1000, new FakeClock())).toThrow(/holds no CERTIFICATE block/);
  });

  it('re-reads the file when its mtime changes, at most once per reload interval, with a new generation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
    const file = join(dir, 'bundle.pem');
    write(file, a.root.certPem, 1000);
    const clock = new FakeClock(0);
    const source = new FileTrustAnchorSource(file, 1000, clock);
    const first = source.current();
    write(file, a.root.certPem + b.root.certPem, 2000);
    clock.advance(999);
    expect(source.current()).toBe(first);
    clock.advance(1);
    const second = source.current();
    expect(second.anchors).toHaveLength(2);
    expect(second.generation).toBeGreaterThan(first.generation);
  });

  it('keeps the previous anchors when a reload fails, reports it once, and recovers on the next good change', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
    const file = join(dir, 'bundle.pem');
    write(file, a.root.certPem, 1000);
    const errors: Error[] = [];
    const clock = new FakeClock(0);
    const source = new FileTrustAnchorSource(file, 0, clock, (e) => errors.push(e));
    write(file, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 2000);
    expect(source.current().anchors).toHaveLength(1);
    source.current();
    expect(errors).toHaveLength(1);
    write(file, b.root.certPem, 3000);
    const fingerprintOfB = createHash('sha256').update(new X509Certificate(b.root.certPem).raw).digest('hex');
    expect(source.current().anchors.map((x) => x.fingerprint)).toEqual([fingerprintOfB]);
    expect(errors).toHaveLength(1);
  });

  it('reads every PEM file of a folder, which may start empty, and sees files added later', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'anchors-')), 'roots');
    mkdirSync(dir);
    const source = new FileTrustAnchorSource(dir, 0, new FakeClock());
    expect(source.current().anchors).toHaveLength(0);
    write(join(dir, 'a.pem'), a.root.certPem, 1000);
    write(join(dir, 'ignored.txt'), b.root.certPem, 1000);
    expect(source.current().anchors).toHaveLength(1);
    write(join(dir, 'b.crt'), b.root.certPem, 1000);
    expect(source.current().anchors).toHaveLength(2);
  });
});
