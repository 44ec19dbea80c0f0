import type { Logger } from 'pino';
import type { RcdProfile } from '../core/rcd/rcd-profile.js';
import { startPeriodicJob } from '../store/periodic-job.js';
import type { Store } from '../store/store.js';
import { canonicalJson } from '../core/rcd/canonical-json.js';
import { linkedDigests, type LinkedDigests, type RcdContentDeps } from './rcd-profiles.js';

/** What one refresh of a profile's linked content came to: the digests kept, replaced, or the fetch failed. */
export type RcdRefreshOutcome = 'unchanged' | 'changed' | 'failed';

/** Longest pause between two sweeps, so a stale profile waits at most this past `rcd.refreshIntervalMs`. */
const MAX_SWEEP_MS = 15 * 60_000;

/** Whether the profile links content to fetch: a logo, a jCard URL, or photos and logos in its inline jCard. */
function links(p: RcdProfile): boolean {
  return p.rcd.icn !== undefined || p.rcd.jcl !== undefined || Object.keys(p.nestedDigests ?? {}).length > 0;
}

function sameDigests(a: Record<string, string>, b: Record<string, string>): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export interface RcdRefreshReport {
  profile: RcdProfile;
  outcome: RcdRefreshOutcome;
  /** Why the fetch failed (the linked-content refusal, naming the field). */
  detail?: string;
}

/**
 * Fetches again the linked content (RFC 9795 `icn`, `jcl`, and photos and logos a jCard links) of every profile whose content was fetched more
 * than `maxAgeMs` ago, and stores the new `rcdi` digests with the time: signatures made after it carry digests
 * of what a verifier fetches now. A fetch that fails keeps the old digests and time (tried again next sweep).
 *
 * Several nodes may sweep at once: each reads the profiles, and one that another node refreshed meanwhile is
 * left alone (its fetch time is read again just before writing), so a slower node cannot put back the digests
 * of content that has since changed. The worst a race costs is one extra fetch of the same content.
 */
export async function refreshStaleRcdProfiles(store: Store, deps: RcdContentDeps, maxAgeMs: number): Promise<RcdRefreshReport[]> {
  const nowMs = deps.clock.now();
  const accounts = await store.listAccounts();
  const reports: RcdRefreshReport[] = [];
  for (const account of accounts) {
    for (const profile of await store.listRcdProfiles(account.id)) {
      if (!links(profile)) continue;
      const seen = profile.contentCheckedAt?.getTime() ?? null;
      if (seen !== null && nowMs - seen < maxAgeMs) continue;
      let digests: LinkedDigests;
      try {
        digests = await linkedDigests(profile.rcd, deps);
      } catch (err) {
        reports.push({ profile, outcome: 'failed', detail: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const now = await store.getRcdProfile(profile.id);
      if (!now || (now.contentCheckedAt?.getTime() ?? null) !== seen) continue;
      const updated = await store.updateRcdProfileContent(profile.id, { ...digests, checkedAt: new Date(deps.clock.now()) });
      const changed = digests.icnDigest !== profile.icnDigest || digests.jclDigest !== profile.jclDigest || !sameDigests(digests.nestedDigests, profile.nestedDigests ?? {});
      reports.push({ profile: updated, outcome: changed ? 'changed' : 'unchanged' });
    }
  }
  return reports;
}

/**
 * The background refresh of RCD linked content every `refreshIntervalMs` (0: off), swept at most every 15 minutes.
 * Every node (and worker) runs it: the refresh is idempotent and guarded as above, and needs no lease; the
 * first sweep starts at a random point of the first period so nodes started together seldom fetch together.
 */
export function startRcdRefresh(o: {
  store: Store;
  deps: RcdContentDeps;
  logger: Logger;
  refreshIntervalMs: number;
  onOutcome?: (outcome: RcdRefreshOutcome) => void;
}): { stop(): void } {
  if (o.refreshIntervalMs <= 0) return { stop() {} };
  const sweepMs = Math.max(1000, Math.min(o.refreshIntervalMs, MAX_SWEEP_MS));
  return startPeriodicJob({
    name: 'RCD content refresh',
    logger: o.logger,
    intervalMs: sweepMs,
    firstDelayMs: Math.floor(Math.random() * sweepMs),
    work: async () => {
      for (const r of await refreshStaleRcdProfiles(o.store, o.deps, o.refreshIntervalMs)) {
        o.onOutcome?.(r.outcome);
        const fields = { accountId: r.profile.accountId, rcdProfile: r.profile.id };
        if (r.outcome === 'failed') o.logger.warn({ ...fields, reason: r.detail }, 'RCD profile: linked content could not be fetched again; keeping the digests of the content as last fetched');
        else if (r.outcome === 'changed') o.logger.info({ ...fields, icnDigest: r.profile.icnDigest, jclDigest: r.profile.jclDigest, nestedDigests: r.profile.nestedDigests }, 'RCD profile: linked content changed; new rcdi digests stored');
      }
    },
  });
}
