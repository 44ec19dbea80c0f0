import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERIFY_REASONS, VERIFY_REASON_LIST } from '../../server/core/verify/verify-result.js';

describe('verification reasons in docs/verification.md', () => {
  const page = readFileSync('docs/verification.md', 'utf8');
  for (const reason of VERIFY_REASON_LIST) {
    it(`documents ${reason} with its SIP code and verstat`, () => {
      const spec = VERIFY_REASONS[reason];
      const row = page.split('\n').find((l) => l.startsWith(`| \`${reason}\` |`));
      expect(row, reason).toBeDefined();
      expect(row).toContain(`| ${spec.sip} | ${spec.kind === 'chain' ? 'TN-Validation-Failed' : 'No-TN-Validation'} |`);
    });
  }
});
