import type { FastifyInstance } from 'fastify';
import type { AccountRecord } from '../../core/ports.js';
import { parseRphNamespaces } from '../../core/rph/rph-namespaces.js';
import { createAccount, parseOobPublish, updateAccount } from '../../manage/accounts.js';
import { createApiKey, revokeApiKey } from '../../manage/api-keys.js';
import { importCredential } from '../../manage/credentials.js';
import { addRoutingRule, removeRoutingRule } from '../../manage/routing-rules.js';
import { addSipSource, listSipSources, removeSipSource, setSipSourceDialect } from '../../manage/sip-sources.js';
import { PLAIN_DIALECT } from '../../core/sbc-dialect.js';
import type { SipSource } from '../../core/sip-sources.js';
import type { Store } from '../../store/store.js';
import { canSee, readableAccount, requireAdmin, writableAccount } from '../access.js';
import { rcdProfileView } from './rcd-routes.js';
import { audit, bodyOf, userOf, type DashboardContext } from '../context.js';
import { invalid, refusedUpload } from '../errors.js';
import { accountView, apiKeyView, credView, sortCredentials } from '../views.js';

/** A PEM chain and key fit many times over; the API's usual 16 KiB limit would refuse a long chain. */
const CREDENTIAL_BODY_LIMIT = 256 * 1024;

/** An out-of-band choice as one comparable string: off, or on for these (sorted) prefixes. */
const oobKey = (o: { readonly destPrefixes: readonly string[] } | null) => (o === null ? 'off' : `on:${[...o.destPrefixes].sort().join(',')}`);

type Params = { Params: { id: string } };

async function accountWithCredential(store: Store, a: AccountRecord, nowMs: number, publicUrl: string) {
  const active = await store.getActiveCredential(a.id);
  return accountView(a, active ? credView(active, nowMs, publicUrl) : null);
}

const sipSourceView = (s: SipSource) => ({ cidr: s.cidr, sourceKind: s.sourceKind, dialect: s.dialect ?? PLAIN_DIALECT });

/** Accounts and what hangs off them: credentials, API keys, SIP sources, routing rules. */
export function registerAccountRoutes(api: FastifyInstance, ctx: DashboardContext): void {
  const { store } = ctx;
  const now = () => ctx.clock.now();

  api.get('/accounts', async (request) => {
    const user = userOf(request);
    const accounts = (await store.listAccounts()).filter((a) => canSee(user, a.id));
    return { accounts: await Promise.all(accounts.map((a) => accountWithCredential(store, a, now(), ctx.publicUrl()))) };
  });

  api.post('/accounts', async (request, reply) => {
    requireAdmin(userOf(request));
    const b = bodyOf(request);
    const a = await createAccount(store, { name: b.name, defaultAttest: b.defaultAttest, maxAttest: b.maxAttest, tokenTtlSec: b.tokenTtlSec, policyMode: b.policyMode, nonNumericOrig: b.nonNumericOrig });
    await audit(ctx, request, { action: 'account.create', target: `account:${a.id}`, accountId: a.id, detail: { name: a.name } });
    return reply.code(201).send({ account: await accountWithCredential(store, a, now(), ctx.publicUrl()) });
  });

  api.get<Params>('/accounts/:id', async (request) => {
    const a = await readableAccount(store, userOf(request), request.params.id);
    const [credentials, apiKeys, sipSources, routes, rcdProfiles] = await Promise.all([store.listCredentials(a.id), store.listApiKeys(a.id), listSipSources(store, a.id), store.listRoutingRules(a.id), store.listRcdProfiles(a.id)]);
    return {
      account: await accountWithCredential(store, a, now(), ctx.publicUrl()),
      credentials: sortCredentials(credentials).map((c) => credView(c, now(), ctx.publicUrl())),
      apiKeys: apiKeys.map(apiKeyView),
      sipSources: sipSources.map(sipSourceView),
      routes: routes.map(({ id, prefix, target, priority }) => ({ id, prefix, target, priority })),
      rcdProfiles: rcdProfiles.map((p) => rcdProfileView(p, a.id)),
    };
  });

  api.patch<Params>('/accounts/:id', async (request) => {
    const before = await writableAccount(store, userOf(request), request.params.id);
    const b = bodyOf(request);
    const user = userOf(request);
    // The priority-call right (RFC 8443) is granted by an admin only, never by the account's own operators; the
    // settings form sends the current grant back unchanged, which anyone who may write the account may do.
    const rphNamespaces = b.rphNamespaces === undefined ? undefined : parseRphNamespaces(b.rphNamespaces);
    if (rphNamespaces !== undefined && rphNamespaces.join(',') !== (before.rphNamespaces ?? []).join(',')) requireAdmin(user);
    // Out-of-band publishing sends every signed call of the account (its numbers, its customers' calls) to a third
    // party, the STI-CPS, and is an interconnect arrangement of the service provider: the operator of this service
    // (an admin) turns it on, off or changes its prefixes, never the account's own operators. Like rph, the form
    // sends the stored choice back unchanged, which anyone who may write the account may do.
    const oob = parseOobPublish(before, b.oobPublish);
    if (oob !== undefined && oobKey(oob) !== oobKey(before.oobPublish ?? null)) requireAdmin(user);
    const change = { defaultAttest: b.defaultAttest, maxAttest: b.maxAttest, tokenTtlSec: b.tokenTtlSec, policyMode: b.policyMode, nonNumericOrig: b.nonNumericOrig, rphNamespaces, oobPublish: oob, enabled: b.enabled };
    const a = await updateAccount(store, before, change);
    const changed = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
    await audit(ctx, request, { action: 'account.update', target: `account:${a.id}`, accountId: a.id, detail: changed });
    return { account: await accountWithCredential(store, a, now(), ctx.publicUrl()) };
  });

  api.get<Params>('/accounts/:id/credentials', async (request) => {
    const a = await readableAccount(store, userOf(request), request.params.id);
    return { credentials: sortCredentials(await store.listCredentials(a.id)).map((c) => credView(c, now(), ctx.publicUrl())) };
  });

  api.post<Params>('/accounts/:id/credentials', { bodyLimit: CREDENTIAL_BODY_LIMIT }, async (request, reply) => {
    const a = await writableAccount(store, userOf(request), request.params.id);
    const b = bodyOf(request);
    if (typeof b.certificatePem !== 'string' || b.certificatePem.trim() === '') throw invalid('paste or upload the certificate chain (PEM)', 'certificatePem');
    const keyPem = typeof b.privateKeyPem === 'string' && b.privateKeyPem.trim() !== '' ? b.privateKeyPem : undefined;
    const keyRef = typeof b.keyRef === 'string' && b.keyRef.trim() !== '' ? b.keyRef.trim() : undefined;
    if ((keyPem === undefined) === (keyRef === undefined)) throw invalid('give either the private key (PEM) or an HSM key reference (pkcs11:…), not both', 'privateKeyPem');
    if (keyRef !== undefined && !keyRef.startsWith('pkcs11:')) throw invalid('a key reference is an RFC 7512 pkcs11: URI', 'keyRef');
    const previous = await store.getActiveCredential(a.id);
    const c = await importCredential(
      { store, software: ctx.keys.software, keys: ctx.keys.router, nowMs: now() },
      { accountId: a.id, chainPem: b.certificatePem, keyPem, keyRef },
    ).catch((e: unknown) => {
      throw refusedUpload(e);
    });
    const view = credView(c, now(), ctx.publicUrl());
    await audit(ctx, request, {
      action: 'credential.import',
      target: `credential:${c.id}`,
      accountId: a.id,
      detail: { subject: view.subject, spc: view.spc, serial: view.serial, notAfter: view.notAfter, keyStore: view.keyStore, retired: previous?.id ?? null },
    });
    return reply.code(201).send({ credential: view });
  });

  api.get<Params>('/accounts/:id/api-keys', async (request) => {
    const a = await readableAccount(store, userOf(request), request.params.id);
    return { apiKeys: (await store.listApiKeys(a.id)).map(apiKeyView) };
  });

  api.post<Params>('/accounts/:id/api-keys', async (request, reply) => {
    const a = await writableAccount(store, userOf(request), request.params.id);
    const b = bodyOf(request);
    const { record, token } = await createApiKey(store, a.id, b.name, b.sourceKind);
    await audit(ctx, request, { action: 'apikey.create', target: `apikey:${record.id}`, accountId: a.id, detail: { name: record.name, sourceKind: record.sourceKind } });
    return reply.code(201).header('cache-control', 'no-store').send({ apiKey: apiKeyView(record), token });
  });

  api.delete<{ Params: { id: string; keyId: string } }>('/accounts/:id/api-keys/:keyId', async (request, reply) => {
    const a = await writableAccount(store, userOf(request), request.params.id);
    const key = await revokeApiKey(store, a.id, request.params.keyId);
    await audit(ctx, request, { action: 'apikey.revoke', target: `apikey:${key.id}`, accountId: a.id, detail: { name: key.name } });
    return reply.code(204).send();
  });

  api.get<Params>('/accounts/:id/sip-sources', async (request) => {
    const a = await readableAccount(store, userOf(request), request.params.id);
    return { sipSources: (await listSipSources(store, a.id)).map(sipSourceView) };
  });

  api.post<Params>('/accounts/:id/sip-sources', async (request, reply) => {
    const user = userOf(request);
    const a = await writableAccount(store, user, request.params.id);
    const b = bodyOf(request);
    // Only an admin may let a block overlap another account's; an operator's allowOverlap is ignored, so it
    // gets the same neutral refusal as if it had not asked.
    const grantor = user.role === 'admin' ? { actor: user, clock: ctx.clock } : undefined;
    const { source: s } = await addSipSource(store, a.id, { cidr: b.cidr, sourceKind: b.sourceKind, allowOverlap: b.allowOverlap, dialect: b.dialect }, grantor);
    await audit(ctx, request, { action: 'sipsource.add', target: `sipsource:${s.cidr}`, accountId: a.id, detail: { sourceKind: s.sourceKind, dialect: s.dialect } });
    return reply.code(201).send({ sipSource: sipSourceView(s) });
  });

  api.patch<Params & { Querystring: { cidr?: string } }>('/accounts/:id/sip-sources', async (request) => {
    const a = await writableAccount(store, userOf(request), request.params.id);
    if (!request.query.cidr) throw invalid('give the block to change: ?cidr=192.0.2.0/24', 'cidr');
    const s = await setSipSourceDialect(store, a.id, request.query.cidr, bodyOf(request).dialect);
    await audit(ctx, request, { action: 'sipsource.dialect', target: `sipsource:${s.cidr}`, accountId: a.id, detail: { dialect: s.dialect } });
    return { sipSource: sipSourceView(s) };
  });

  api.delete<Params & { Querystring: { cidr?: string } }>('/accounts/:id/sip-sources', async (request, reply) => {
    const a = await writableAccount(store, userOf(request), request.params.id);
    if (!request.query.cidr) throw invalid('give the block to remove: ?cidr=192.0.2.0/24', 'cidr');
    const s = await removeSipSource(store, a.id, request.query.cidr);
    await audit(ctx, request, { action: 'sipsource.remove', target: `sipsource:${s.cidr}`, accountId: a.id });
    return reply.code(204).send();
  });

  api.get<Params>('/accounts/:id/routes', async (request) => {
    const a = await readableAccount(store, userOf(request), request.params.id);
    return { routes: (await store.listRoutingRules(a.id)).map(({ id, prefix, target, priority }) => ({ id, prefix, target, priority })) };
  });

  api.post<Params>('/accounts/:id/routes', async (request, reply) => {
    const a = await writableAccount(store, userOf(request), request.params.id);
    const b = bodyOf(request);
    const r = await addRoutingRule(store, a.id, { prefix: b.prefix, target: b.target, priority: b.priority });
    await audit(ctx, request, { action: 'route.add', target: `route:${r.id}`, accountId: a.id, detail: { prefix: r.prefix, target: r.target, priority: r.priority } });
    return reply.code(201).send({ route: { id: r.id, prefix: r.prefix, target: r.target, priority: r.priority } });
  });

  api.delete<{ Params: { id: string; ruleId: string } }>('/accounts/:id/routes/:ruleId', async (request, reply) => {
    const a = await writableAccount(store, userOf(request), request.params.id);
    const rule = await removeRoutingRule(store, a.id, request.params.ruleId);
    await audit(ctx, request, { action: 'route.remove', target: `route:${rule.id}`, accountId: a.id, detail: { prefix: rule.prefix, target: rule.target } });
    return reply.code(204).send();
  });
}
