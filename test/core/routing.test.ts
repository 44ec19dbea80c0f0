import { describe, expect, it } from 'vitest';
import { decideRoutes, validRoutingPrefix, validRoutingTarget, type RoutingRule } from '../../server/core/routing.js';

const rule = (prefix: string, target: string, priority = 10): RoutingRule => ({ id: `r-${prefix}-${target}`, accountId: 'acc', prefix, target, priority });

describe('routing decision', () => {
  const rules = [
    rule('', 'sip:default.example.net'),
    rule('1800', 'sip:tollfree-b.example.net', 20),
    rule('1800', 'sip:tollfree-a.example.net', 10),
    rule('1', 'sip:nanp.example.net'),
    rule('44', 'sips:uk.example.net'),
  ];

  it('takes the longest matching prefix and orders its targets by priority', () => {
    expect(decideRoutes(rules, '18001234567')).toEqual({
      routes: [
        { uri: 'sip:tollfree-a.example.net', priority: 10 },
        { uri: 'sip:tollfree-b.example.net', priority: 20 },
      ],
      source: 'rule',
    });
    expect(decideRoutes(rules, '14045266060').routes).toEqual([{ uri: 'sip:nanp.example.net', priority: 10 }]);
    expect(decideRoutes(rules, '442071234567').routes).toEqual([{ uri: 'sips:uk.example.net', priority: 10 }]);
  });

  it('falls back to the empty-prefix rule, then to the Request-URI, then to nothing', () => {
    expect(decideRoutes(rules, '33123456789').routes).toEqual([{ uri: 'sip:default.example.net', priority: 10 }]);
    const noDefault = rules.filter((r) => r.prefix !== '');
    expect(decideRoutes(noDefault, '33123456789', 'sip:+33123456789@carrier.example.org')).toEqual({ routes: [{ uri: 'sip:+33123456789@carrier.example.org', priority: 0 }], source: 'request-uri' });
    expect(decideRoutes(noDefault, '33123456789')).toEqual({ routes: [], source: 'none' });
  });

  it('orders rules of equal priority by target, whatever order they were stored in', () => {
    const r = decideRoutes([rule('1', 'sip:y.example'), rule('1', 'sip:x.example')], '1555');
    expect(r.routes.map((x) => x.uri)).toEqual(['sip:x.example', 'sip:y.example']);
  });

  it('routes a call without a destination number only by the default rule', () => {
    expect(decideRoutes(rules, undefined).routes).toEqual([{ uri: 'sip:default.example.net', priority: 10 }]);
  });

  it.each(['http://x', 'sip:a b@c', 'sip:<x>', 'sip:x\r\nVia: evil', ''])('refuses %j as a target', (t) => {
    expect(() => validRoutingTarget(t)).toThrow(expect.objectContaining({ code: 'ERR_URI_INVALID', field: 'target' }));
  });

  it('refuses a prefix that is not digits', () => {
    expect(() => validRoutingPrefix('1-800')).toThrow(expect.objectContaining({ code: 'ERR_REQ_FIELD_INVALID' }));
    expect(validRoutingPrefix('')).toBe('');
  });
});
