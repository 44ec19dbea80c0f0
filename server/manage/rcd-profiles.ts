import { ShakenError } from '../core/errors.js';
import type { Clock } from '../core/ports.js';
import { fetchLinkedContent, type LinkedRole } from '../core/rcd/linked-content.js';
import type { JcardLink } from '../core/rcd/jcard-links.js';
import { jcardContentLinks, parseRcdProfileInput, type RcdProfile } from '../core/rcd/rcd-profile.js';
import type { CertificateFetcher } from '../core/verify/verify-ports.js';
import type { Store } from '../store/store.js';

/** What managing RCD profiles needs besides the store: the SSRF-safe fetcher (kind `rcd`) and a clock. */
export interface RcdContentDeps {
  fetcher: CertificateFetcher;
  clock: Clock;
}

/** The `rcdi` digests of a profile's linked content, as fetched now (RFC 9795). */
export interface LinkedDigests {
  icnDigest: string | null;
  jclDigest: string | null;
  /** Photos and logos nested in the jCard (inline or linked): pointer → digest (jcard-links.ts). */
  nestedDigests: Record<string, string>;
}

/**
 * Fetches a profile's linked content (logo at `icn`, jCard at `jcl`, and the photos and logos either jCard links)
 * now and returns its `rcdi` digests (RFC 9795). Signing uses these and never fetches; content that cannot be
 * fetched, is too large, slow, of the wrong type or redirected is refused here, naming the field, so an operator
 * fixes it before a call is signed. A linked jCard is held to the inline one's rule on nested links.
 */
export async function linkedDigests(rcd: RcdProfile['rcd'], deps: RcdContentDeps): Promise<LinkedDigests> {
  const fetchOk = async (url: string, role: LinkedRole, field: string) => {
    const c = await fetchLinkedContent(deps.fetcher, url, role);
    if (!c.ok) throw new ShakenError('ERR_REQ_FIELD_INVALID', `linked content refused: ${c.detail}`, { field });
    return c;
  };
  const nestedDigests: Record<string, string> = {};
  const nested = async (links: JcardLink[], field: string): Promise<void> => {
    await Promise.all(
      links.map(async (l) => {
        nestedDigests[l.pointer] = (await fetchOk(l.url, 'jcard-image', `${field}${l.pointer.slice(4).replace(/\/(\d+)/g, '[$1]')}`)).digest;
      }),
    );
  };
  const icn = rcd.icn === undefined ? undefined : fetchOk(rcd.icn, 'icn', 'rcd.icn');
  const jcl = rcd.jcl === undefined ? undefined : fetchOk(rcd.jcl, 'jcl', 'rcd.jcl');
  const fromCard = (async () => {
    if (rcd.jcd !== undefined) await nested(jcardContentLinks(rcd.jcd, '/jcd', 'rcd.jcd'), 'rcd.jcd');
    if (jcl !== undefined) await nested(jcardContentLinks((await jcl).card, '/jcl', 'rcd.jcl'), 'rcd.jcl');
  })();
  const [icnC, jclC] = await Promise.all([icn, jcl, fromCard]);
  return { icnDigest: icnC?.digest ?? null, jclDigest: jclC?.digest ?? null, nestedDigests };
}

/** Vets a brand for an account: validates it, fetches and digests its linked content, stores it. */
export async function addRcdProfile(store: Store, accountId: string, input: unknown, deps: RcdContentDeps): Promise<RcdProfile> {
  const parsed = parseRcdProfileInput(input);
  const digests = await linkedDigests(parsed.rcd, deps);
  const links = parsed.rcd.icn !== undefined || parsed.rcd.jcl !== undefined || Object.keys(digests.nestedDigests).length > 0;
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
