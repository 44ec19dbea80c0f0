import { describe, expect, it } from 'vitest';
import { rcdSipHeaders } from '../../server/sip/rcd-call-info.js';

const report = (verified: Record<string, unknown>) => ({ ok: true, placement: 'shaken' as const, verified, failed: [] });

describe('RCD for the verify-mode 302 (RFC 9796)', () => {
  it('writes nothing without RCD', () => {
    expect(rcdSipHeaders(undefined)).toEqual({});
    expect(rcdSipHeaders(report({}))).toEqual({});
  });

  it('leaves out text with control characters and URLs that are not plain https: they come from someone else\'s PASSporT', () => {
    const r = rcdSipHeaders(report({ nam: 'Bank\r\nX-Evil: 1', crn: 'Call\u0000me', icn: 'https://a.example/l.png>;purpose=card', jcl: 'http://a.example/c.json' }));
    expect(r).toEqual({});
  });

  it('escapes quotes and backslashes, and hands UTF-8 over as the bytes a latin1 writer sends', () => {
    const r = rcdSipHeaders(report({ nam: 'Ünïcode "Q" \\ Ltd', icn: 'https://a.example/l.png' }));
    expect(Buffer.from(r.displayName!, 'latin1').toString('utf8')).toBe('"Ünïcode \\"Q\\" \\\\ Ltd"');
    expect(r.callInfo).toBe('Call-Info: <https://a.example/l.png>;purpose=icon');
  });
});
