import { describe, expect, it } from 'vitest';
import { PLAIN_DIALECT, type SbcDialect } from '../../server/core/sbc-dialect.js';
import { admitSipSource, canonicalCidr, cidrsOverlap, SipSourceTable, type SipSource } from '../../server/core/sip-sources.js';
import { createSourceResolver } from '../../server/core/source-caller.js';
import { FakeClock } from '../helpers/core-fixture.js';

describe('canonicalCidr', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7/32'],
    ['192.0.2.7/24', '192.0.2.0/24'],
    [' 10.1.2.3/8 ', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1/128'],
    ['2001:db8::ff/64', '2001:db8::/64'],
    ['::1', '::1/128'],
    ['::ffff:192.0.2.1/128', '::ffff:c000:201/128'],
    ['2001:db8:0:1:0:0:1:0/128', '2001:db8:0:1::1:0/128'],
    ['::', '::/128'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0/128'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221/128'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalCidr(input)).toBe(expected);
  });

  it.each(['', '192.0.2.1/33', '192.0.2/24', '300.1.1.1', 'example.net', '::1/129', '10.0.0.0/8/8', 'fe80::1%eth0', '1.2.3.4/-1', ':::1', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '01.2.3.4', '::ffff:1.2.3', '1:2:3:4:5:6:7:8::', 'g::1', 42, null])(
    'refuses %s with ERR_REQ_FIELD_INVALID on cidr',
    (input) => {
      expect(() => canonicalCidr(input)).toThrow(expect.objectContaining({ code: 'ERR_REQ_FIELD_INVALID', field: 'cidr' }));
    },
  );
});

describe('SipSourceTable', () => {
  const table = new SipSourceTable([
    { accountId: 'carrier', cidr: '198.51.100.0/24', sourceKind: 'gateway' },
    { accountId: 'pbx', cidr: '198.51.100.20/32', sourceKind: 'customer' },
    { accountId: 'v6', cidr: '2001:db8:1::/48', sourceKind: 'customer' },
    { accountId: 'loop', cidr: '127.0.0.0/8', sourceKind: 'customer' },
  ]);

  it('finds the longest matching block', () => {
    expect(table.lookup('198.51.100.20')?.accountId).toBe('pbx');
    expect(table.lookup('198.51.100.21')?.accountId).toBe('carrier');
    expect(table.lookup('198.51.101.1')).toBeUndefined();
  });

  it('matches IPv6 blocks and IPv4 peers reported in IPv6 form', () => {
    expect(table.lookup('2001:db8:1:ffff::9')?.accountId).toBe('v6');
    expect(table.lookup('2001:db8:2::9')).toBeUndefined();
    expect(table.lookup('::ffff:127.0.0.1')?.accountId).toBe('loop');
  });

  it('answers undefined for garbage instead of throwing', () => {
    expect(table.lookup('')).toBeUndefined();
    expect(table.lookup('not-an-ip')).toBeUndefined();
  });
});

describe('cidrsOverlap', () => {
  it.each([
    ['127.0.0.0/8', '127.0.0.77/32', true],
    ['127.0.0.77/32', '127.0.0.0/8', true],
    ['127.0.0.0/8', '127.0.0.0/8', true],
    ['0.0.0.0/0', '198.51.100.0/24', true],
    ['198.51.100.0/25', '198.51.100.128/25', false],
    ['198.51.100.0/24', '198.51.101.0/24', false],
    ['2001:db8::/32', '2001:db8:1::5/128', true],
    ['2001:db8::/32', '2001:db9::/32', false],
    ['::/0', '0.0.0.0/0', false],
  ])('%s and %s overlap: %s', (a, b, overlap) => {
    expect(cidrsOverlap(a, b)).toBe(overlap);
  });
});

describe('admitSipSource (tenant boundary between accounts)', () => {
  const carrier: SipSource = { accountId: 'acc_carrierB', cidr: '127.0.0.0/8', sourceKind: 'gateway' };
  const existing: SipSource[] = [carrier, { accountId: 'acc_pbxA', cidr: '192.0.2.0/24', sourceKind: 'customer' }];
  const add = (cidr: string, allowOverlap?: boolean) => admitSipSource({ accountId: 'acc_pbxA', cidr, sourceKind: 'customer' }, existing, { allowOverlap });

  it("refuses a block inside, around or equal to another account's, with a reason that names neither the block nor the account", () => {
    for (const cidr of ['127.0.0.77/32', '0.0.0.0/0', '127.0.0.0/8']) {
      let error: unknown;
      try {
        add(cidr);
      } catch (e) {
        error = e;
      }
      expect(error, cidr).toMatchObject({ code: 'ERR_REQ_CONFLICT', field: 'cidr', reason: `${cidr} overlaps a SIP source block this account does not hold; only an administrator can allow an overlap` });
      const said = (JSON.stringify(error) + String(error)).replaceAll(cidr, '<asked>');
      expect(said, cidr).not.toMatch(/carrierB|gateway|\d+\.\d+\.\d+\.\d+/);
    }
  });

  it('lets an account nest its own blocks and refuses its own duplicate', () => {
    expect(add('192.0.2.7/32')).toEqual([]);
    expect(add('192.0.0.0/16')).toEqual([]);
    expect(() => add('192.0.2.0/24')).toThrow(expect.objectContaining({ code: 'ERR_REQ_CONFLICT', reason: '192.0.2.0/24 is already a SIP source of this account' }));
    expect(add('198.51.100.0/24')).toEqual([]);
  });

  it("admits an overlap an admin allowed and reports the other account's block, but never an identical block", () => {
    expect(add('127.0.0.77/32', true)).toEqual([carrier]);
    expect(add('0.0.0.0/0', true)).toEqual([carrier]);
    expect(() => add('127.0.0.0/8', true)).toThrow(expect.objectContaining({ code: 'ERR_REQ_CONFLICT', field: 'cidr' }));
  });
});

describe('the source resolver tells the SBC dialect of an address (issue 15)', () => {
  const sbc: SbcDialect = { identityInContact: true, multipleChoices: true, attestationHeaders: false };
  let rows: SipSource[] = [
    { accountId: 'acc_carrier', cidr: '192.0.2.0/24', sourceKind: 'customer', dialect: sbc },
    { accountId: 'acc_pbx', cidr: '192.0.2.9/32', sourceKind: 'customer', dialect: PLAIN_DIALECT },
  ];
  let loads = 0;
  const resolver = createSourceResolver({ listSipSources: async () => (loads++, rows) }, new FakeClock(0), { ttlMs: 60_000 });

  it('from the block the caller is told by (the longest), from the cached table, undefined for no block', async () => {
    expect(await resolver.dialectOf('192.0.2.7')).toEqual(sbc);
    expect(await resolver.dialectOf('192.0.2.9')).toEqual(PLAIN_DIALECT);
    expect((await resolver.resolve('192.0.2.9', 'sip')).accountId).toBe('acc_pbx');
    expect(await resolver.dialectOf('198.51.100.1')).toBeUndefined();
    expect(loads).toBe(1);
  });

  it('a changed dialect is seen once the table is rebuilt (a store change invalidates it)', async () => {
    rows = [{ ...rows[0]!, dialect: PLAIN_DIALECT }, rows[1]!];
    expect(await resolver.dialectOf('192.0.2.7')).toEqual(sbc);
    resolver.invalidate();
    expect(await resolver.dialectOf('192.0.2.7')).toEqual(PLAIN_DIALECT);
  });
});
