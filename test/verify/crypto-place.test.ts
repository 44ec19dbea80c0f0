import { describe, expect, it } from 'vitest';
import { cryptoPlace } from '../../server/batched-thread.js';

describe('where a process signs and checks signatures', () => {
  it('hands it to a thread of its own only while a core is left over after one event loop per worker', () => {
    expect(cryptoPlace(1, 2)).toBe('thread');
    expect(cryptoPlace(3, 8)).toBe('thread');
    expect(cryptoPlace(2, 2)).toBe('loop');
    expect(cryptoPlace(1, 1)).toBe('loop');
    expect(cryptoPlace(4, 2)).toBe('loop');
  });
});
