import type { Metadata } from '@grpc/grpc-js';
import { bearerToken } from '../core/authenticate.js';
import type { ShakenError } from '../core/errors.js';
import type { SignResult } from '../core/types.js';
import { toShakenError } from './errors.js';

/*
 * Wire ↔ core for Sign and SignStream. Decoding needs no code: proto-loader hands over SignRequest in the
 * core's input shape ({orig, dest, attest?, origid?, iat?}) and the core validates it.
 */

/** The proto's SignResponse (camelCase, as proto-loader hands it over). */
export interface SignResponse {
  identity: string;
  attest: string;
  requestedAttest: string;
  downgraded: boolean;
  attestReason: string;
  origid: string;
  iat: number;
  x5u: string;
}

export function signResponse(r: SignResult): SignResponse {
  return {
    identity: r.identity,
    attest: r.attest,
    requestedAttest: r.requestedAttest,
    downgraded: r.downgraded,
    attestReason: r.attestReason,
    origid: r.origid,
    iat: r.iat,
    x5u: r.x5u,
  };
}

function firstText(metadata: Metadata, key: string): string | undefined {
  const v = metadata.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

export interface Caller {
  token: string | undefined;
  headerAttest: string | undefined;
}

/** What a call's metadata says about the caller: the API key and the attestation override. */
export function callerOf(metadata: Metadata): Caller {
  return { token: bearerToken(firstText(metadata, 'authorization')), headerAttest: firstText(metadata, 'x-attestation') };
}

export interface InternalErrorLogger {
  error(obj: object, msg: string): void;
}

/** A thrown error as a ShakenError; an unknown one is logged with its stack here, and never echoed. */
export function refusal(err: unknown, logger: InternalErrorLogger): ShakenError {
  const e = toShakenError(err);
  if (e.code === 'ERR_INTERNAL') logger.error({ err }, 'unhandled error in a gRPC call');
  return e;
}
