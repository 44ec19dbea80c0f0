import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config/load.js';
import { isHeartbeat, withoutHeartbeats, type HeartbeatNumbers } from '../../server/core/heartbeat.js';
import type { RequestLogRecord } from '../../server/core/ports.js';
import { blankLogRecord } from '../../server/core/request-log-record.js';
import { createSigningService } from '../../server/core/sign-service.js';
import { coreFixture } from '../helpers/core-fixture.js';

const ORACLE: HeartbeatNumbers = { orig: '9999999999', dest: '7777777777', div: '3333333333' };

function record(accountId: string | null, orig: string | null, dest: string | null): RequestLogRecord {
  return { ...blankLogRecord('sign', 'http', new Date(0)), accountId, orig, dest };
}

describe('heartbeat recognition', () => {
  it('takes an identified caller from the heartbeat orig to heartbeat numbers (dest, or the div number)', () => {
    expect(isHeartbeat(record('acc_1', '9999999999', '7777777777'), ORACLE)).toBe(true);
    expect(isHeartbeat(record('acc_1', '9999999999', '7777777777,3333333333'), ORACLE)).toBe(true);
  });

  it('leaves a request of an unidentified caller, another number, or no parties to the log', () => {
    expect(isHeartbeat(record(null, '9999999999', '7777777777'), ORACLE)).toBe(false);
    expect(isHeartbeat(record('acc_1', '9999999999', '7777777777,12025550100'), ORACLE)).toBe(false);
    expect(isHeartbeat(record('acc_1', '12025550100', '7777777777'), ORACLE)).toBe(false);
    expect(isHeartbeat(record('acc_1', null, null), ORACLE)).toBe(false);
  });

  it('sends heartbeat records to the heartbeat sink and every other record to the log; none without heartbeats', () => {
    const logged: RequestLogRecord[] = [];
    const beats: RequestLogRecord[] = [];
    const log = { record: (r: RequestLogRecord) => void logged.push(r) };
    const split = withoutHeartbeats(log, { numbers: ORACLE, sink: { heartbeat: (r) => beats.push(r) } });
    split.record(record('acc_1', '9999999999', '7777777777'));
    split.record(record('acc_1', '12025550100', '7777777777'));
    expect(beats.map((r) => r.orig)).toEqual(['9999999999']);
    expect(logged.map((r) => r.orig)).toEqual(['12025550100']);
    expect(withoutHeartbeats(log, undefined)).toBe(log);
  });
});

describe('heartbeat numbers are settings', () => {
  it("default to Oracle's sti-heartbeat-config numbers", () => {
    expect(loadConfig({ env: {} }).heartbeat).toEqual({ enabled: true, origTn: '9999999999', destTn: '7777777777', divTn: '3333333333' });
  });

  it('are read from the environment in canonical form, and a value that is not a number stops the start', () => {
    const c = loadConfig({ env: { SHAKENSTACK_HEARTBEAT_ORIG_TN: '+15550000001', SHAKENSTACK_HEARTBEAT_DEST_TN: '15550000002', SHAKENSTACK_HEARTBEAT: 'false' } });
    expect(c.heartbeat).toMatchObject({ enabled: false, origTn: '15550000001', destTn: '15550000002' });
    expect(() => loadConfig({ env: { SHAKENSTACK_HEARTBEAT_DIV_TN: '333-333' } })).toThrow(ConfigError);
  });
});

describe('the signing core with heartbeats', () => {
  it('signs a heartbeat with the account key and records it as a heartbeat, a call as a call; div heartbeats too', async () => {
    const f = await coreFixture({ policyMode: 'trust' });
    const numbers = { orig: '15550000001', dest: '15550000002', div: '15550000003' };
    const beats: RequestLogRecord[] = [];
    const signing = createSigningService({ directory: f.dir, keys: f.keys, clock: f.clock, log: f.dir, cacheTtlMs: 60_000, publicUrl: () => 'https://sti.example.test', heartbeats: { numbers, sink: { heartbeat: (r) => beats.push(r) } } });
    const hb = await signing.handle({ token: f.token, transport: 'grpc', input: { orig: { tn: '+1 555 000 0001' }, dest: { tn: ['15550000002'] }, attest: 'B' } });
    expect(hb.passport.split('.')).toHaveLength(3);
    const call = await signing.handle({ token: f.token, transport: 'grpc', input: { orig: { tn: '12025550100' }, dest: { tn: ['15550000002'] } } });
    const caller = { accountId: f.account.id, sourceKind: 'customer' as const, transport: 'grpc' as const };
    await signing.signDiv(caller, { orig: { tn: '15550000001' }, dest: { tn: ['15550000002'] }, div: { tn: '15550000003' } });
    expect(beats.map((r) => [r.kind, r.outcome, r.orig, r.dest, r.passports])).toEqual([
      ['sign', 'ok', '15550000001', '15550000002', 'shaken'],
      ['sign', 'ok', '15550000001', '15550000002', 'div'],
    ]);
    expect(f.dir.log.map((r) => r.origid)).toEqual([call.origid]);
  });

  it('applies attestation policy to a heartbeat as to any call: enforce mode signs 9999999999, in no inventory, at B', async () => {
    const f = await coreFixture({ policyMode: 'enforce', maxAttest: 'A' });
    const signing = createSigningService({ directory: f.dir, keys: f.keys, clock: f.clock, log: f.dir, cacheTtlMs: 60_000, publicUrl: () => 'https://sti.example.test', heartbeats: { numbers: ORACLE, sink: { heartbeat: () => {} } } });
    const r = await signing.handle({ token: f.token, transport: 'http', input: { orig: { tn: '9999999999' }, dest: { tn: ['7777777777'] }, attest: 'A' } });
    expect(r).toMatchObject({ attest: 'B', downgraded: true, attestReason: 'tn-not-in-inventory' });
    expect(f.dir.log).toHaveLength(0);
  });
});
