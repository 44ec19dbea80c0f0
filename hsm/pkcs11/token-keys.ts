import type { KeyObject } from 'node:crypto';
import { KeyGenMechanism, KeyType, ObjectClass, type ITemplate, type PrivateKey, type Session } from 'graphene-pk11';
import pkcs11js from 'pkcs11js';
import { ShakenError } from '../../server/core/errors.js';
import { P256_EC_PARAMS, publicKeyFromEcPoint } from './ec-public-key.js';
import { describeKey, formatKeyRef, type Pkcs11KeyRef } from './pkcs11-uri.js';

/** A signing key found on a token: the handle to sign with and the public half to check certificates against. */
export interface TokenKey {
  privateKey: PrivateKey;
  publicKey: KeyObject;
  /** DER SPKI of `publicKey`, to notice a key replaced under the same reference. */
  spki: Buffer;
}

export interface TokenKeyListing {
  token: string;
  label: string;
  /** CKA_ID as hex. */
  id: string;
  ref: string;
  /** CKA_SENSITIVE: the value can never be read out in clear. */
  sensitive: boolean;
  /** CKA_EXTRACTABLE: the token may wrap the key out (encrypted) for backup. */
  extractable: boolean;
}

function where(ref: Pkcs11KeyRef): string {
  return `key (${describeKey(ref)}) on token "${ref.token}"`;
}

function keyTemplate(ref: Pkcs11KeyRef, cls: ObjectClass): ITemplate {
  const t: ITemplate = { class: cls };
  if (ref.object !== undefined) t.label = ref.object;
  if (ref.id) t.id = ref.id;
  return t;
}

/**
 * Finds the one private key a reference names and the public key object beside it (same CKA_ID, else same
 * label), refusing keys that are not P-256, may not sign, or could be read out in clear.
 */
export function findKey(session: Session, ref: Pkcs11KeyRef): TokenKey {
  const found = session.find(keyTemplate(ref, ObjectClass.PRIVATE_KEY));
  if (found.length === 0) throw new ShakenError('ERR_KEYSTORE_KEY_NOT_FOUND', `no private ${where(ref)}`);
  if (found.length > 1) {
    throw new ShakenError('ERR_CRED_INVALID', `${found.length} private keys match ${where(ref)}; add id=… to the reference`, { field: 'keyRef' });
  }
  const privateKey = found.items(0).toType<PrivateKey>();
  const a = privateKey.getAttribute({ keyType: null, sign: null, sensitive: null, label: null, id: null }) as {
    keyType: number;
    sign: boolean;
    sensitive: boolean;
    label: string;
    id: Buffer;
  };
  if (a.keyType !== KeyType.EC) throw new ShakenError('ERR_CRED_INVALID', `${where(ref)} is not an EC key`, { field: 'keyRef' });
  if (!a.sign) throw new ShakenError('ERR_CRED_INVALID', `${where(ref)} may not sign (CKA_SIGN is false)`, { field: 'keyRef' });
  if (!a.sensitive) {
    throw new ShakenError('ERR_CRED_INVALID', `${where(ref)} can be read out in clear (CKA_SENSITIVE is false); only keys that cannot leave the token are used`, { field: 'keyRef' });
  }
  const publicRef: Pkcs11KeyRef = a.id.length ? { token: ref.token, object: undefined, id: a.id } : { token: ref.token, object: a.label, id: undefined };
  const publics = session.find(keyTemplate(publicRef, ObjectClass.PUBLIC_KEY));
  if (publics.length !== 1) {
    throw new ShakenError(
      'ERR_KEYSTORE_KEY_NOT_FOUND',
      `${where(ref)} has ${publics.length ? 'several' : 'no'} public key objects with ${describeKey(publicRef)}; exactly one is needed to check the certificate`,
    );
  }
  // By number: graphene names CKA_EC_PARAMS both paramsEC and paramsECDSA, and answers under either.
  const publicObject = publics.items(0);
  if (!publicObject.getAttribute(pkcs11js.CKA_EC_PARAMS).equals(P256_EC_PARAMS)) {
    throw new ShakenError('ERR_CRED_INVALID', `${where(ref)} is not on curve P-256 (ES256, RFC 8588 §3)`, { field: 'keyRef' });
  }
  const publicKey = publicKeyFromEcPoint(publicObject.getAttribute(pkcs11js.CKA_EC_POINT), where(ref));
  return { privateKey, publicKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

/** Every EC private key on the token, with the reference that names it. */
export function listKeys(session: Session, token: string): TokenKeyListing[] {
  const found = session.find({ class: ObjectClass.PRIVATE_KEY, keyType: KeyType.EC });
  const out: TokenKeyListing[] = [];
  for (let i = 0; i < found.length; i++) {
    const a = found.items(i).getAttribute({ label: null, id: null, sensitive: null, extractable: null }) as {
      label: string;
      id: Buffer;
      sensitive: boolean;
      extractable: boolean;
    };
    const ref = formatKeyRef({ token, object: a.label || undefined, id: a.id.length ? a.id : undefined });
    out.push({ token, label: a.label, id: a.id.toString('hex'), ref, sensitive: a.sensitive, extractable: a.extractable });
  }
  return out;
}

/**
 * Generates a P-256 key pair inside the token. The private key is sensitive and not extractable, so it never
 * exists outside the token; it may only sign. `session` must be read/write and logged in.
 */
export function generateKey(session: Session, token: string, label: string, id: Buffer): string {
  if (session.find({ class: ObjectClass.PRIVATE_KEY, label }).length > 0) {
    throw new ShakenError('ERR_REQ_CONFLICT', `token "${token}" already has a private key labelled "${label}"`, { field: 'label' });
  }
  if (session.find({ id }).length > 0) {
    throw new ShakenError('ERR_REQ_CONFLICT', `token "${token}" already has objects with id ${id.toString('hex')}`, { field: 'id' });
  }
  const common: ITemplate = { token: true, keyType: KeyType.EC, label, id };
  session.generateKeyPair(
    KeyGenMechanism.EC,
    { ...common, class: ObjectClass.PUBLIC_KEY, paramsEC: P256_EC_PARAMS, verify: true, private: false },
    { ...common, class: ObjectClass.PRIVATE_KEY, private: true, sensitive: true, extractable: false, sign: true, derive: false, decrypt: false, unwrap: false },
  );
  return formatKeyRef({ token, object: label, id });
}
