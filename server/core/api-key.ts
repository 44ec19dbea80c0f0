import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Token layout: `ssk_<16 hex of the key id>_<43 base64url chars of a 32-byte secret>`. The id lets us find the
// record without scanning; only the secret's SHA-256 is stored. A fast hash suffices: the secret has 256 bits
// of entropy, so there is nothing for a slow KDF to protect against.
const TOKEN = /^ssk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function newApiKeySecret(): { secret: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, secretHash: hashApiKeySecret(secret) };
}

/** The token a client sends, from the store's key id (`key_<hex>`) and the one-time secret. */
export function formatApiKey(keyId: string, secret: string): string {
  return `ssk_${keyId.replace(/^key_/, '')}_${secret}`;
}

export function parseApiKey(token: string): { keyId: string; secret: string } | undefined {
  const m = TOKEN.exec(token);
  return m ? { keyId: `key_${m[1]}`, secret: m[2]! } : undefined;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKeySecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
