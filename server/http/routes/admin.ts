import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../core/authenticate.js';
import { ShakenError } from '../../core/errors.js';
import { findAccount, updateAccount } from '../../manage/accounts.js';
import { exportInventory, importInventory, removeInventoryCsv, type RowError } from '../../manage/inventory.js';
import type { Store } from '../../store/store.js';
import { addRoutingRule, listRoutingRules, removeRoutingRule } from '../../manage/routing-rules.js';
import { addSipSource, listSipSources, removeSipSource, setSipSourceDialect } from '../../manage/sip-sources.js';
import { systemClock, type Clock } from '../../core/ports.js';
import { addRcdProfile, listRcdProfiles, ownedRcdProfile, refreshRcdProfile, removeRcdProfile, type RcdContentDeps } from '../../manage/rcd-profiles.js';

/** Who the audit log names for a change made with the admin token. */
const ADMIN_API_ACTOR = { id: null, username: 'admin-api' };

/** A CSV upload of a few million inventory rows fits; anything larger is refused with 413. */
const CSV_BODY_LIMIT = 128 * 1024 * 1024;

function csvLines(body: unknown): string[] {
  if (typeof body !== 'string') throw new ShakenError('ERR_REQ_MALFORMED', 'send the inventory as text/csv', { field: 'body' });
  return body.split(/\r?\n/);
}

function badRows(errorCount: number, rows: RowError[], what: string): ShakenError {
  return new ShakenError('ERR_REQ_FIELD_INVALID', `${errorCount} bad row(s), nothing ${what}`, { field: 'body', details: { errorCount, rows } });
}

/**
 * `/api/admin/...`: account settings and TN inventories for an operator's tooling. Authenticated by the
 * admin token; each handler decodes, calls the management layer, encodes.
 */
export function registerAdminRoutes(app: FastifyInstance, deps: { store: Store; checkAdmin: (token: string | undefined) => void; clock?: Clock; rcdContent: RcdContentDeps }): void {
  void app.register(
    async (admin) => {
      admin.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT }, (_req, body, done) => done(null, body));
      admin.addHook('onRequest', async (request) => deps.checkAdmin(bearerToken(request.headers.authorization)));

      admin.get('/accounts', async () => ({ accounts: await deps.store.listAccounts() }));

      admin.get<{ Params: { account: string } }>('/accounts/:account', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        return { ...account, inventoryEntries: await deps.store.countInventory(account.id) };
      });

      admin.patch<{ Params: { account: string } }>('/accounts/:account', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        const body = (request.body ?? {}) as Record<string, unknown>;
        return updateAccount(deps.store, account, body);
      });

      admin.get<{ Params: { account: string } }>('/accounts/:account/routes', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        return { routes: await listRoutingRules(deps.store, account.id) };
      });

      admin.post<{ Params: { account: string } }>('/accounts/:account/routes', async (request, reply) => {
        const account = await findAccount(deps.store, request.params.account);
        const body = (request.body ?? {}) as Record<string, unknown>;
        return reply.code(201).send(await addRoutingRule(deps.store, account.id, { prefix: body.prefix, target: body.target, priority: body.priority }));
      });

      admin.delete<{ Params: { account: string; id: string } }>('/accounts/:account/routes/:id', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        return removeRoutingRule(deps.store, account.id, request.params.id);
      });

      admin.get<{ Params: { account: string } }>('/accounts/:account/sip-sources', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        return { sipSources: await listSipSources(deps.store, account.id) };
      });

      admin.post<{ Params: { account: string } }>('/accounts/:account/sip-sources', async (request, reply) => {
        const account = await findAccount(deps.store, request.params.account);
        const body = (request.body ?? {}) as Record<string, unknown>;
        const input = { cidr: body.cidr, sourceKind: body.sourceKind, allowOverlap: body.allowOverlap, dialect: body.dialect };
        const { source, overlaps } = await addSipSource(deps.store, account.id, input, { actor: ADMIN_API_ACTOR, clock: deps.clock ?? systemClock });
        return reply.code(201).send(overlaps.length > 0 ? { ...source, overlaps } : source);
      });

      // The block's SBC dialect, replaced as a whole: a quirk left out is off (docs/sip-redirect-server.md#sbc-dialects).
      admin.patch<{ Params: { account: string }; Querystring: { cidr?: string } }>('/accounts/:account/sip-sources', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        const body = (request.body ?? {}) as Record<string, unknown>;
        return setSipSourceDialect(deps.store, account.id, request.query.cidr, body.dialect);
      });

      admin.delete<{ Params: { account: string }; Querystring: { cidr?: string } }>('/accounts/:account/sip-sources', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        return removeSipSource(deps.store, account.id, request.query.cidr);
      });

      // RCD profiles (RFC 9795 brands): an operator vets what each account may show; linked content is fetched on save.
      admin.get<{ Params: { account: string } }>('/accounts/:account/rcd-profiles', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        return { rcdProfiles: await listRcdProfiles(deps.store, account.id) };
      });

      admin.post<{ Params: { account: string } }>('/accounts/:account/rcd-profiles', async (request, reply) => {
        const account = await findAccount(deps.store, request.params.account);
        return reply.code(201).send(await addRcdProfile(deps.store, account.id, request.body ?? {}, deps.rcdContent));
      });

      admin.get<{ Params: { account: string; id: string } }>('/accounts/:account/rcd-profiles/:id', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        return ownedRcdProfile(deps.store, account.id, request.params.id);
      });

      admin.post<{ Params: { account: string; id: string } }>('/accounts/:account/rcd-profiles/:id/refresh', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        return refreshRcdProfile(deps.store, account.id, request.params.id, deps.rcdContent);
      });

      admin.delete<{ Params: { account: string; id: string } }>('/accounts/:account/rcd-profiles/:id', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        return removeRcdProfile(deps.store, account.id, request.params.id);
      });

      admin.get<{ Params: { account: string } }>('/accounts/:account/inventory', async (request, reply) => {
        const account = await findAccount(deps.store, request.params.account);
        const lines: string[] = [];
        for await (const line of exportInventory(deps.store, account.id)) lines.push(line);
        return reply.header('content-type', 'text/csv; charset=utf-8').send(lines.join('\n') + '\n');
      });

      admin.post<{ Params: { account: string }; Querystring: { replace?: string } }>('/accounts/:account/inventory', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        const lines = csvLines(request.body);
        const r = await importInventory(deps.store, account.id, () => lines, { replace: request.query.replace === 'true' });
        if (r.errorCount > 0) throw badRows(r.errorCount, r.errors, 'imported');
        return { imported: r.imported, total: await deps.store.countInventory(account.id) };
      });

      admin.post<{ Params: { account: string } }>('/accounts/:account/inventory/remove', async (request) => {
        const account = await findAccount(deps.store, request.params.account);
        const r = await removeInventoryCsv(deps.store, account.id, csvLines(request.body));
        if (r.errorCount > 0) throw badRows(r.errorCount, r.errors, 'removed');
        return { removed: r.removed, total: await deps.store.countInventory(account.id) };
      });
    },
    { prefix: '/api/admin' },
  );
}
