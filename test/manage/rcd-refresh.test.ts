import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateFetcher } from '../../server/core/verify/verify-ports.js';
import { addRcdProfile } from '../../server/manage/rcd-profiles.js';
import { refreshStaleRcdProfiles } from '../../server/manage/rcd-refresh.js';
import { openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/store.js';
import { createHttpsFetcher } from '../../server/verify-fetch/https-fetcher.js';
import { FakeClock } from '../helpers/core-fixture.js';
import { CertServer } from '../verify/support.js';

const HOUR = 3_600_000;
const sri = (b: string) => `sha256-${createHash('sha256').update(b).digest('base64')}`;
const png = { 'content-type': 'image/png' };

describe('refreshStaleRcdProfiles: linked content fetched again once older than the interval', () => {
  let dataDir: string;
  let store: Store;
  let content: CertServer;
  const clock = new FakeClock();
  let fetcher: CertificateFetcher;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-rcd-refresh-'));
    store = await openStore({ engine: 'embedded', dataDir });
    content = await CertServer.start();
    fetcher = createHttpsFetcher({ allowHttpX5u: false, allowPrivateAddresses: true, timeoutMs: 2000, maxBytes: 65536, tlsCa: content.tlsCaPem, now: () => clock.now() });
  });
  afterAll(async () => {
    await store?.close();
    await content?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('leaves fresh profiles and those without links alone, keeps unchanged content, stores changed content, and keeps the old digests when a fetch fails', async () => {
    const acc = await store.createAccount({ name: 'refresh', defaultAttest: 'A', maxAttest: 'A', tokenTtlSec: 60, policyMode: 'trust', nonNumericOrig: 'B' });
    const deps = { fetcher, clock };
    content.serve('/a.png', 'logo a', png);
    content.serve('/b.png', 'logo b', png);
    const a = await addRcdProfile(store, acc.id, { rcd: { nam: 'A Brand', icn: content.url('/a.png') }, tns: ['12025550100'] }, deps);
    const b = await addRcdProfile(store, acc.id, { rcd: { nam: 'B Brand', icn: content.url('/b.png') }, tns: ['12025550100'] }, deps);
    await addRcdProfile(store, acc.id, { rcd: { nam: 'No Links' }, tns: ['12025550100'] }, deps);

    expect(await refreshStaleRcdProfiles(store, deps, HOUR)).toEqual([]);
    clock.advance(HOUR);
    content.serve('/b.png', 'logo b, redrawn', png);
    const r1 = await refreshStaleRcdProfiles(store, deps, HOUR);
    expect(r1.map((r) => [r.profile.id, r.outcome])).toEqual([[a.id, 'unchanged'], [b.id, 'changed']]);
    expect(await store.getRcdProfile(b.id)).toMatchObject({ icnDigest: sri('logo b, redrawn'), contentCheckedAt: new Date(clock.now()) });
    expect((await store.getRcdProfile(a.id))?.contentCheckedAt).toEqual(new Date(clock.now()));

    clock.advance(HOUR);
    content.routes.delete('/a.png');
    content.serve('/b.png', 'not an image', { 'content-type': 'text/html' });
    const r2 = await refreshStaleRcdProfiles(store, deps, HOUR);
    expect(r2.map((r) => [r.profile.id, r.outcome])).toEqual([[a.id, 'failed'], [b.id, 'failed']]);
    expect(r2[0]!.detail).toMatch(/rcd\.icn|linked content/);
    expect(await store.getRcdProfile(a.id)).toMatchObject({ icnDigest: sri('logo a'), contentCheckedAt: new Date(clock.now() - HOUR) });
    expect(await store.getRcdProfile(b.id)).toMatchObject({ icnDigest: sri('logo b, redrawn') });
  });

  it('fetches again the photo an inline jCard links and stores its new digest under its pointer', async () => {
    const acc = await store.createAccount({ name: 'nested', defaultAttest: 'A', maxAttest: 'A', tokenTtlSec: 60, policyMode: 'trust', nonNumericOrig: 'B' });
    content.serve('/face.png', 'face v1', png);
    const jcd = ['vcard', [['fn', {}, 'text', 'Face Co'], ['photo', {}, 'uri', content.url('/face.png')]]];
    const p = await addRcdProfile(store, acc.id, { rcd: { nam: 'Face Co', jcd }, tns: ['12025550100'] }, { fetcher, clock });
    expect(p.nestedDigests).toEqual({ '/jcd/1/1/3': sri('face v1') });
    clock.advance(HOUR);
    content.serve('/face.png', 'face v2', png);
    const r = (await refreshStaleRcdProfiles(store, { fetcher, clock }, HOUR)).filter((x) => x.profile.id === p.id);
    expect(r.map((x) => x.outcome)).toEqual(['changed']);
    expect((await store.getRcdProfile(p.id))?.nestedDigests).toEqual({ '/jcd/1/1/3': sri('face v2') });
  });

  it('does not overwrite what another node stored while it was fetching', async () => {
    const acc = await store.createAccount({ name: 'race', defaultAttest: 'A', maxAttest: 'A', tokenTtlSec: 60, policyMode: 'trust', nonNumericOrig: 'B' });
    content.serve('/race.png', 'old logo', png);
    const p = await addRcdProfile(store, acc.id, { rcd: { nam: 'Race Brand', icn: content.url('/race.png') }, tns: ['12025550100'] }, { fetcher, clock });
    clock.advance(HOUR);
    // This node reads the old content; meanwhile another node fetched newer content and stored its digest.
    const slow: CertificateFetcher = {
      ...fetcher,
      fetch: async (url, kind) => {
        const r = await fetcher.fetch(url, kind);
        content.serve('/race.png', 'new logo', png);
        await store.updateRcdProfileContent(p.id, { icnDigest: sri('new logo'), jclDigest: null, checkedAt: new Date(clock.now() + 1) });
        return r;
      },
    };
    const reports = await refreshStaleRcdProfiles(store, { fetcher: slow, clock }, HOUR);
    expect(reports.filter((r) => r.profile.id === p.id)).toEqual([]);
    expect((await store.getRcdProfile(p.id))?.icnDigest).toBe(sri('new logo'));
  });
});
