import { ShakenError } from '../../server/core/errors.js';

export const PKCS11_SCHEME = 'pkcs11:';

/** What a `pkcs11:` key reference names: a private key on a token, by label (`object`) and/or `id` (RFC 7512). */
export interface Pkcs11KeyRef {
  /** CKA_LABEL of the token, not the slot id: slot ids change when tokens are added or re-created. */
  token: string;
  /** CKA_LABEL of the key. */
  object: string | undefined;
  /** CKA_ID of the key. */
  id: Buffer | undefined;
}

const ATTRIBUTES = new Set(['token', 'object', 'id', 'type']);
// RFC 7512 §2.3 pk11-pchar (path form): unreserved, the listed sub-delims and percent-encoded octets.
const PCHARS = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*$/;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

function invalid(reason: string): ShakenError {
  return new ShakenError('ERR_CRED_INVALID', `PKCS#11 key reference: ${reason}`, { field: 'keyRef' });
}

function decode(value: string, name: string): Buffer {
  if (!PCHARS.test(value)) throw invalid(`the ${name} value has characters that must be percent-encoded`);
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '%') {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(value.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
}

function encode(bytes: Buffer, everyByte: boolean): string {
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    // RFC 3986 §2.1: upper-case hex digits are the normal form of percent-encoding.
    out += !everyByte && UNRESERVED.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * Parses `pkcs11:token=<label>;object=<key label>;id=%01%02`. Attributes we do not use are refused rather than
 * ignored, and so is the query part: a `pin-value` there would be stored and printed with the reference.
 */
export function parseKeyRef(ref: string): Pkcs11KeyRef {
  if (!ref.startsWith(PKCS11_SCHEME)) throw invalid('must start with "pkcs11:"');
  const path = ref.slice(PKCS11_SCHEME.length);
  if (path.includes('?')) {
    throw invalid('query attributes (pin-value, module-path, ...) are not accepted: the PIN and the module come from the configuration');
  }
  const attrs = new Map<string, Buffer>();
  for (const part of path.split(';')) {
    const eq = part.indexOf('=');
    const name = eq > 0 ? part.slice(0, eq) : part;
    if (eq <= 0) throw invalid(`"${part}" is not name=value`);
    if (!ATTRIBUTES.has(name)) throw invalid(`attribute "${name}" is not supported (use token, object, id)`);
    // RFC 7512 §2.3: an attribute must not appear more than once in the path.
    if (attrs.has(name)) throw invalid(`attribute "${name}" appears twice`);
    attrs.set(name, decode(part.slice(eq + 1), name));
  }
  const token = attrs.get('token')?.toString('utf8');
  if (!token) throw invalid('token=<label> is required');
  const type = attrs.get('type')?.toString('utf8');
  if (type !== undefined && type !== 'private') throw invalid('type must be "private": the reference names a signing key');
  const object = attrs.get('object')?.toString('utf8');
  const id = attrs.get('id');
  if (!object && !id?.length) throw invalid('name the key with object=<label> and/or id=<%xx bytes>');
  return { token, object: object || undefined, id: id?.length ? id : undefined };
}

/** The canonical reference: what `hsm keygen` and `hsm list` print for operators to import with. */
export function formatKeyRef(k: Pkcs11KeyRef): string {
  const parts = [`token=${encode(Buffer.from(k.token, 'utf8'), false)}`];
  if (k.object) parts.push(`object=${encode(Buffer.from(k.object, 'utf8'), false)}`);
  if (k.id?.length) parts.push(`id=${encode(k.id, true)}`);
  return PKCS11_SCHEME + parts.join(';');
}

/** `label "x", id 0102` for messages. */
export function describeKey(k: Pkcs11KeyRef): string {
  return [k.object !== undefined ? `label "${k.object}"` : '', k.id ? `id ${k.id.toString('hex')}` : ''].filter(Boolean).join(', ');
}

/** Token, key label and id of a `pkcs11:` reference, for listings; undefined for any other (or malformed) reference. */
export function hsmKeyOf(ref: string): { token: string; label: string | undefined; id: string | undefined } | undefined {
  if (!ref.startsWith(PKCS11_SCHEME)) return undefined;
  try {
    const k = parseKeyRef(ref);
    return { token: k.token, label: k.object, id: k.id?.toString('hex') };
  } catch {
    return undefined;
  }
}
