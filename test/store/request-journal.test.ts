import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RequestLogRecord } from '../../server/core/ports.js';
import { blankLogRecord, withRequestLog } from '../../server/core/request-log-record.js';
import { ownerName, segmentFileName, selfOwnerName } from '../../server/store/journal-segments.js';
import { JournalShipper } from '../../server/store/journal-shipper.js';
import { openStore } from '../../server/store/open-store.js';
import { RequestJournal, type RequestJournalOptions } from '../../server/store/request-journal.js';
import type { Store } from '../../server/store/store.js';

const rec = (origid = randomUUID()): RequestLogRecord => ({
  ...blankLogRecord('sign', 'http', new Date()),
  outcome: 'ok',
  orig: '14045266060',
  dest: '18001234567',
  attestRequested: 'A',
  attestApplied: 'A',
  attestReason: 'requested',
  latencyUs: 100,
  origid,
});

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('request-log journal', () => {
  let dataDir: string;
  let dir: string;
  let store: Store;
  const owner = ownerName(process.pid, Date.now());
  const unjournaled: RequestLogRecord[] = [];
  const journal = (o: Partial<RequestJournalOptions> = {}) =>
    new RequestJournal({ dir, owner, segmentBytes: 1 << 20, isFull: () => false, onUnjournaled: (r) => unjournaled.push(...r), onWritten: () => undefined, ...o });
  const shipper = (who = owner) => new JournalShipper(store, { dir, owner: who, maxBatch: 50, batchTimeoutMs: 10_000, warn: () => undefined });
  const stored = async () => (await store.queryRequestLog({ limit: 1_000_000 })).map((r) => r.origid);

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'journal-'));
    dir = join(dataDir, 'journal');
    store = await openStore({ engine: 'embedded', dataDir });
    unjournaled.length = 0;
  });
  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('has the record in the file when the caller of the core resumes, whether it awaits or uses then()', async () => {
    const j = journal();
    const seen: boolean[] = [];
    const fileHas = (origid: string) => readdirSync(dir).some((f) => readFileSync(join(dir, f), 'utf8').includes(origid));
    const a = rec();
    const b = rec();
    const viaThen = withRequestLog(j, a, async () => 'signed', () => undefined).then(() => seen.push(fileHas(a.origid!)));
    await withRequestLog(j, b, async () => 'signed', () => undefined);
    seen.push(fileHas(b.origid!));
    await viaThen;
    // A refused request is recorded before its error reaches the transport too.
    const c = rec();
    await withRequestLog(j, c, async () => Promise.reject(new Error('boom')), () => undefined).catch(() => seen.push(fileHas(c.origid!)));
    expect(seen).toEqual([true, true, true]);
    j.close();
  });

  it('writes one line per record, rotates segments at their size, and keeps the folder 0700 and files 0600 under umask 022', async () => {
    const old = process.umask(0o022);
    try {
      const j = journal({ segmentBytes: 2000 });
      for (let i = 0; i < 40; i++) {
        j.record(rec());
        j.flush();
      }
      j.close();
    } finally {
      process.umask(old);
    }
    const files = readdirSync(dir).sort();
    expect(files.length).toBeGreaterThan(3);
    expect(files[0]).toBe(segmentFileName(owner, 1));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    const lines = files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
    expect(lines).toHaveLength(40);
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: 'sign', outcome: 'ok' });
  });

  it('groups the records finished in one event-loop turn into one write, and settles each record promise once it is written', async () => {
    const writes: number[] = [];
    const j = journal({ onWritten: (_bytes, records) => writes.push(records) });
    const settled: number[] = [];
    // Three records in one microtask run and one in a later run of the same turn: one write, nothing before it.
    const first = [0, 1, 2].map(() => j.record(rec()));
    await Promise.resolve();
    first.push(j.record(rec()));
    expect(writes).toEqual([]);
    for (const p of first) void p.then(() => settled.push(writes.length));
    await Promise.all(first);
    expect(writes).toEqual([4]);
    expect(settled).toEqual([1, 1, 1, 1]);
    // A record in a later turn is a write of its own.
    await j.record(rec());
    expect(writes).toEqual([4, 1]);
    j.close();
  });

  it('ships its own segments, deletes the complete ones and keeps the one still written to', async () => {
    const j = journal({ segmentBytes: 3000 });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = rec();
      ids.push(r.origid!);
      j.record(r);
      j.flush();
    }
    const s = shipper();
    await s.ship();
    expect((await stored()).sort()).toEqual([...ids].sort());
    expect(readdirSync(dir)).toHaveLength(1);
    expect(s.pendingBytes).toBe(0);
    const later = rec();
    j.record(later);
    j.close();
    await s.ship(true);
    expect(await stored()).toContain(later.origid);
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it('reads every segment and pass into one kept buffer, and never ships bytes a longer earlier read left in it', async () => {
    const reads = vi.spyOn(Buffer, 'allocUnsafe');
    try {
      // Segments of several lengths (the first ones longest), then a pass that finds a half-written line.
      const j = journal({ segmentBytes: 3000 });
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = rec(i < 12 ? `${randomUUID()}-${'x'.repeat(60)}` : randomUUID());
        ids.push(r.origid!);
        j.record(r);
        j.flush();
      }
      const s = shipper();
      await s.ship();
      const [open] = readdirSync(dir);
      const tailId = randomUUID();
      const tail = JSON.stringify({ ...rec(tailId), time: Date.now() });
      appendFileSync(join(dir, open!), tail.slice(0, 40));
      await s.ship();
      expect((await stored()).sort()).toEqual([...ids].sort());
      appendFileSync(join(dir, open!), `${tail.slice(40)}\n`);
      await s.ship(true);
      expect((await stored()).sort()).toEqual([...ids, tailId].sort());
      expect(reads.mock.calls.filter(([size]) => size === 1 << 20)).toHaveLength(1);
    } finally {
      reads.mockRestore();
    }
  });

  it('replays the segments of a dead process once: adopted, stored, deleted, and never twice on a second replay', async () => {
    const dead = ownerName(deadPid(), Date.now() - 1000);
    const j = new RequestJournal({ dir, owner: dead, segmentBytes: 1 << 20, isFull: () => false, onUnjournaled: () => undefined, onWritten: () => undefined });
    const ids = Array.from({ length: 120 }, () => rec());
    for (const r of ids) j.record(r);
    j.close();
    // A kill -9 mid-write leaves an unterminated tail: never answered, so not a record.
    const seg = join(dir, segmentFileName(dead, 1));
    appendFileSync(seg, '{"kind":"sign","ti');
    const copy = join(dataDir, 'copy.jsonl');
    copyFileSync(seg, copy);
    // A live process's segment is left alone.
    const liveOwner = ownerName(process.ppid, 1);
    writeFileSync(join(dir, segmentFileName(liveOwner, 1)), JSON.stringify(rec()) + '\n');

    await shipper().ship();
    expect((await stored()).sort()).toEqual(ids.map((r) => r.origid).sort());
    expect(readdirSync(dir)).toEqual([segmentFileName(liveOwner, 1)]);

    // A process killed after storing but before deleting: the same segment again, shipped by someone else.
    copyFileSync(copy, seg);
    await shipper(ownerName(process.pid, Date.now() + 5)).ship();
    expect(await store.countRequestLog()).toBe(120);
    expect(readdirSync(dir)).toEqual([segmentFileName(liveOwner, 1)]);
  });

  it('adopts a segment a dead adopter had claimed, and skips a damaged line without losing the others', async () => {
    const writer = ownerName(deadPid(), 1);
    const adopter = ownerName(deadPid(), 2);
    const good = [rec(), rec()];
    mkdirSync(dir);
    writeFileSync(join(dir, `${segmentFileName(writer, 3)}~${adopter}`), `${JSON.stringify(good[0])}\nnot json\n${JSON.stringify(good[1])}\n`);
    const s = shipper();
    await s.ship();
    expect((await stored()).sort()).toEqual(good.map((r) => r.origid).sort());
    expect(s.corruptLines).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('ships a segment journaled before the PASSporT list existed: its records are stored with none (null)', async () => {
    // Exactly what the version before issue 14 wrote: the same record without the `passports` member.
    const before = [rec(), rec(), rec()].map(({ passports: _none, ...old }) => old);
    const after = { ...rec(), passports: 'shaken,div' };
    mkdirSync(dir);
    const lines = [...before, after].map((r) => JSON.stringify(r) + '\n').join('');
    expect(lines).not.toMatch(/"passports":(null|"shaken")/);
    writeFileSync(join(dir, segmentFileName(ownerName(deadPid(), 4), 1)), lines);
    // What the store is handed is a whole record: null, not a missing member the store would have to guess at.
    const handed: RequestLogRecord[] = [];
    const s = new JournalShipper(
      { appendRequestLog: (records) => (handed.push(...records), store.appendRequestLog(records)) },
      { dir, owner, maxBatch: 50, batchTimeoutMs: 10_000, warn: () => undefined },
    );
    await s.ship();
    expect(handed.map((r) => r.passports)).toStrictEqual([null, null, null, 'shaken,div']);
    const rows = await store.queryRequestLog({ limit: 10 });
    expect(new Map(rows.map((r) => [r.origid, r.passports]))).toEqual(new Map([...before.map((r) => [r.origid, null] as const), [after.origid, 'shaken,div']]));
    expect(rows.find((r) => r.origid === before[0]!.origid)).toMatchObject({ kind: 'sign', outcome: 'ok', attestApplied: 'A', latencyUs: 100 });
    expect(s.corruptLines).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('ships a segment journaled before branded-call insight: its records are stored with no RCD profile or result (null)', async () => {
    // Exactly what the version before issue 16 wrote: the record without `rcdProfile` and `rcdVerified`.
    const before = [rec(), rec()].map(({ rcdProfile: _p, rcdVerified: _v, ...old }) => ({ ...old, passports: 'shaken' }));
    const signed = { ...rec(), rcdProfile: 'rcd_brand1' };
    const verified = { ...rec(), kind: 'verify' as const, rcdVerified: false };
    mkdirSync(dir);
    const lines = [...before, signed, verified].map((r) => JSON.stringify(r) + '\n').join('');
    writeFileSync(join(dir, segmentFileName(ownerName(deadPid(), 5), 1)), lines);
    const handed: RequestLogRecord[] = [];
    const s = new JournalShipper(
      { appendRequestLog: (records) => (handed.push(...records), store.appendRequestLog(records)) },
      { dir, owner, maxBatch: 50, batchTimeoutMs: 10_000, warn: () => undefined },
    );
    await s.ship();
    expect(handed.map((r) => [r.rcdProfile, r.rcdVerified])).toStrictEqual([[null, null], [null, null], ['rcd_brand1', null], [null, false]]);
    const rows = await store.queryRequestLog({ limit: 10 });
    const expected = new Map<string | null, [string | null, boolean | null]>([[signed.origid, ['rcd_brand1', null]], [verified.origid, [null, false]]]);
    for (const r of before) expected.set(r.origid, [null, null]);
    expect(new Map(rows.map((r) => [r.origid, [r.rcdProfile, r.rcdVerified]]))).toEqual(expected);
    expect((await store.queryRequestLog({ passport: 'branded' })).map((r) => r.origid).sort()).toEqual([signed.origid, verified.origid].sort());
    expect(s.corruptLines).toBe(0);
  });

  it('journals the time as epoch milliseconds, and ships both that and the ISO text of older segments as the same time', async () => {
    const at = new Date('2026-12-07T09:15:30.123Z');
    const now = { ...rec(), time: at };
    const j = journal();
    j.record(now);
    j.close();
    const [file] = readdirSync(dir);
    expect(JSON.parse(readFileSync(join(dir, file!), 'utf8')).time).toBe(at.getTime());
    // What versions before wrote: the Date as JSON gives it, ISO text.
    const older = { ...rec(), time: new Date(at.getTime() - 1) };
    const line = JSON.stringify(older);
    expect(line).toContain('"time":"2026-12-07T09:15:30.122Z"');
    writeFileSync(join(dir, segmentFileName(ownerName(deadPid(), 6), 1)), `${line}\n`);
    await shipper().ship(true);
    const rows = await store.queryRequestLog({ limit: 10 });
    expect(new Map(rows.map((r) => [r.origid, r.time.getTime()]))).toEqual(
      new Map([
        [now.origid, at.getTime()],
        [older.origid, at.getTime() - 1],
      ]),
    );
  });

  it('journals the PASSporT list with the record and ships it into the store', async () => {
    const j = journal();
    const r = { ...rec(), passports: 'shaken,div,div' };
    j.record(r);
    j.close();
    const [file] = readdirSync(dir);
    expect(JSON.parse(readFileSync(join(dir, file!), 'utf8'))).toMatchObject({ origid: r.origid, passports: 'shaken,div,div' });
    await shipper().ship(true);
    expect((await store.queryRequestLog({ passport: 'div' })).map((x) => x.origid)).toEqual([r.origid]);
  });

  it('steps over a damaged stretch with no line end (zeros after a power loss) and stores the records after it', async () => {
    mkdirSync(dir);
    const after = rec();
    const seg = join(dir, segmentFileName(ownerName(deadPid(), 3), 1));
    writeFileSync(seg, Buffer.concat([Buffer.alloc(1536 * 1024), Buffer.from(`\n${JSON.stringify(after)}\n`)]));
    const s = shipper();
    await s.ship();
    expect(await stored()).toEqual([after.origid]);
    expect(s.corruptLines).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('tells a reused pid from its first owner by the kernel start time: a segment of the old owner is adopted, a live one left', async () => {
    mkdirSync(dir);
    const startTicks = (pid: number) => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    };
    // The parent process is alive; an owner with its pid and another start time is a process that is gone.
    const reused = `${process.ppid}-t${(startTicks(process.ppid) + 1).toString(36)}`;
    const live = `${process.ppid}-t${startTicks(process.ppid).toString(36)}`;
    const old = rec();
    writeFileSync(join(dir, segmentFileName(reused, 1)), JSON.stringify(old) + '\n');
    writeFileSync(join(dir, segmentFileName(live, 1)), JSON.stringify(rec()) + '\n');
    await shipper().ship();
    expect(await stored()).toEqual([old.origid]);
    expect(readdirSync(dir)).toEqual([segmentFileName(live, 1)]);
    expect(selfOwnerName()).toMatch(new RegExp(`^${process.pid}-t${startTicks(process.pid).toString(36)}_[0-9a-f]{6}$`));
  });

  it('hands records over as unjournaled when full, and when a write fails', async () => {
    let full = true;
    const j = journal({ isFull: () => full });
    const a = rec();
    j.record(a);
    j.flush();
    expect(unjournaled).toEqual([a]);
    expect(readdirSync(dir)).toEqual([]);
    full = false;
    j.record(rec());
    j.flush();
    expect(readdirSync(dir)).toHaveLength(1);
    j.close();
  });
});
