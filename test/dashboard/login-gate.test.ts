import { describe, expect, it } from 'vitest';
import { LoginGate } from '../../server/dashboard/login-gate.js';
import { HTTP_STATUS } from '../../server/http/errors.js';
import { sourceKey } from '../../server/net/connection-guard.js';
import { LOGIN_MAX_FAILURES, LoginLimiter } from '../../server/dashboard/login-limit.js';
import type { ShakenError } from '../../server/core/errors.js';
import type { Store } from '../../server/store/store.js';
import { ApiError } from '../../web/src/api.js';
import { loginFailure } from '../../web/src/login-failure.js';

const clockAt = (start: number) => {
  const c = { t: start, now: () => c.t };
  return c;
};

describe('LoginGate', () => {
  it('lets a source burst up to its per-minute rate, refuses the next with 429 and a Retry-After, and refills over time', () => {
    const clock = clockAt(1_000_000);
    const gate = new LoginGate(clock, { maxPending: 100, ratePerMinute: 6 });
    for (let i = 0; i < 6; i++) gate.enter('192.0.2.1')();
    let refused: unknown;
    try {
      gate.enter('192.0.2.1');
    } catch (e) {
      refused = e;
    }
    // One token comes back every 10 s at 6 a minute.
    expect(refused).toMatchObject({ code: 'ERR_LOGIN_RATE_LIMITED', retryAfterSec: 10 });
    expect(HTTP_STATUS.ERR_LOGIN_RATE_LIMITED).toBe(429);
    expect(() => gate.enter('192.0.2.2')()).not.toThrow();
    clock.t += 10_000;
    expect(() => gate.enter('192.0.2.1')()).not.toThrow();
    expect(() => gate.enter('192.0.2.1')).toThrow(/too many logins from this address/);
  });

  it('refuses with 503 ERR_LOGIN_BUSY while maxPending logins are in progress, and admits again once one leaves', () => {
    const gate = new LoginGate(clockAt(0), { maxPending: 2, ratePerMinute: 0 });
    const a = gate.enter('192.0.2.1');
    gate.enter('192.0.2.2');
    expect(() => gate.enter('192.0.2.3')).toThrow(expect.objectContaining({ code: 'ERR_LOGIN_BUSY', retryAfterSec: 1 }));
    expect(HTTP_STATUS.ERR_LOGIN_BUSY).toBe(503);
    a();
    // Leaving twice does not free a second place.
    a();
    gate.enter('192.0.2.3');
    expect(() => gate.enter('192.0.2.4')).toThrow(expect.objectContaining({ code: 'ERR_LOGIN_BUSY' }));
  });

  it('forgets the least recently seen source beyond maxSources, so a flood from many addresses holds bounded memory', () => {
    const gate = new LoginGate(clockAt(0), { maxPending: 100, ratePerMinute: 1, maxSources: 2 });
    gate.enter('192.0.2.1')();
    expect(() => gate.enter('192.0.2.1')).toThrow();
    gate.enter('192.0.2.2')();
    gate.enter('192.0.2.3')();
    // 192.0.2.1 was forgotten and starts over with a full bucket.
    expect(() => gate.enter('192.0.2.1')()).not.toThrow();
  });
});

describe('sourceKey', () => {
  it('keys IPv4 by address, IPv4-mapped IPv6 as its IPv4 address, and IPv6 by its /64', () => {
    expect(sourceKey('192.0.2.7')).toBe('192.0.2.7');
    expect(sourceKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(sourceKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(sourceKey('2001:0DB8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(sourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('2001:db8:1:2:3:4:192.0.2.1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8::3:4:192.0.2.1')).toBe('2001:db8:0:0::/64');
  });
});

describe('the login page’s words for a 429', () => {
  /** The ApiError the dashboard client makes of the 429 the service answers with `err`. */
  const asAnswer = (err: unknown) => {
    const e = err as ShakenError;
    return new ApiError(429, e.code, e.reason, e.field, e.retryAfterSec);
  };
  const refusal = async (attempt: () => unknown): Promise<unknown> => {
    try {
      await attempt();
    } catch (e) {
      return e;
    }
    throw new Error('not refused');
  };

  it('blames the address for the gate’s per-address limit and the username for the failed-login limit', async () => {
    const clock = clockAt(1_000_000);
    const gate = new LoginGate(clock, { maxPending: 100, ratePerMinute: 1 });
    gate.enter('192.0.2.1')();
    const fromAddress = loginFailure(asAnswer(await refusal(() => gate.enter('192.0.2.1'))));
    expect(fromAddress).toBe('Too many sign-in attempts from this address. Try again in 1 minute(s).');

    const store = { dashboard: { reserveLoginAttempt: async () => ({ attempts: LOGIN_MAX_FAILURES + 1, windowStartMs: clock.t }) } } as unknown as Store;
    const limiter = new LoginLimiter(store, clock);
    const forUsername = loginFailure(asAnswer(await refusal(() => limiter.reserve('alice', '192.0.2.1'))));
    expect(forUsername).toBe('Too many failed sign-ins for this username. Try again in 15 minute(s).');
  });
});
