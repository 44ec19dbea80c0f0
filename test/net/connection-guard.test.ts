import { describe, expect, it } from 'vitest';
import { sourceKey } from '../../server/net/connection-guard.js';

describe('the source a connection is counted under', () => {
  it('is the IPv4 address itself, also when the listener sees it mapped into IPv6', () => {
    expect(sourceKey('192.0.2.7')).toBe('192.0.2.7');
    expect(sourceKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('is the /64 of an IPv6 address, however the address is written', () => {
    const key = '2001:db8:0:1::/64';
    expect(sourceKey('2001:db8:0:1::1')).toBe(key);
    expect(sourceKey('2001:0db8:0000:0001:ffff:0:0:2')).toBe(key);
    expect(sourceKey('2001:DB8:0:1:a:b:c:d')).toBe(key);
    expect(sourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('keeps two hosts in different /64s apart', () => {
    expect(sourceKey('2001:db8:0:1::1')).not.toBe(sourceKey('2001:db8:0:2::1'));
  });
});
