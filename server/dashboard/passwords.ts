import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * The dashboard password format, hashed with scrypt (RFC 7914) from node:crypto: no native build. The parameters
 * are one of OWASP's equivalent scrypt settings (N=2^15, r=8, p=3: 32 MiB and three passes, about 0.1-0.2 s per
 * hash on this project's 2-core machine) and are stored in each hash, so they can be raised later without
 * breaking existing users. The salt is 16 random bytes per user.
 *
 * These functions are synchronous on purpose and run only inside the password threads (password-thread.ts):
 * node's async `scrypt` would queue on the libuv thread pool that ES256 signing and PKCS#11 calls use, so a login
 * flood would stall signing. Everything else goes through PasswordHasher (password-hasher.ts).
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 3 } as const;
const KEY_LEN = 32;
const SALT_LEN = 16;
/** Twice the 128·N·r bytes scrypt needs, so node's 32 MiB default limit does not refuse N=2^15. */
const maxmemFor = (N: number, r: number): number => 256 * N * r;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Buffer {
  return scryptSync(password.normalize('NFC'), salt, KEY_LEN, { N: o.N, r: o.r, p: o.p, maxmem: maxmemFor(o.N, o.r) });
}

/** `scrypt$N$r$p$<salt base64>$<key base64>`. Blocks the calling thread for the whole hash. */
export function hashPasswordSync(password: string): string {
  const salt = randomBytes(SALT_LEN);
  const key = derive(password, salt, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Constant-time comparison; a malformed stored hash never matches. Blocks the calling thread. */
export function verifyPasswordSync(password: string, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((v) => Number.isSafeInteger(v) && v > 0)) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const actual = derive(password, salt, { N, r, p });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A printable random password for the first admin: 20 characters of base64url (120 bits). */
export function randomPassword(): string {
  return randomBytes(15).toString('base64url');
}
