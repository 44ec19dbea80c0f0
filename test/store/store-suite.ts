import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ShakenError } from '../../server/core/errors.js';
import { PLAIN_DIALECT } from '../../server/core/sbc-dialect.js';
import type { InventoryEntry } from '../../server/core/tn-inventory.js';
import type { Clock, RequestLogRecord } from '../../server/core/ports.js';
import { watchChanges } from '../../server/store/change-watcher.js';
import { RequestLogWriter } from '../../server/store/request-log-writer.js';
import type { NewAccount, Store } from '../../server/store/store.js';

/** What each engine's test file provides; called only after that file's `beforeAll` ran. */
export interface StoreFixture {
  /** Opens a store on the file's database; migrations run again each time. */
  open(clock?: Clock): Promise<Store>;
  /** Runs SQL on the same database without going through the store. */
  exec(sql: string): Promise<void>;
}

class TestClock implements Clock {
  constructor(public ms = Date.UTC(2025, 0, 1)) {}
  now(): number {
    return this.ms;
  }
}

const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

const newAccount = (over: Partial<NewAccount> = {}): NewAccount => ({
  name: unique('acme'),
  defaultAttest: 'B',
  maxAttest: 'A',
  tokenTtlSec: 60,
  policyMode: 'enforce',
  nonNumericOrig: 'B',
  ...over,
});

const logRecord = (over: Partial<RequestLogRecord> = {}): RequestLogRecord => ({
  kind: 'sign',
  time: new Date(Date.UTC(2025, 0, 1)),
  accountId: null,
  apiKeyId: null,
  transport: 'http',
  orig: '12025550100',
  dest: '12025550101,12025550102',
  attestRequested: 'A',
  attestApplied: 'B',
  attestReason: 'tn-not-in-inventory',
  outcome: 'ok',
  errorCode: null,
  latencyUs: 850,
  origid: randomUUID(),
  passports: 'shaken',
  rcdProfile: null,
  rcdVerified: null,
  ...over,
});

/** A record the NOT NULL constraint on `transport` refuses, whatever the engine. */
const unwritable = (): RequestLogRecord => logRecord({ transport: null as unknown as RequestLogRecord['transport'] });

/** Waits until every promise has settled and everything chained on them has run. */
function settledTracker() {
  const pending: Promise<unknown>[] = [];
  return {
    track<T>(p: Promise<T>): Promise<T> {
      pending.push(p);
      return p;
    },
    async settled(): Promise<void> {
      let seen = -1;
      while (seen !== pending.length) {
        seen = pending.length;
        await Promise.allSettled(pending);
        // Drains the microtask queue, where the writer and watcher continue after the store answered.
        await new Promise<void>((resolve) => process.nextTick(resolve));
      }
    },
  };
}

const fakeTimers = () => vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'] });

export function storeSuite(fixture: StoreFixture): void {
  const clock = new TestClock();
  let store: Store;

  beforeAll(async () => {
    store = await fixture.open(clock);
  });
  afterAll(async () => {
    await store?.close();
  });

  describe('accounts', () => {
    it('creates an account with an acc_ id and finds it by id and by name', async () => {
      const created = await store.createAccount(newAccount({ name: unique('alpha') }));
      expect(created.id).toMatch(/^acc_[0-9a-f]{16}$/);
      expect(created).toMatchObject({ defaultAttest: 'B', maxAttest: 'A', tokenTtlSec: 60, enabled: true });
      expect(created.createdAt).toEqual(new Date(clock.ms));
      expect(await store.getAccount(created.id)).toEqual(created);
      expect(await store.findAccountByName(created.name)).toEqual(created);
      expect(await store.listAccounts()).toContainEqual(created);
    });

    it('updates only the patched fields', async () => {
      const a = await store.createAccount(newAccount());
      const updated = await store.updateAccount(a.id, { maxAttest: 'B', enabled: false });
      expect(updated).toEqual({ ...a, maxAttest: 'B', enabled: false });
      expect(await store.getAccount(a.id)).toEqual(updated);
      expect(await store.updateAccount(a.id, { enabled: true })).toEqual({ ...updated, enabled: true });
    });

    it('stores granted rph namespaces (migration 010), none for a new account, and clears them with []', async () => {
      const a = await store.createAccount(newAccount());
      expect(a.rphNamespaces).toEqual([]);
      const granted = await store.updateAccount(a.id, { rphNamespaces: ['ets', 'wps'] });
      expect(granted).toEqual({ ...a, rphNamespaces: ['ets', 'wps'] });
      expect(await store.getAccount(a.id)).toEqual(granted);
      expect(await store.updateAccount(a.id, { maxAttest: 'B' })).toMatchObject({ rphNamespaces: ['ets', 'wps'] });
      expect((await store.updateAccount(a.id, { rphNamespaces: [] })).rphNamespaces).toEqual([]);
      expect((await store.getAccount(a.id))!.rphNamespaces).toEqual([]);
    });

    it('stores the out-of-band publishing choice (migration 014): off for a new account, every destination, prefixes, off again', async () => {
      const a = await store.createAccount(newAccount());
      expect(a.oobPublish).toBeUndefined();
      expect((await store.updateAccount(a.id, { oobPublish: { destPrefixes: [] } })).oobPublish).toEqual({ destPrefixes: [] });
      expect((await store.getAccount(a.id))!.oobPublish).toEqual({ destPrefixes: [] });
      const some = await store.updateAccount(a.id, { oobPublish: { destPrefixes: ['1202', '1404'] } });
      expect(some).toEqual({ ...a, oobPublish: { destPrefixes: ['1202', '1404'] } });
      expect(await store.updateAccount(a.id, { maxAttest: 'B' })).toMatchObject({ oobPublish: { destPrefixes: ['1202', '1404'] } });
      expect((await store.updateAccount(a.id, { oobPublish: null })).oobPublish).toBeUndefined();
      expect((await store.getAccount(a.id))!.oobPublish).toBeUndefined();
    });

    it('rejects a second account with the same name as ERR_REQ_CONFLICT', async () => {
      const a = await store.createAccount(newAccount());
      const err = await store.createAccount(newAccount({ name: a.name })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShakenError);
      expect(err).toMatchObject({ code: 'ERR_REQ_CONFLICT', field: 'name' });
    });

    it('reports an unknown account id as ERR_REQ_NOT_FOUND on update, even with an empty patch', async () => {
      for (const patch of [{ tokenTtlSec: 30 }, {}]) {
        await expect(store.updateAccount('acc_0000000000000000', patch)).rejects.toMatchObject({
          code: 'ERR_REQ_NOT_FOUND',
          reason: 'account acc_0000000000000000 does not exist',
          field: 'id',
        });
      }
    });

    it('returns undefined for an unknown id or name', async () => {
      expect(await store.getAccount('acc_ffffffffffffffff')).toBeUndefined();
      expect(await store.findAccountByName(unique('nobody'))).toBeUndefined();
    });
  });

  describe('credentials', () => {
    const cred = (accountId: string, n: number) => ({
      accountId,
      keyRef: `soft:key-${n}`,
      chainPem: `-----BEGIN CERTIFICATE-----\nMII${n}\n-----END CERTIFICATE-----\n`,
      x5u: `https://certs.example.net/${n}.pem`,
    });

    it('adds the first credential as active with a cred_ id', async () => {
      const a = await store.createAccount(newAccount());
      const c = await store.addCredential(cred(a.id, 1));
      expect(c).toMatchObject({ ...cred(a.id, 1), state: 'active', retiredAt: null });
      expect(c.id).toMatch(/^cred_[0-9a-f]{16}$/);
      expect(await store.getActiveCredential(a.id)).toEqual(c);
      expect(await store.getCredential(c.id)).toEqual(c);
    });

    it('retires the previous active credential, with its retirement time, when a new one is added', async () => {
      const a = await store.createAccount(newAccount());
      const first = await store.addCredential(cred(a.id, 1));
      clock.ms += 60_000;
      const second = await store.addCredential(cred(a.id, 2));
      expect(await store.getCredential(first.id)).toEqual({ ...first, state: 'retired', retiredAt: new Date(clock.ms) });
      expect(await store.getActiveCredential(a.id)).toEqual(second);
    });

    it('keeps exactly one active credential per account across rotations', async () => {
      const a = await store.createAccount(newAccount());
      const other = await store.createAccount(newAccount());
      const otherCred = await store.addCredential(cred(other.id, 9));
      for (let n = 1; n <= 4; n++) await store.addCredential(cred(a.id, n));
      const list = await store.listCredentials(a.id);
      expect(list).toHaveLength(4);
      expect(list.filter((c) => c.state === 'active').map((c) => c.keyRef)).toEqual(['soft:key-4']);
      expect(await store.getActiveCredential(other.id)).toEqual(otherCred);
      expect(await store.listCredentials()).toEqual(expect.arrayContaining([...list, otherCred]));
    });

    it('lets the database itself refuse a second active credential for an account', async () => {
      const a = await store.createAccount(newAccount());
      await store.addCredential(cred(a.id, 1));
      await expect(
        fixture.exec(
          `insert into credentials (id, account_id, key_ref, chain_pem, x5u, state, created_at)
           values ('cred_manual', '${a.id}', 'k', 'pem', 'https://x', 'active', 0)`,
        ),
      ).rejects.toThrow(/unique/i);
    });

    it('reports a credential for an unknown account as ERR_REQ_NOT_FOUND and stores nothing', async () => {
      const before = await store.changeVersion();
      await expect(store.addCredential(cred('acc_0000000000000000', 1))).rejects.toMatchObject({
        code: 'ERR_REQ_NOT_FOUND',
        field: 'accountId',
      });
      expect(await store.listCredentials('acc_0000000000000000')).toEqual([]);
      expect(await store.changeVersion()).toBe(before);
    });
  });

  describe('api keys', () => {
    it('creates keys with key_ ids and lists them per account', async () => {
      const a = await store.createAccount(newAccount());
      const b = await store.createAccount(newAccount());
      const k1 = await store.createApiKey({ accountId: a.id, name: 'pbx', secretHash: 'a'.repeat(64), sourceKind: 'customer' });
      const k2 = await store.createApiKey({ accountId: b.id, name: 'sbc', secretHash: 'b'.repeat(64), sourceKind: 'customer' });
      expect(k1.id).toMatch(/^key_[0-9a-f]{16}$/);
      expect(k1).toMatchObject({ accountId: a.id, name: 'pbx', secretHash: 'a'.repeat(64), revokedAt: null });
      expect(await store.getApiKey(k1.id)).toEqual(k1);
      expect(await store.listApiKeys(a.id)).toEqual([k1]);
      expect(await store.listApiKeys()).toEqual(expect.arrayContaining([k1, k2]));
    });

    it('revokes a key once: revoking again keeps the first revocation time', async () => {
      const a = await store.createAccount(newAccount());
      const k = await store.createApiKey({ accountId: a.id, name: 'pbx', secretHash: 'c'.repeat(64), sourceKind: 'customer' });
      clock.ms += 1000;
      const revoked = await store.revokeApiKey(k.id);
      expect(revoked).toEqual({ ...k, revokedAt: new Date(clock.ms) });
      clock.ms += 1000;
      expect(await store.revokeApiKey(k.id)).toEqual(revoked);
      expect(await store.getApiKey(k.id)).toEqual(revoked);
    });

    it('reports unknown ids as ERR_REQ_NOT_FOUND on revoke and on create', async () => {
      await expect(store.revokeApiKey('key_0000000000000000')).rejects.toMatchObject({
        code: 'ERR_REQ_NOT_FOUND',
        reason: 'api key key_0000000000000000 does not exist',
      });
      await expect(
        store.createApiKey({ accountId: 'acc_0000000000000000', name: 'x', secretHash: 'd'.repeat(64), sourceKind: 'customer' }),
      ).rejects.toMatchObject({ code: 'ERR_REQ_NOT_FOUND', field: 'accountId' });
    });
  });

  describe('TN inventory', () => {
    const entries: InventoryEntry[] = [
      { kind: 'tn', tn: '14045266060' },
      { kind: 'range', start: '14045260000', count: 1000 },
      { kind: 'prefix', prefix: '1212' },
    ];
    const all = async (accountId: string, chunkSize?: number) => {
      const out: InventoryEntry[] = [];
      for await (const chunk of store.streamInventory(accountId, chunkSize)) out.push(...chunk);
      return out;
    };

    it('adds numbers, ranges and prefixes and streams them back', async () => {
      const a = await store.createAccount(newAccount());
      await store.addInventory(a.id, entries);
      expect(await store.countInventory(a.id)).toBe(3);
      expect(new Set((await all(a.id)).map((e) => JSON.stringify(e)))).toEqual(new Set(entries.map((e) => JSON.stringify(e))));
    });

    it('streams a large inventory in chunks without repeating or skipping entries', async () => {
      const a = await store.createAccount(newAccount());
      const many: InventoryEntry[] = Array.from({ length: 2500 }, (_, i) => ({ kind: 'tn', tn: String(12000000000 + i * 3) }));
      many.push({ kind: 'prefix', prefix: '44' }, { kind: 'range', start: '13000000000', count: 5 });
      await store.addInventory(a.id, many);
      const chunks: number[] = [];
      for await (const chunk of store.streamInventory(a.id, 1000)) chunks.push(chunk.length);
      expect(chunks).toEqual([1000, 1000, 502]);
      expect(new Set((await all(a.id, 333)).map((e) => JSON.stringify(e))).size).toBe(2502);
    });

    it('updates a range count when the same start is added again', async () => {
      const a = await store.createAccount(newAccount());
      await store.addInventory(a.id, [{ kind: 'range', start: '1000', count: 10 }]);
      await store.addInventory(a.id, [{ kind: 'range', start: '1000', count: 20 }]);
      expect(await all(a.id)).toEqual([{ kind: 'range', start: '1000', count: 20 }]);
    });

    it('replaces the whole inventory in one step', async () => {
      const a = await store.createAccount(newAccount());
      await store.addInventory(a.id, entries);
      await store.addInventory(a.id, [{ kind: 'tn', tn: '15551234567' }], { replace: true });
      expect(await all(a.id)).toEqual([{ kind: 'tn', tn: '15551234567' }]);
    });

    it('removes entries and says how many existed', async () => {
      const a = await store.createAccount(newAccount());
      await store.addInventory(a.id, entries);
      expect(await store.removeInventory(a.id, [entries[0]!, { kind: 'tn', tn: '19999999999' }])).toBe(1);
      expect(await store.countInventory(a.id)).toBe(2);
    });

    it('keeps inventories of accounts apart', async () => {
      const a = await store.createAccount(newAccount());
      const b = await store.createAccount(newAccount());
      await store.addInventory(a.id, entries);
      expect(await all(b.id)).toEqual([]);
    });

    it('bumps the account inventory version and the change version on every change', async () => {
      const a = await store.createAccount(newAccount());
      expect(a.inventoryVersion).toBe(0);
      const v0 = await store.changeVersion();
      await store.addInventory(a.id, entries);
      await store.removeInventory(a.id, [entries[0]!]);
      expect((await store.getAccount(a.id))!.inventoryVersion).toBe(2);
      expect(await store.changeVersion()).toBe(v0 + 2);
    });

    it('writes nothing when one entry of a batch is refused, and says the account is unknown', async () => {
      const a = await store.createAccount(newAccount());
      await store.addInventory(a.id, [{ kind: 'tn', tn: '1' }]);
      const bad = [{ kind: 'tn' as const, tn: '2' }, { kind: 'bogus', value: '3' } as unknown as InventoryEntry];
      await expect(store.addInventory(a.id, bad, { replace: true })).rejects.toThrow();
      expect(await all(a.id)).toEqual([{ kind: 'tn', tn: '1' }]);
      expect((await store.getAccount(a.id))!.inventoryVersion).toBe(1);
      await expect(store.addInventory('acc_0000000000000000', entries)).rejects.toMatchObject({ code: 'ERR_REQ_NOT_FOUND' });
    });
  });

  describe('routing rules', () => {
    it('adds, lists per account and removes rules, bumping the change version', async () => {
      const a = await store.createAccount(newAccount());
      const b = await store.createAccount(newAccount());
      const v0 = await store.changeVersion();
      const r1 = await store.addRoutingRule({ accountId: a.id, prefix: '1800', target: 'sip:tollfree.example.net', priority: 10 });
      await store.addRoutingRule({ accountId: a.id, prefix: '', target: 'sips:default.example.net;transport=tls', priority: 20 });
      await store.addRoutingRule({ accountId: b.id, prefix: '44', target: 'sip:uk.example.net', priority: 10 });
      expect(r1.id).toMatch(/^route_[0-9a-f]{16}$/);
      expect(await store.changeVersion()).toBe(v0 + 3);
      const listed = await store.listRoutingRules(a.id);
      expect(listed.map((r) => [r.prefix, r.target, r.priority])).toEqual(
        expect.arrayContaining([
          ['1800', 'sip:tollfree.example.net', 10],
          ['', 'sips:default.example.net;transport=tls', 20],
        ]),
      );
      expect(listed).toHaveLength(2);
      expect(await store.removeRoutingRule(r1.id)).toEqual(r1);
      expect(await store.listRoutingRules(a.id)).toHaveLength(1);
      await expect(store.removeRoutingRule(r1.id)).rejects.toMatchObject({ code: 'ERR_REQ_NOT_FOUND' });
      await expect(store.addRoutingRule({ accountId: 'acc_0000000000000000', prefix: '', target: 'sip:x', priority: 1 })).rejects.toMatchObject({ code: 'ERR_REQ_NOT_FOUND' });
    });
  });

  describe('RCD profiles', () => {
    it('adds, lists per account, records fetched digests and removes profiles, the same on both engines', async () => {
      const a = await store.createAccount(newAccount());
      const b = await store.createAccount(newAccount());
      const v0 = await store.changeVersion();
      const jcd = ['vcard', [['fn', { type: 'work' }, 'text', 'Brand é'], ['version', {}, 'text', '4.0']]];
      const p1 = await store.addRcdProfile({ accountId: a.id, rcd: { nam: 'Brand é', jcd, icn: 'https://brand.example/l.png' }, crn: ['Fraud alert'], tns: ['12025550100'], prefixes: ['1303'], placement: 'rcd', icnDigest: 'sha256-AAA=', jclDigest: null, nestedDigests: { '/jcd/1/0/3': 'sha256-CCC=' }, contentCheckedAt: new Date(1_700_000_000_000) });
      await store.addRcdProfile({ accountId: b.id, rcd: { nam: 'Other' }, crn: [], tns: ['12025550111'], prefixes: [], placement: 'shaken', icnDigest: null, jclDigest: null, contentCheckedAt: null });
      expect(p1.id).toMatch(/^rcd_[0-9a-f]{16}$/);
      expect(await store.changeVersion()).toBe(v0 + 2);
      const listed = await store.listRcdProfiles(a.id);
      expect(listed).toEqual([p1]);
      expect(listed[0]).toMatchObject({ rcd: { nam: 'Brand é', jcd, icn: 'https://brand.example/l.png' }, placement: 'rcd', nestedDigests: { '/jcd/1/0/3': 'sha256-CCC=' }, contentCheckedAt: new Date(1_700_000_000_000) });
      expect(await store.getRcdProfile(p1.id)).toEqual(p1);
      const refreshed = await store.updateRcdProfileContent(p1.id, { icnDigest: 'sha256-BBB=', jclDigest: null, nestedDigests: {}, checkedAt: new Date(1_700_000_100_000) });
      expect(refreshed).toMatchObject({ id: p1.id, icnDigest: 'sha256-BBB=', nestedDigests: {}, contentCheckedAt: new Date(1_700_000_100_000) });
      expect(await store.removeRcdProfile(p1.id)).toEqual(refreshed);
      expect(await store.listRcdProfiles(a.id)).toEqual([]);
      expect(await store.listRcdProfiles(b.id)).toHaveLength(1);
      await expect(store.removeRcdProfile(p1.id)).rejects.toMatchObject({ code: 'ERR_REQ_NOT_FOUND' });
      await expect(store.updateRcdProfileContent(p1.id, { icnDigest: null, jclDigest: null, checkedAt: new Date() })).rejects.toMatchObject({ code: 'ERR_REQ_NOT_FOUND' });
      await expect(store.addRcdProfile({ accountId: 'acc_0000000000000000', rcd: { nam: 'X' }, crn: [], tns: ['1'], prefixes: [], placement: 'shaken', icnDigest: null, jclDigest: null, contentCheckedAt: null })).rejects.toMatchObject({ code: 'ERR_REQ_NOT_FOUND' });
    });
  });

  describe('SIP sources', () => {
    it('adds, lists per account and removes blocks; a block belongs to one account only', async () => {
      const a = await store.createAccount(newAccount());
      const b = await store.createAccount(newAccount());
      // The suite shares one database per engine: blocks unique to this run.
      const octet = () => Math.floor(Math.random() * 250) + 1;
      const blockA = `10.${octet()}.${octet()}.0/24`;
      const hostB = `2001:db8:${octet().toString(16)}::${octet().toString(16)}/128`;
      const v0 = await store.changeVersion();
      await store.addSipSource({ accountId: a.id, cidr: blockA, sourceKind: 'customer' });
      await store.addSipSource({ accountId: b.id, cidr: hostB, sourceKind: 'gateway' });
      expect(await store.changeVersion()).toBe(v0 + 2);
      expect(await store.listSipSources(a.id)).toEqual([{ accountId: a.id, cidr: blockA, sourceKind: 'customer', dialect: PLAIN_DIALECT }]);
      expect(await store.listSipSources()).toEqual(expect.arrayContaining([{ accountId: b.id, cidr: hostB, sourceKind: 'gateway', dialect: PLAIN_DIALECT }]));
      await expect(store.addSipSource({ accountId: b.id, cidr: blockA, sourceKind: 'customer' })).rejects.toMatchObject({ code: 'ERR_REQ_CONFLICT' });
      await expect(store.addSipSource({ accountId: 'acc_0000000000000000', cidr: '192.0.2.77/32', sourceKind: 'customer' })).rejects.toMatchObject({ code: 'ERR_REQ_NOT_FOUND' });
      expect(await store.removeSipSource(blockA)).toEqual({ accountId: a.id, cidr: blockA, sourceKind: 'customer', dialect: PLAIN_DIALECT });
      expect(await store.listSipSources(a.id)).toEqual([]);
      await expect(store.removeSipSource(blockA)).rejects.toMatchObject({ code: 'ERR_REQ_NOT_FOUND' });
    });

    it("stores a block's SBC dialect (migration 011), replaces it as a whole and announces each change", async () => {
      const a = await store.createAccount(newAccount());
      const block = `10.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}.0/24`;
      const sbc = { identityInContact: true, multipleChoices: true, attestationHeaders: false };
      expect((await store.addSipSource({ accountId: a.id, cidr: block, sourceKind: 'customer', dialect: sbc })).source.dialect).toEqual(sbc);
      expect((await store.listSipSources(a.id))[0]!.dialect).toEqual(sbc);
      const v0 = await store.changeVersion();
      const changed = await store.setSipSourceDialect(block, { identityInContact: false, multipleChoices: false, attestationHeaders: true });
      expect(changed).toEqual({ accountId: a.id, cidr: block, sourceKind: 'customer', dialect: { identityInContact: false, multipleChoices: false, attestationHeaders: true } });
      // A running node's source table is rebuilt on a change, so the new dialect reaches calls without a restart.
      expect(await store.changeVersion()).toBe(v0 + 1);
      expect((await store.listSipSources(a.id))[0]!.dialect).toEqual(changed.dialect);
      await expect(store.setSipSourceDialect('203.0.113.0/24', PLAIN_DIALECT)).rejects.toMatchObject({ code: 'ERR_REQ_NOT_FOUND' });
      await store.removeSipSource(block);
    });

    it("refuses a block overlapping another account's unless allowed, even when both adds race", async () => {
      const a = await store.createAccount(newAccount());
      const b = await store.createAccount(newAccount());
      const net = `10.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
      const [wide, narrow] = [`${net}.0/24`, `${net}.128/25`];
      // Open connections first, so the two adds really overlap in time rather than queue behind a connect.
      await Promise.all(Array.from({ length: 4 }, () => store.listSipSources(a.id)));
      const raced = await Promise.allSettled([
        store.addSipSource({ accountId: a.id, cidr: wide, sourceKind: 'customer' }),
        store.addSipSource({ accountId: b.id, cidr: narrow, sourceKind: 'customer' }),
      ]);
      expect(raced.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(raced.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'ERR_REQ_CONFLICT' } });
      const [winner, loser] = raced[0]!.status === 'fulfilled' ? [a, b] : [b, a];
      const loserCidr = loser === a ? wide : narrow;
      const allowed = await store.addSipSource({ accountId: loser.id, cidr: loserCidr, sourceKind: 'customer' }, { allowOverlap: true });
      expect(allowed.overlaps).toEqual([{ accountId: winner.id, cidr: winner === a ? wide : narrow, sourceKind: 'customer' }]);
      await store.removeSipSource(wide);
      await store.removeSipSource(narrow);
    });
  });

  describe('key blobs', () => {
    it('returns exactly the bytes stored, including NULs and a view into a larger buffer', async () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const ref = unique('soft');
      await store.putKeyBlob(ref, all);
      const blob = await store.getKeyBlob(ref);
      expect(blob?.blob).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(blob!.blob).equals(Buffer.from(all))).toBe(true);
      expect(blob?.createdAt).toEqual(new Date(clock.ms));

      const viewRef = unique('soft');
      await store.putKeyBlob(viewRef, all.subarray(10, 20));
      expect(Array.from((await store.getKeyBlob(viewRef))!.blob)).toEqual(Array.from(all.subarray(10, 20)));
    });

    it('replaces the blob of an existing ref and keeps its creation time', async () => {
      const ref = unique('soft');
      await store.putKeyBlob(ref, new Uint8Array([1, 2, 3]));
      const created = new Date(clock.ms);
      clock.ms += 5000;
      await store.putKeyBlob(ref, new Uint8Array([4, 5]));
      expect(await store.getKeyBlob(ref)).toEqual({ ref, blob: new Uint8Array([4, 5]), createdAt: created });
      expect((await store.listKeyBlobs()).filter((b) => b.ref === ref)).toHaveLength(1);
      expect(await store.getKeyBlob(unique('missing'))).toBeUndefined();
    });
  });

  describe('request log', () => {
    const at = (min: number) => new Date(Date.UTC(2025, 5, 1, 12, min));

    it('appends 10,000 records in one call', async () => {
      const accountId = unique('acc');
      const before = await store.countRequestLog();
      await store.appendRequestLog(Array.from({ length: 10_000 }, () => logRecord({ accountId })));
      expect(await store.countRequestLog()).toBe(before + 10_000);
      expect(await store.queryRequestLog({ accountId, limit: 20_000 })).toHaveLength(10_000);
    });

    it('round-trips every field, nulls included', async () => {
      // Every column holds a value no other column of the same type holds, so a column bound in the wrong place shows.
      const full = logRecord({
        accountId: unique('acc'),
        apiKeyId: 'key_1',
        transport: 'sip',
        kind: 'verify',
        orig: '12025550101',
        dest: '12025550102,12025550103',
        attestRequested: 'A',
        attestApplied: 'B',
        attestReason: 'account-maximum',
        latencyUs: 123_456,
        origid: 'd6a9c3e0-0000-4000-8000-000000000001',
        passports: 'shaken,div,div',
        rcdProfile: 'rcd_0123456789abcdef',
        rcdVerified: false,
      });
      const sparse = logRecord({
        accountId: unique('acc'),
        orig: null,
        dest: null,
        attestRequested: null,
        attestApplied: null,
        attestReason: null,
        outcome: 'error',
        errorCode: 'ERR_TN_INVALID',
        origid: null,
        passports: null,
      });
      await store.appendRequestLog([full, sparse]);
      expect(await store.queryRequestLog({ accountId: full.accountId! })).toEqual([full]);
      expect(await store.queryRequestLog({ accountId: sparse.accountId! })).toEqual([sparse]);
    });

    it('returns the newest first, 100 by default', async () => {
      const accountId = unique('acc');
      await store.appendRequestLog(Array.from({ length: 150 }, (_, i) => logRecord({ accountId, time: at(i) })));
      const rows = await store.queryRequestLog({ accountId });
      expect(rows).toHaveLength(100);
      expect(rows[0]!.time).toEqual(at(149));
      expect(rows[99]!.time).toEqual(at(50));
      expect((await store.queryRequestLog({ accountId, limit: 3 })).map((r) => r.time)).toEqual([at(149), at(148), at(147)]);
    });

    it('filters by account, transport, outcome and a since (inclusive) / until (exclusive) window', async () => {
      const accountId = unique('acc');
      const other = unique('acc');
      await store.appendRequestLog([
        logRecord({ accountId, time: at(0), transport: 'http', outcome: 'ok' }),
        logRecord({ accountId, time: at(1), transport: 'sip', outcome: 'error', errorCode: 'ERR_TN_INVALID' }),
        logRecord({ accountId, time: at(2), transport: 'grpc', outcome: 'ok' }),
        logRecord({ accountId, time: at(3), transport: 'sip', outcome: 'ok' }),
        logRecord({ accountId: other, time: at(2), transport: 'sip', outcome: 'ok' }),
      ]);
      const times = async (q: Parameters<Store['queryRequestLog']>[0]) =>
        (await store.queryRequestLog(q)).map((r) => r.time.getTime());
      expect(await times({ accountId })).toEqual([at(3), at(2), at(1), at(0)].map(Number));
      expect(await times({ accountId, transport: 'sip' })).toEqual([at(3), at(1)].map(Number));
      expect(await times({ accountId, outcome: 'error' })).toEqual([at(1).getTime()]);
      expect(await times({ accountId, since: at(1), until: at(3) })).toEqual([at(2), at(1)].map(Number));
      expect(await times({ accountId: other })).toEqual([at(2).getTime()]);
    });

    it('filters by a kind of PASSporT the call carried, matching whole kinds anywhere in the list', async () => {
      const accountId = unique('acc');
      await store.appendRequestLog([
        logRecord({ accountId, time: at(0), passports: 'shaken' }),
        logRecord({ accountId, time: at(1), passports: 'shaken,div' }),
        logRecord({ accountId, time: at(2), passports: 'div' }),
        logRecord({ accountId, time: at(3), passports: 'shaken,div,div', kind: 'verify' }),
        logRecord({ accountId, time: at(4), passports: null, outcome: 'error', errorCode: 'ERR_TN_INVALID' }),
        logRecord({ accountId, time: at(5), passports: 'shaken,rcd' }),
        logRecord({ accountId, time: at(6), passports: 'other' }),
        // A diversion that nests the PASSporT it diverts (RFC 8946 §5): forwarded, but not a `div`.
        logRecord({ accountId, time: at(7), passports: 'shaken,div-o' }),
      ]);
      const times = async (q: Parameters<Store['queryRequestLog']>[0]) => (await store.queryRequestLog(q)).map((r) => r.time.getTime());
      expect(await times({ accountId, passport: 'div' })).toEqual([at(3), at(2), at(1)].map(Number));
      expect(await times({ accountId, passport: 'div-o' })).toEqual([at(7).getTime()]);
      expect(await times({ accountId, passport: 'forwarded' })).toEqual([at(7), at(3), at(2), at(1)].map(Number));
      expect(await times({ accountId, passport: 'shaken' })).toEqual([at(7), at(5), at(3), at(1), at(0)].map(Number));
      expect(await times({ accountId, passport: 'rcd' })).toEqual([at(5).getTime()]);
      expect(await times({ accountId, passport: 'div', outcome: 'ok', since: at(2) })).toEqual([at(3), at(2)].map(Number));
      expect(await times({ accountId })).toHaveLength(8);
    });

    it('inserts nothing from a batch, several chunks long, whose last record is invalid', async () => {
      const accountId = unique('acc');
      const before = await store.countRequestLog();
      const batch = [...Array.from({ length: 6000 }, () => logRecord({ accountId })), unwritable()];
      await expect(store.appendRequestLog(batch)).rejects.toThrow(/null/i);
      expect(await store.countRequestLog()).toBe(before);
      expect(await store.queryRequestLog({ accountId })).toEqual([]);
    });
  });

  describe('change version', () => {
    it('is bumped once by every change to accounts, credentials and api keys', async () => {
      const steps: Array<() => Promise<unknown>> = [];
      let accountId = '';
      let keyId = '';
      steps.push(async () => (accountId = (await store.createAccount(newAccount())).id));
      steps.push(() => store.updateAccount(accountId, { tokenTtlSec: 120 }));
      steps.push(() => store.addCredential({ accountId, keyRef: 'soft:k', chainPem: 'pem', x5u: 'https://x/1' }));
      steps.push(() => store.addCredential({ accountId, keyRef: 'soft:k2', chainPem: 'pem', x5u: 'https://x/2' }));
      steps.push(async () => (keyId = (await store.createApiKey({ accountId, name: 'k', secretHash: 'e'.repeat(64), sourceKind: 'customer' })).id));
      steps.push(() => store.revokeApiKey(keyId));
      for (const step of steps) {
        const before = await store.changeVersion();
        await step();
        expect(await store.changeVersion()).toBe(before + 1);
      }
    });

    it('is left alone by reads, failed changes, repeated revocations, key blobs and the request log', async () => {
      const a = await store.createAccount(newAccount());
      const k = await store.createApiKey({ accountId: a.id, name: 'k', secretHash: 'f'.repeat(64), sourceKind: 'customer' });
      await store.revokeApiKey(k.id);
      const before = await store.changeVersion();
      await store.revokeApiKey(k.id);
      await store.createAccount(newAccount({ name: a.name })).catch(() => undefined);
      await store.updateAccount('acc_0000000000000000', { enabled: false }).catch(() => undefined);
      await store.updateAccount(a.id, {});
      await store.putKeyBlob(unique('soft'), new Uint8Array([1]));
      await store.appendRequestLog([logRecord()]);
      await store.listAccounts();
      expect(await store.changeVersion()).toBe(before);
    });
  });

  describe('opening and closing', () => {
    it('opens an already migrated database again without changing it', async () => {
      const a = await store.createAccount(newAccount());
      const version = await store.changeVersion();
      const again = await fixture.open(clock);
      try {
        expect(await again.getAccount(a.id)).toEqual(a);
        expect(await again.changeVersion()).toBe(version);
        await again.ping();
      } finally {
        await again.close();
      }
    });

    it('reports a store used after close as ERR_STORE_UNAVAILABLE', async () => {
      const closed = await fixture.open(clock);
      await closed.close();
      const err = await closed.changeVersion().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShakenError);
      expect(err).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', reason: 'store unavailable' });
      await expect(closed.ping()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    });
  });

  describe('request log writer', () => {
    /** The real store, with a count of calls and a switch to make the next calls fail as an outage would. */
    function observedStore() {
      const tracker = settledTracker();
      const batches: number[] = [];
      let outages = 0;
      return {
        sink: {
          appendRequestLog(records: readonly RequestLogRecord[]): Promise<void> {
            batches.push(records.length);
            if (outages > 0) {
              outages--;
              return tracker.track(Promise.reject(new ShakenError('ERR_STORE_UNAVAILABLE', 'store unavailable')));
            }
            return tracker.track(store.appendRequestLog(records));
          },
        },
        batches,
        failNext(n: number) {
          outages = n;
        },
        settled: tracker.settled,
      };
    }

    const stored = async (accountId: string) => (await store.queryRequestLog({ accountId, limit: 100_000 })).length;

    beforeEach(fakeTimers);
    afterEach(() => {
      vi.useRealTimers();
    });

    it('writes buffered records when the flush interval elapses', async () => {
      const obs = observedStore();
      const writer = new RequestLogWriter(obs.sink, { flushIntervalMs: 200 });
      const accountId = unique('acc');
      for (let i = 0; i < 3; i++) writer.record(logRecord({ accountId }));
      await vi.advanceTimersByTimeAsync(199);
      expect(obs.batches).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(obs.batches).toEqual([3]);
      await obs.settled();
      expect(await stored(accountId)).toBe(3);
      await writer.close();
    });

    it('starts a flush as soon as maxBatch records are waiting, without waiting for the interval', async () => {
      const obs = observedStore();
      const writer = new RequestLogWriter(obs.sink, { flushIntervalMs: 60_000, maxBatch: 5 });
      const accountId = unique('acc');
      for (let i = 0; i < 4; i++) writer.record(logRecord({ accountId }));
      await vi.advanceTimersByTimeAsync(0);
      expect(obs.batches).toEqual([]);
      writer.record(logRecord({ accountId }));
      await vi.advanceTimersByTimeAsync(0);
      expect(obs.batches).toEqual([5]);
      await obs.settled();
      expect(await stored(accountId)).toBe(5);
      await writer.close();
    });

    it('writes every buffered record on close, in batches of at most maxBatch, waiting for the flush in flight', async () => {
      const obs = observedStore();
      const writer = new RequestLogWriter(obs.sink, { flushIntervalMs: 200, maxBatch: 1000 });
      const accountId = unique('acc');
      for (let i = 0; i < 700; i++) writer.record(logRecord({ accountId }));
      await vi.advanceTimersByTimeAsync(200);
      expect(obs.batches).toEqual([700]);
      for (let i = 0; i < 1800; i++) writer.record(logRecord({ accountId }));
      await writer.close();
      expect(obs.batches.reduce((a, b) => a + b)).toBe(2500);
      expect(Math.max(...obs.batches)).toBe(1000);
      expect(await stored(accountId)).toBe(2500);
      expect(writer.dropped).toBe(0);
    });

    it('keeps the records while the store is unavailable and retries with growing delays', async () => {
      const obs = observedStore();
      const logger = { warn: vi.fn() };
      const writer = new RequestLogWriter(obs.sink, { flushIntervalMs: 200, logger });
      const accountId = unique('acc');
      const records = Array.from({ length: 3 }, (_, i) => logRecord({ accountId, time: new Date(i * 1000) }));
      records.forEach((r) => writer.record(r));
      obs.failNext(2);
      await vi.advanceTimersByTimeAsync(200); // attempt 1 fails: retry on the next tick
      await obs.settled();
      await vi.advanceTimersByTimeAsync(200); // attempt 2 fails: retry after two ticks
      await obs.settled();
      expect(obs.batches).toEqual([3, 3]);
      expect(writer.buffered).toBe(3);
      await vi.advanceTimersByTimeAsync(200);
      expect(obs.batches).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(200);
      await obs.settled();
      expect(obs.batches).toEqual([3, 3, 3]);
      expect(await store.queryRequestLog({ accountId })).toEqual([...records].reverse());
      expect(logger.warn).toHaveBeenCalledTimes(2);
      expect(writer.dropped).toBe(0);
      await writer.close();
    });

    it('drops the oldest records beyond maxBuffered and counts them', async () => {
      const obs = observedStore();
      const writer = new RequestLogWriter(obs.sink, { flushIntervalMs: 200, maxBuffered: 5 });
      const accountId = unique('acc');
      obs.failNext(1);
      for (let i = 0; i < 4; i++) writer.record(logRecord({ accountId, origid: `r${i}` }));
      await vi.advanceTimersByTimeAsync(200);
      await obs.settled();
      for (let i = 4; i < 8; i++) writer.record(logRecord({ accountId, origid: `r${i}` }));
      expect(writer.dropped).toBe(3);
      expect(writer.buffered).toBe(5);
      await writer.close();
      const origids = (await store.queryRequestLog({ accountId })).map((r) => r.origid).sort();
      expect(origids).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
    });

    it('drops a batch the store keeps rejecting, then writes what follows', async () => {
      const obs = observedStore();
      const logger = { warn: vi.fn() };
      const writer = new RequestLogWriter(obs.sink, { flushIntervalMs: 200, logger });
      const accountId = unique('acc');
      writer.record(unwritable());
      for (let tick = 0; tick < 4; tick++) {
        await vi.advanceTimersByTimeAsync(200);
        await obs.settled();
      }
      expect(obs.batches).toEqual([1, 1, 1]);
      expect(writer.dropped).toBe(1);
      writer.record(logRecord({ accountId }));
      await writer.close();
      expect(await stored(accountId)).toBe(1);
      expect(logger.warn).toHaveBeenCalledTimes(3);
    });

    it('counts records given after close as dropped instead of throwing', async () => {
      const obs = observedStore();
      const writer = new RequestLogWriter(obs.sink);
      await writer.close();
      expect(() => writer.record(logRecord())).not.toThrow();
      expect(writer.dropped).toBe(1);
      expect(obs.batches).toEqual([]);
    });
  });

  describe('change watcher', () => {
    function observedVersions(failures = { next: 0 }) {
      const tracker = settledTracker();
      const source = {
        changeVersion(): Promise<number> {
          if (failures.next > 0) {
            failures.next--;
            return tracker.track(Promise.reject(new ShakenError('ERR_STORE_UNAVAILABLE', 'store unavailable')));
          }
          return tracker.track(store.changeVersion());
        },
      };
      return { source, settled: tracker.settled };
    }

    beforeEach(fakeTimers);
    afterEach(() => {
      vi.useRealTimers();
    });

    it('reports each change once, with the new version', async () => {
      const { source, settled } = observedVersions();
      const onChange = vi.fn();
      const watch = watchChanges(source, { intervalMs: 100, onChange });
      await settled();
      const a = await store.createAccount(newAccount());
      const v1 = await store.changeVersion();
      for (let i = 0; i < 3; i++) {
        await vi.advanceTimersByTimeAsync(100);
        await settled();
      }
      expect(onChange.mock.calls).toEqual([[v1]]);
      await store.updateAccount(a.id, { enabled: false });
      await vi.advanceTimersByTimeAsync(100);
      await settled();
      expect(onChange.mock.calls).toEqual([[v1], [v1 + 1]]);
      watch.stop();
    });

    it('reports a change made before its first poll when given the version the caller loaded at', async () => {
      const { source, settled } = observedVersions();
      const onChange = vi.fn();
      const since = await store.changeVersion();
      await store.createAccount(newAccount());
      const watch = watchChanges(source, { intervalMs: 100, onChange, since });
      await settled();
      expect(onChange.mock.calls).toEqual([[since + 1]]);
      watch.stop();
    });

    it('ignores a failed poll and catches up on the next one', async () => {
      const failures = { next: 0 };
      const { source, settled } = observedVersions(failures);
      const onChange = vi.fn();
      const watch = watchChanges(source, { intervalMs: 100, onChange });
      await settled();
      await store.createAccount(newAccount());
      failures.next = 1;
      await vi.advanceTimersByTimeAsync(100);
      await settled();
      expect(onChange).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(100);
      await settled();
      expect(onChange).toHaveBeenCalledTimes(1);
      watch.stop();
    });

    it('drops the caches once for a change this process made: heard as it commits, skipped by the next poll', async () => {
      const { source, settled } = observedVersions();
      const drops: string[] = [];
      const watch = watchChanges(source, { intervalMs: 100, onChange: () => drops.push('poll') });
      await settled();
      // node.ts wires the two this way.
      const stopLocal = store.onCommittedChange((version) => {
        drops.push('commit');
        watch.handled(version);
      });
      await store.createAccount(newAccount());
      for (let i = 0; i < 3; i++) {
        await vi.advanceTimersByTimeAsync(100);
        await settled();
      }
      expect(drops).toEqual(['commit']);
      stopLocal();
      // A change this process did not hear commit (another node, the CLI) is still the poll's to report.
      await store.createAccount(newAccount());
      await vi.advanceTimersByTimeAsync(100);
      await settled();
      expect(drops).toEqual(['commit', 'poll']);
      watch.stop();
    });

    it('stops polling when stopped', async () => {
      const { source, settled } = observedVersions();
      const onChange = vi.fn();
      const watch = watchChanges(source, { intervalMs: 100, onChange });
      await settled();
      watch.stop();
      await store.createAccount(newAccount());
      await vi.advanceTimersByTimeAsync(1000);
      await settled();
      expect(onChange).not.toHaveBeenCalled();
    });
  });
}
