/** Browser-side checks of pasted or chosen PEM text, before it is sent (the backend checks the keys themselves). */

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ((?:EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/g;

export interface SplitPem {
  certificates: string[];
  keys: string[];
}

/** The certificate and private-key blocks of a text, in order; anything else is ignored. */
export function splitPem(text: string): SplitPem {
  return { certificates: text.match(CERT_BLOCK) ?? [], keys: text.match(KEY_BLOCK) ?? [] };
}

/** A message for what is wrong with the chain text, or null when it can be sent. */
export function chainProblem(chain: string): string | null {
  if (chain.trim() === '') return 'Paste the certificate chain or choose its file.';
  const { certificates, keys } = splitPem(chain);
  if (keys.length > 0) return 'The certificate chain contains a private key; put the key in its own field.';
  if (certificates.length === 0) return 'The certificate chain has no "-----BEGIN CERTIFICATE-----" block; it must be PEM, leaf first.';
  return null;
}

export function keyProblem(key: string): string | null {
  if (key.trim() === '') return 'Paste the private key or choose its file (or use an HSM key reference).';
  const { certificates, keys } = splitPem(key);
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(key)) return 'The private key is encrypted; export it without a passphrase (PKCS#8 or SEC1 PEM).';
  if (keys.length === 0) return 'The private key has no "-----BEGIN PRIVATE KEY-----" (or "EC PRIVATE KEY") block.';
  if (keys.length > 1) return 'The private-key field holds more than one key; give only the key of the leaf certificate.';
  if (certificates.length > 0) return 'The private-key field also holds certificates; put them in the chain field.';
  return null;
}

export function keyRefProblem(ref: string): string | null {
  if (ref.trim() === '') return 'Give the HSM key reference, e.g. pkcs11:token=sti;object=sti-2026.';
  if (!ref.trim().startsWith('pkcs11:')) return 'An HSM key reference is a PKCS#11 URI starting with "pkcs11:".';
  return null;
}

/** Reads the chosen files as text (in the browser; nothing is uploaded until the form is sent). */
export async function readFiles(files: FileList | null): Promise<string> {
  if (!files) return '';
  const texts = await Promise.all(Array.from(files, (f) => f.text()));
  return texts.map((t) => t.trim()).join('\n');
}
