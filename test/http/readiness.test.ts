import { describe, expect, it } from 'vitest';
import { createReadiness, isReady } from '../../server/health/readiness.js';
import { outageLog } from '../../server/store/outage-log.js';
import { watchChanges } from '../../server/store/change-watcher.js';
import { ShakenError } from '../../server/core/errors.js';

describe('readiness with a store grace period', () => {
  it('is degraded while the store has failed for less than its grace, then not ready, and ready once it answers', async () => {
    const clock = { ms: 0 };
    let storeUp = false;
    const readiness = createReadiness(
      { store: async () => (storeUp ? undefined : Promise.reject(new Error('down'))), token: async () => undefined },
      { graceMs: { store: 1000 }, now: () => clock.ms },
    );
    expect(await readiness.check()).toEqual({ status: 'degraded', checks: { store: 'unavailable', token: 'ok' } });
    clock.ms = 999;
    expect(isReady(await readiness.check())).toBe(true);
    clock.ms = 1000;
    expect(await readiness.check()).toEqual({ status: 'not-ready', checks: { store: 'unavailable', token: 'ok' } });
    storeUp = true;
    expect((await readiness.check()).status).toBe('ready');
    // A new outage starts its grace afresh.
    storeUp = false;
    clock.ms = 5000;
    expect((await readiness.check()).status).toBe('degraded');
  });

  it('is not ready at once when a probe without grace fails', async () => {
    const readiness = createReadiness({ store: async () => undefined, token: () => Promise.reject(new Error('gone')) }, { graceMs: { store: 1000 } });
    expect(await readiness.check()).toEqual({ status: 'not-ready', checks: { store: 'ok', token: 'unavailable' } });
  });
});

describe('background store users log once per outage', () => {
  it('the change watcher logs the first failed poll and the recovery, not every tick, and reports a change made meanwhile', async () => {
    const lines: { level: string; msg: string }[] = [];
    const logger = {
      warn: (_: object, msg: string) => lines.push({ level: 'warn', msg }),
      error: (_: object, msg: string) => lines.push({ level: 'error', msg }),
      info: (_: object, msg: string) => lines.push({ level: 'info', msg }),
    };
    let down = false;
    let version = 1;
    let polls = 0;
    const changes: number[] = [];
    const store = {
      changeVersion: async () => {
        polls++;
        if (down) throw new ShakenError('ERR_STORE_UNAVAILABLE', 'store unavailable');
        return version;
      },
    };
    const watch = watchChanges(store, { intervalMs: 10, since: 1, onChange: (v) => changes.push(v), log: outageLog(logger, 'change watcher') });
    try {
      down = true;
      const before = polls;
      await expect.poll(() => polls - before, { timeout: 5000 }).toBeGreaterThan(5);
      version = 2;
      down = false;
      await expect.poll(() => changes, { timeout: 5000 }).toEqual([2]);
    } finally {
      watch.stop();
    }
    expect(lines).toEqual([
      { level: 'warn', msg: 'change watcher: store unavailable; retrying' },
      { level: 'info', msg: 'change watcher: working again' },
    ]);
  });
});
