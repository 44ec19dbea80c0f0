import { parentPort, workerData } from 'node:worker_threads';
import pkcs11js from 'pkcs11js';
import { SIGN_SLOT, type SignThreadData, type SignThreadReply } from './sign-threads.js';

/*
 * A signing thread: C_SignInit and C_Sign run here synchronously, so neither occupies the event loop. SoftHSM
 * does most of a signature's work in C_SignInit (it decrypts the private key and builds the OpenSSL key there),
 * about 60-90 µs of the ~110 µs, which the callback form of C_Sign left on the main thread.
 *
 * The library is the one the main thread loaded and initialised: dlopen hands this thread the same copy, so the
 * session and key handles the main thread got are valid here. This thread never calls C_Initialize or
 * C_Finalize; initialisation and recovery stay with the key store (PKCS#11 v2.40 §5.4: the library is shared
 * by the application's threads, with CKF_OS_LOCKING_OK given at C_Initialize).
 */
const { modulePath, shared } = workerData as SignThreadData;
const port = parentPort!;
const lib = new pkcs11js.PKCS11();
lib.load(modulePath);
const bytes = new Uint8Array(shared);
const mechanism = { mechanism: pkcs11js.CKM_ECDSA };

/** The handle (length-prefixed, CK_ULONG in the platform's byte order) at `offset` of the shared block. */
function handleAt(offset: number): Buffer {
  return Buffer.from(bytes.subarray(offset + 1, offset + 1 + bytes[offset]!));
}

function sign(): SignThreadReply {
  try {
    const session = handleAt(SIGN_SLOT.session);
    const key = handleAt(SIGN_SLOT.key);
    const digest = Buffer.from(bytes.buffer, SIGN_SLOT.digest, SIGN_SLOT.digestBytes);
    lib.C_SignInit(session, mechanism, key);
    const out = Buffer.from(bytes.buffer, SIGN_SLOT.signature, SIGN_SLOT.signatureBytes);
    return { ok: true, length: lib.C_Sign(session, digest, out).length };
  } catch (e) {
    // The name (Pkcs11Error, NativeError, TypeError) and the message carrying the CKR_ code cross as data, so
    // the pool tells a token fault from a bug exactly as it did when the call ran on the main thread.
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, name: err.name, message: err.message };
  }
}

port.on('message', () => port.postMessage(sign()));
