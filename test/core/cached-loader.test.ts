import { describe, expect, it } from 'vitest';
import { CachedLoader } from '../../server/core/cached-loader.js';
import { ShakenError } from '../../server/core/errors.js';

/** A store the test switches between answering, being unavailable and failing otherwise; it counts loads. */
function source() {
  const s = {
    value: 'v1',
    mode: 'up' as 'up' | 'down' | 'broken',
    loads: 0,
    load: async (_key: string) => {
      s.loads++;
      if (s.mode === 'down') throw new ShakenError('ERR_STORE_UNAVAILABLE', 'store unavailable');
      if (s.mode === 'broken') throw new ShakenError('ERR_INTERNAL', 'a bug');
      return s.value;
    },
  };
  return s;
}

const TTL = 1000;
const STALE = 10_000;

function setup(staleIfErrorMs = STALE) {
  const clock = { ms: 0, now: () => clock.ms };
  const src = source();
  const cache = new CachedLoader<string, string>(src.load, clock, { ttlMs: TTL, staleIfErrorMs });
  return { clock, src, cache };
}

describe('CachedLoader stale-if-error', () => {
  it('answers the last loaded value while the store is unavailable, up to staleIfErrorMs past the TTL', async () => {
    const { clock, src, cache } = setup();
    expect(await cache.get('k')).toBe('v1');
    src.mode = 'down';
    clock.ms = TTL + 1;
    expect(await cache.get('k')).toBe('v1');
    clock.ms = TTL + STALE;
    expect(await cache.get('k')).toBe('v1');
    clock.ms = TTL + STALE + 1;
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });

  it('does not wait for the store again within a second of a failed reload, and picks up new values once it is back', async () => {
    const { clock, src, cache } = setup();
    await cache.get('k');
    src.mode = 'down';
    clock.ms = TTL + 1;
    await cache.get('k');
    const loads = src.loads;
    for (let i = 0; i < 10; i++) expect(await cache.get('k')).toBe('v1');
    expect(src.loads).toBe(loads);
    src.mode = 'up';
    src.value = 'v2';
    clock.ms += 1000;
    // The retry runs in the background; this call still gets the stale value without waiting.
    expect(await cache.get('k')).toBe('v1');
    await Promise.resolve();
    expect(await cache.get('k')).toBe('v2');
  });

  it('passes on errors other than an unavailable store, and unavailability of a key never loaded', async () => {
    const { clock, src, cache } = setup();
    src.mode = 'down';
    await expect(cache.get('new')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    src.mode = 'up';
    await cache.get('k');
    src.mode = 'broken';
    clock.ms = TTL + 1;
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
  });

  it('after clear() reloads every key, and keeps the old values only as the outage fallback', async () => {
    const { src, cache } = setup();
    await cache.get('k');
    src.value = 'v2';
    cache.clear();
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k')).toBe('v2');
    cache.clear();
    src.mode = 'down';
    expect(await cache.get('k')).toBe('v2');
  });

  it('answers the stale value when the store does not answer a reload within the patience, and keeps the reload going', async () => {
    const clock = { ms: 0, now: () => clock.ms };
    let answer: ((v: string) => void) | undefined;
    const cache = new CachedLoader<string, string>(
      (_key) => (answer ? new Promise<string>((r) => (answer = r)) : ((answer = () => undefined), Promise.resolve('v1'))),
      clock,
      { ttlMs: TTL, staleIfErrorMs: STALE, reloadPatienceMs: 20 },
    );
    expect(await cache.get('k')).toBe('v1');
    clock.ms = TTL + 1;
    // The store hangs (a blackhole): this call is answered from the stale value.
    expect(await cache.get('k')).toBe('v1');
    answer!('v2');
    await Promise.resolve();
    expect(await cache.get('k')).toBe('v2');
  });

  it('with staleIfErrorMs 0 fails as soon as an expired entry cannot be reloaded', async () => {
    const { clock, src, cache } = setup(0);
    await cache.get('k');
    src.mode = 'down';
    clock.ms = TTL + 1;
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });
});

describe('CachedLoader lifetimes, sharing and bounds', () => {
  /** A loader that counts loads per key and answers each key after the test releases it. */
  function pending() {
    const loads = new Map<string, number>();
    const waiting: Array<(v: { value: string; ttlMs: number }) => void> = [];
    const load = (key: string) => {
      loads.set(key, (loads.get(key) ?? 0) + 1);
      return new Promise<{ value: string; ttlMs: number }>((r) => waiting.push(r));
    };
    return { loads, waiting, load };
  }

  it('shares one load among concurrent misses of a key', async () => {
    const clock = { ms: 0, now: () => clock.ms };
    const src = pending();
    const cache = new CachedLoader(src.load, clock, { ttlMs: (f: { value: string; ttlMs: number }) => f.ttlMs });
    const calls = Array.from({ length: 5 }, () => cache.get('u'));
    expect(src.loads.get('u')).toBe(1);
    src.waiting[0]!({ value: 'chain', ttlMs: 1000 });
    expect((await Promise.all(calls)).map((f) => f.value)).toEqual(['chain', 'chain', 'chain', 'chain', 'chain']);
    expect(cache.peek('u')?.value).toBe('chain');
  });

  it('keeps each value for the TTL decided when it arrived', async () => {
    const clock = { ms: 0, now: () => clock.ms };
    let ttlMs = 120_000;
    let loads = 0;
    const cache = new CachedLoader<string, { value: string; ttlMs: number }>(async () => ({ value: `v${++loads}`, ttlMs }), clock, { ttlMs: (f) => f.ttlMs });
    expect((await cache.get('u')).value).toBe('v1');
    clock.ms = 119_999;
    expect((await cache.get('u')).value).toBe('v1');
    clock.ms = 120_000;
    ttlMs = 30_000;
    expect((await cache.get('u')).value).toBe('v2');
    clock.ms = 150_000;
    expect((await cache.get('u')).value).toBe('v3');
  });

  it('gives a value with a TTL of 0 or less to the calls that waited for it, and does not keep it', async () => {
    const clock = { ms: 0, now: () => clock.ms };
    const src = pending();
    const cache = new CachedLoader(src.load, clock, { ttlMs: (f: { value: string; ttlMs: number }) => f.ttlMs, staleIfErrorMs: 10_000 });
    const both = [cache.get('no-store'), cache.get('no-store')];
    src.waiting[0]!({ value: 'once', ttlMs: 0 });
    expect((await Promise.all(both)).map((f) => f.value)).toEqual(['once', 'once']);
    expect(cache.peek('no-store')).toBeUndefined();
    void cache.get('no-store');
    expect(src.loads.get('no-store')).toBe(2);
  });

  it('keeps a failure returned as a value for its short TTL, and forgets a load that threw', async () => {
    const clock = { ms: 0, now: () => clock.ms };
    let loads = 0;
    let mode: 'value' | 'throw' = 'value';
    const cache = new CachedLoader<string, { value: string; ttlMs: number }>(
      async () => {
        loads++;
        if (mode === 'throw') throw new Error('a bug');
        return { value: 'unreachable', ttlMs: 10_000 };
      },
      clock,
      { ttlMs: (f) => f.ttlMs },
    );
    await cache.get('dead');
    await cache.get('dead');
    expect(loads).toBe(1);
    mode = 'throw';
    await expect(cache.get('broken')).rejects.toThrow('a bug');
    await expect(cache.get('broken')).rejects.toThrow('a bug');
    expect(loads).toBe(3);
  });

  it('holds at most maxEntries keys, dropping the one loaded longest ago', async () => {
    const clock = { ms: 0, now: () => clock.ms };
    const loads: string[] = [];
    const cache = new CachedLoader<string, string>(async (k) => (loads.push(k), k), clock, { ttlMs: 60_000, maxEntries: 2 });
    await cache.get('a');
    await cache.get('b');
    await cache.get('c');
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.peek('b')).toBe('b');
    expect(cache.peek('c')).toBe('c');
    clock.ms = 60_000;
    // A reload moves `b` to the back: `c` is now the oldest.
    await cache.get('b');
    clock.ms = 0;
    await cache.get('d');
    expect([cache.peek('b'), cache.peek('c'), cache.peek('d')]).toEqual(['b', undefined, 'd']);
    expect(loads).toEqual(['a', 'b', 'c', 'b', 'd']);
  });
});
