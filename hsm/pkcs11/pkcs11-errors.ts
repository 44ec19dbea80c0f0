import { ShakenError } from '../../server/core/errors.js';

/** The `CKR_*` name of a PKCS#11 failure (pkcs11js puts it in the message), or undefined for any other error. */
export function ckrName(e: unknown): string | undefined {
  return /\bCKR_[A-Z0-9_]+/.exec(e instanceof Error ? e.message : '')?.[0];
}

// The token refused the PIN. Trying again can lock the token (PKCS#11 v2.40 §5.6 C_Login, CKR_PIN_LOCKED), so
// these end the token's use until an operator fixes the PIN and restarts.
const PIN_REFUSED = new Set(['CKR_PIN_INCORRECT', 'CKR_PIN_INVALID', 'CKR_PIN_LEN_RANGE', 'CKR_PIN_EXPIRED', 'CKR_PIN_LOCKED']);

// The key cannot make an ES256 signature; the token itself is fine, so these do not start a reconnection.
const KEY_UNFIT = new Set(['CKR_KEY_FUNCTION_NOT_PERMITTED', 'CKR_KEY_TYPE_INCONSISTENT', 'CKR_MECHANISM_INVALID', 'CKR_KEY_SIZE_RANGE']);

/** An error raised by the PKCS#11 library (pkcs11js's Pkcs11Error or NativeError), as opposed to a bug of ours. */
export function isPkcs11Failure(e: unknown): boolean {
  return e instanceof Error && (e.name === 'Pkcs11Error' || e.name === 'NativeError');
}

export function isPinRefused(e: unknown): boolean {
  return PIN_REFUSED.has(ckrName(e) ?? '');
}

export function isKeyUnfit(e: unknown): boolean {
  return KEY_UNFIT.has(ckrName(e) ?? '');
}

/** `pinSetting` is the setting the PIN came from (`pkcs11.pin` or `pkcs11.pinFile`): what the operator must fix. */
export function loginFailed(token: string, e: unknown, pinSetting?: string): ShakenError {
  const from = pinSetting === undefined ? '' : ` given by ${pinSetting}`;
  return new ShakenError(
    'ERR_KEYSTORE_LOGIN_FAILED',
    `token "${token}" refused the PIN${from} (${ckrName(e)}); not retried, to avoid locking the token: fix the PIN and restart`,
    { cause: e, field: pinSetting },
  );
}

export function tokenUnavailable(token: string, cause?: unknown): ShakenError {
  const why = cause === undefined ? '' : ` (${ckrName(cause) ?? 'module error'})`;
  return new ShakenError('ERR_KEYSTORE_UNAVAILABLE', `PKCS#11 token "${token}" is unavailable${why}; reconnecting`, { cause });
}
