import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withTimeout } from '../../server/core/with-timeout.js';

// Fake timers: the deadline is passed by advancing the clock, not by waiting, and the pending timer count shows a leak.
describe('withTimeout', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('settles with the work when it finishes first and clears its timer', async () => {
    await expect(withTimeout(Promise.resolve('done'), 1000, () => 'late')).resolves.toBe('done');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes on the work’s rejection and clears its timer', async () => {
    await expect(withTimeout(Promise.reject(new Error('broken')), 1000, () => 'late')).rejects.toThrow('broken');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('settles with onTimeout’s value when the work is still running at the deadline, read at that moment', async () => {
    let fallback = 'old';
    const result = withTimeout(new Promise<string>(() => undefined), 1000, () => fallback);
    fallback = 'current';
    await vi.advanceTimersByTimeAsync(999);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe('current');
  });

  it('rejects with what onTimeout throws', async () => {
    const result = withTimeout(new Promise<string>(() => undefined), 10, () => {
      throw new Error('too slow');
    });
    const settled = expect(result).rejects.toThrow('too slow');
    await vi.advanceTimersByTimeAsync(10);
    await settled;
  });
});
