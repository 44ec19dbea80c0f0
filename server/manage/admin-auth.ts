import { createHash, timingSafeEqual } from 'node:crypto';
import { ShakenError } from '../core/errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks the admin API's bearer token against the configured one in constant time (both hashed first, so
 * their lengths leak nothing). With no token configured the admin API refuses everything.
 */
export function createAdminCheck(configured: string | undefined): (token: string | undefined) => void {
  const expected = configured ? digest(configured) : undefined;
  return (token) => {
    if (!expected) throw new ShakenError('ERR_AUTH_INVALID', 'the admin API is off: set SHAKENSTACK_ADMIN_TOKEN to use it', { field: 'authorization' });
    if (token === undefined) throw new ShakenError('ERR_AUTH_MISSING', 'an admin token is required: Authorization: Bearer <token>', { field: 'authorization' });
    if (!timingSafeEqual(digest(token), expected)) throw new ShakenError('ERR_AUTH_INVALID', 'the admin token is not valid', { field: 'authorization' });
  };
}
