import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CPS_HTTP_STATUS } from '../../server/cps/cps-errors.js';

describe('STI-CPS refusals in docs/out-of-band.md', () => {
  const page = readFileSync('docs/out-of-band.md', 'utf8');
  for (const [code, status] of Object.entries(CPS_HTTP_STATUS)) {
    it(`documents ${code} with HTTP ${status}`, () => {
      const row = page.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row).toContain(`| ${status} |`);
    });
  }
});
