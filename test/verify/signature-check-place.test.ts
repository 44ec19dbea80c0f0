import { describe, expect, it } from 'vitest';
import { signatureCheckPlace } from '../../server/verify-fetch/node-verifier.js';

describe('where a verification checks its signature', () => {
  it('hands it to a thread of its own only while a core is left over after one event loop per worker', () => {
    expect(signatureCheckPlace(1, 2)).toBe('thread');
    expect(signatureCheckPlace(3, 8)).toBe('thread');
    expect(signatureCheckPlace(2, 2)).toBe('loop');
    expect(signatureCheckPlace(1, 1)).toBe('loop');
    expect(signatureCheckPlace(4, 2)).toBe('loop');
  });
});
