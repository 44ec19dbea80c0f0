import type { OutageLog } from './outage-log.js';
import type { Store } from './store.js';

export interface WatchChangesOptions {
  intervalMs: number;
  /** Called with the new version. If it throws, the same change is reported again on the next poll. */
  onChange(version: number): void;
  /**
   * The version the caller's caches were loaded at (read it before loading). Without it the first poll only
   * sets the baseline, and a change between loading and that poll goes unnoticed.
   */
  since?: number;
  /** Hears each failed and each successful poll (logs once per outage). */
  log?: OutageLog;
}

export interface ChangeWatch {
  /**
   * The caller has already acted on `version` (a change this process made, heard as it committed): a poll that
   * finds the counter there reports nothing, so one change drops the caches once, not twice.
   */
  handled(version: number): void;
  stop(): void;
}

/**
 * Polls the store's change counter so that a process drops its caches when another one (a cluster worker,
 * another node, the CLI) changed accounts, credentials or API keys. Several changes between two polls are
 * reported once, with the latest version. A failed poll is logged once per outage and retried at the next tick;
 * caches stay as they are meanwhile (they serve stale values through the outage, see CachedLoader), and the first
 * poll after it compares with the last version seen, so a change made during or after the outage is noticed.
 */
export function watchChanges(store: Pick<Store, 'changeVersion'>, options: WatchChangesOptions): ChangeWatch {
  let last = options.since;
  let polling = false;
  let stopped = false;
  // Bumped by handled(): a poll that read the counter before then compares an older value with a newer `last`.
  let handledCount = 0;

  const poll = async (): Promise<void> => {
    if (polling || stopped) return;
    polling = true;
    try {
      const seen = handledCount;
      const version = await store.changeVersion();
      if (stopped || seen !== handledCount) return;
      if (last !== undefined && version !== last) options.onChange(version);
      last = version;
      options.log?.ok();
    } catch (err) {
      // The store is down or onChange threw: nothing to do until the next tick.
      options.log?.failed(err);
    } finally {
      polling = false;
    }
  };

  const timer = setInterval(() => void poll(), options.intervalMs);
  timer.unref();
  void poll();
  return {
    handled(version) {
      handledCount++;
      // Two local changes may be heard out of commit order; the later version covers the earlier.
      if (last === undefined || version > last) last = version;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
