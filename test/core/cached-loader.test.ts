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
