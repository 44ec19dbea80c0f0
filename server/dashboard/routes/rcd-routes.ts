import type { FastifyInstance } from 'fastify';
import { ShakenError } from '../../core/errors.js';
import type { RcdProfile } from '../../core/rcd/rcd-profile.js';
import { addRcdProfile, ownedRcdProfile, refreshRcdProfile, removeRcdProfile } from '../../manage/rcd-profiles.js';
import { readableAccount, requireAdmin } from '../access.js';
import { audit, bodyOf, userOf, type DashboardContext } from '../context.js';

type Params = { Params: { id: string; profile: string } };

/** A profile as the dashboard shows it: the profile, and where the browser gets its logo (through us). */
export function rcdProfileView(p: RcdProfile, accountId: string) {
  const logo = p.rcd.icn === undefined ? null : `/dashboard/api/accounts/${encodeURIComponent(accountId)}/rcd-profiles/${encodeURIComponent(p.id)}/logo`;
  return { ...p, logo };
}

/**
 * RCD profiles (vetted brands, docs/branded-calls.md) on the dashboard. Vetting is the signing service's job, not
 * the customer's: adding, refreshing and removing a profile is for an admin; whoever may see the account sees its
 * profiles and their logos.
 */
export function registerRcdRoutes(api: FastifyInstance, ctx: DashboardContext): void {
  const { store } = ctx;

  api.post<Params>('/accounts/:id/rcd-profiles', async (request, reply) => {
    requireAdmin(userOf(request));
    const a = await readableAccount(store, userOf(request), request.params.id);
    const p = await addRcdProfile(store, a.id, bodyOf(request), ctx.rcdContent);
    await audit(ctx, request, { action: 'rcd.add', target: `rcd:${p.id}`, accountId: a.id, detail: { nam: p.rcd.nam, icn: p.rcd.icn ?? null, placement: p.placement } });
    return reply.code(201).send({ rcdProfile: rcdProfileView(p, a.id) });
  });

  api.post<Params>('/accounts/:id/rcd-profiles/:profile/refresh', async (request) => {
    requireAdmin(userOf(request));
    const a = await readableAccount(store, userOf(request), request.params.id);
    const p = await refreshRcdProfile(store, a.id, request.params.profile, ctx.rcdContent);
    await audit(ctx, request, { action: 'rcd.refresh', target: `rcd:${p.id}`, accountId: a.id, detail: { icnDigest: p.icnDigest, jclDigest: p.jclDigest } });
    return { rcdProfile: rcdProfileView(p, a.id) };
  });

  api.delete<Params>('/accounts/:id/rcd-profiles/:profile', async (request) => {
    requireAdmin(userOf(request));
    const a = await readableAccount(store, userOf(request), request.params.id);
    const p = await removeRcdProfile(store, a.id, request.params.profile);
    await audit(ctx, request, { action: 'rcd.remove', target: `rcd:${p.id}`, accountId: a.id, detail: { nam: p.rcd.nam } });
    return { rcdProfile: rcdProfileView(p, a.id) };
  });

  // The logo as fetched now through the SSRF-safe fetcher (the dashboard's CSP allows only its own images). Sent
  // as an attachment so that opening it in a tab downloads it rather than rendering an SVG on our origin.
  api.get<Params>('/accounts/:id/rcd-profiles/:profile/logo', async (request, reply) => {
    const a = await readableAccount(store, userOf(request), request.params.id);
    const p = await ownedRcdProfile(store, a.id, request.params.profile);
    if (p.rcd.icn === undefined) throw new ShakenError('ERR_REQ_NOT_FOUND', 'this profile has no logo', { field: 'icn' });
    const logo = await ctx.logos.get(p.rcd.icn, 'icn');
    if (!logo.ok) throw new ShakenError('ERR_REQ_NOT_FOUND', `the logo cannot be fetched now: ${logo.detail}`, { field: 'icn' });
    return reply
      .header('content-type', logo.contentType)
      .header('content-disposition', 'attachment')
      .header('x-rcd-digest-matches', String(p.icnDigest === logo.digest))
      .header('cache-control', 'private, max-age=60')
      .send(logo.body);
  });
}
