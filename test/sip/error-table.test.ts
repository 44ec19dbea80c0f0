import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../server/core/errors.js';
import { SIP_STATUS } from '../../server/sip/errors.js';

describe('SIP error table', () => {
  it('maps every code and nothing else, each to a SIP final status', () => {
    expect(Object.keys(SIP_STATUS).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(SIP_STATUS[code].code, code).toBeGreaterThanOrEqual(400);
  });

  it('is documented in the error table of docs/errors.md', () => {
    const errorsPage = readFileSync('docs/errors.md', 'utf8');
    const rows = new Map([...errorsPage.matchAll(/^\| `(ERR_[A-Z_]+)` \| \d{3} \| [A-Z_]+ \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect([...rows.keys()].sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(rows.get(code), code).toBe(SIP_STATUS[code].code);
  });
});
