import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../server/core/errors.js';
import { ATIS_MESSAGE } from '../../server/http/atis-errors.js';
import { HTTP_STATUS } from '../../server/http/errors.js';

const errorsPage = readFileSync('docs/errors.md', 'utf8');

describe('error registry', () => {
  it('maps every code in the HTTP table and the ATIS-1000082 table, and nothing else', () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...ERROR_CODES].sort());
    expect(Object.keys(ATIS_MESSAGE).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('documents every code in docs/errors.md with the status the HTTP table gives it', () => {
    const rows = new Map([...errorsPage.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]));
    expect([...rows.keys()].sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(rows.get(code), code).toBe(HTTP_STATUS[code]);
  });

  it('uses ATIS-1000082 SVC ids for request errors and POL ids for the rest', () => {
    for (const code of ERROR_CODES) {
      const id = ATIS_MESSAGE[code].id;
      expect(id, code).toMatch([400, 406, 413, 415].includes(HTTP_STATUS[code]) ? /^SVC4\d{3}$/ : /^(SVC4003|POL\d{4})$/);
    }
  });
});
