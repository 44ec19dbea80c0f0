import { describe, expect, it } from 'vitest';
import { verdict, type Check } from '../../bench/report.js';

/** The summary's verdicts (issue 17's bounds): a bound met exactly passes "at most" and "at least", never "under". */
describe('bench check verdicts', () => {
  const check = (op: Check['op'], value: number | undefined, bound?: number): Check => ({ id: 'x', name: 'x', value, unit: 'µs', op, bound });

  it('reads "at most" inclusively', () => {
    expect(verdict(check('<=', 150, 150))).toBe('PASS');
    expect(verdict(check('<=', 150.5, 150))).toBe('MISS');
    expect(verdict(check('<', 150, 150))).toBe('MISS');
    expect(verdict(check('>=', 1.1, 1.1))).toBe('PASS');
  });

  it('has no verdict for a figure the run did not measure, nor for an informational one', () => {
    expect(verdict(check('<=', undefined, 150))).toBe('n/a');
    expect(verdict(check('<=', Number.NaN, 150))).toBe('n/a');
    expect(verdict(check('info', 3))).toBe('');
  });
});
