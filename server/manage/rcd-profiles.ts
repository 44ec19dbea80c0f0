import { ShakenError } from '../core/errors.js';
import type { Clock } from '../core/ports.js';
import { fetchLinkedContent, type LinkedRole } from '../core/rcd/linked-content.js';
import { parseRcdProfileInput, type RcdProfile } from '../core/rcd/rcd-profile.js';
import type { CertificateFetcher } from '../core/verify/verify-ports.js';
import type { Store } from '../store/store.js';

/** What managing RCD profiles needs besides the store: the SSRF-safe fetcher (kind `rcd`) and a clock. */
export interface RcdContentDeps {
  fetcher: CertificateFetcher;
  clock: Clock;
}

/**
 * Fetches a profile's linked content (logo at `icn`, jCard at `jcl`) now and returns its `rcdi` digests
 * (RFC 9795 §6). Signing uses these and never fetches; content that cannot be fetched, is too large, slow, of
 * the wrong type or redirected is refused here, naming the field, so an operator fixes it before a call is signed.
 */
export async function linkedDigests(rcd: RcdProfile['rcd'], deps: RcdContentDeps): Promise<{ icnDigest: string | null; jclDigest: string | null }> {
  const digest = async (url: string | undefined, role: LinkedRole): Promise<string | null> => {
    if (url === undefined) return null;
    const c = await fetchLinkedContent(deps.fetcher, url, role);
    if (!c.ok) throw new ShakenError('ERR_REQ_FIELD_INVALID', `linked content refused: ${c.detail}`, { field: `rcd.${role}` });
    return c.digest;
  };
  const [icnDigest, jclDigest] = await Promise.all([digest(rcd.icn, 'icn'), digest(rcd.jcl, 'jcl')]);
  return { icnDigest, jclDigest };
}

/** Vets a brand for an account: validates it, fetches and digests its linked content, stores it. */
export async function addRcdProfile(store: Store, accountId: string, input: unknown, deps: RcdContentDeps): Promise<RcdProfile> {
  const parsed = parseRcdProfileInput(input);
  const digests = await linkedDigests(parsed.rcd, deps);
  const links = parsed.rcd.icn !== undefined || parsed.rcd.jcl !== undefined;
  return store.addRcdProfile({ accountId, ...parsed, ...digests, contentCheckedAt: links ? new Date(deps.clock.now()) : null });
}

export function listRcdProfiles(store: Store, accountId: string): Promise<RcdProfile[]> {
  return store.listRcdProfiles(accountId);
}

/** One of the account's profiles; another account's is answered as one that does not exist. */
export async function ownedRcdProfile(store: Store, accountId: string, id: unknown): Promise<RcdProfile> {
  const profile = typeof id === 'string' && id !== '' ? await store.getRcdProfile(id) : undefined;
  if (!profile || profile.accountId !== accountId) throw new ShakenError('ERR_REQ_NOT_FOUND', `RCD profile ${String(id)} is not a profile of this account`, { field: 'id' });
  return profile;
}

/**
 * Fetches the profile's linked content again and stores the new digests: after the brand changed its logo or
 * jCard, or on a schedule. Until then calls are signed with the digests of the content as it was vetted.
 */
export async function refreshRcdProfile(store: Store, accountId: string, id: unknown, deps: RcdContentDeps): Promise<RcdProfile> {
  const profile = await ownedRcdProfile(store, accountId, id);
  const digests = await linkedDigests(profile.rcd, deps);
  return store.updateRcdProfileContent(profile.id, { ...digests, checkedAt: new Date(deps.clock.now()) });
}

export async function removeRcdProfile(store: Store, accountId: string, id: unknown): Promise<RcdProfile> {
  const profile = await ownedRcdProfile(store, accountId, id);
  return store.removeRcdProfile(profile.id);
}
