import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// Envelope: magic "SSK1" | 12-byte IV | 16-byte GCM tag | ciphertext. The key reference is bound in as
// additional data, so a blob copied under another reference fails to open.
const MAGIC = Buffer.from('SSK1', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function seal(masterKey: Buffer, plaintext: Buffer, ref: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(ref, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), ciphertext]);
}

/** Returns the plaintext, or undefined when the blob is not ours or the master key is wrong. */
export function open(masterKey: Buffer, blob: Uint8Array, ref: string): Buffer | undefined {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < MAGIC.length + IV_BYTES + TAG_BYTES || !b.subarray(0, 4).equals(MAGIC)) return undefined;
  const iv = b.subarray(4, 4 + IV_BYTES);
  const tag = b.subarray(4 + IV_BYTES, 4 + IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, iv);
    decipher.setAAD(Buffer.from(ref, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(b.subarray(4 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
