import { isShakenError, ShakenError } from '../core/errors.js';

// The dashboard has no codes of its own: these build the registry's (core/errors.ts), which the app answers
// through the one HTTP table and body (http/errors.ts).

export const notFound = (what: string): ShakenError => new ShakenError('ERR_REQ_NOT_FOUND', `${what} does not exist`);
export const invalid = (reason: string, field?: string): ShakenError => new ShakenError('ERR_REQ_FIELD_INVALID', reason, { field });

/** The upload form's field for each part of a credential the core names (`chain`, `key`, `keyRef`). */
const UPLOAD_FIELD: Record<string, string> = { chain: 'certificatePem', key: 'privateKeyPem', keyRef: 'keyRef' };

/**
 * A credential refused at upload is a fault of the request, not of the account: the same ERR_CRED_* that makes
 * signing a 409 (the account's credential cannot be used) is here a 400 naming the form field. The credential
 * code stays in `details.credentialCode` so the form can tell an expired certificate from a wrong key.
 */
export function refusedUpload(err: unknown): unknown {
  if (!isShakenError(err) || !(err.code.startsWith('ERR_CRED_') || err.code === 'ERR_KEYSTORE_KEY_NOT_FOUND')) return err;
  const field = UPLOAD_FIELD[err.field ?? ''] ?? (err.code === 'ERR_KEYSTORE_KEY_NOT_FOUND' ? 'keyRef' : undefined);
  return new ShakenError('ERR_REQ_FIELD_INVALID', err.reason, { field, details: { credentialCode: err.code }, cause: err });
}
