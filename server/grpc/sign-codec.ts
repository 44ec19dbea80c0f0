import type { SignReply } from '../core/sign-reply.js';
import type { DivReply } from '../core/div/div-reply.js';
import type { RphReply } from '../core/rph/rph-reply.js';
import type { Metadata } from '@grpc/grpc-js';
import { bearerToken } from '../core/authenticate.js';
import type { ShakenError } from '../core/errors.js';
import { toShakenError } from './errors.js';

/*
 * Wire ↔ core for Sign, SignDiv, SignRph and SignStream. Decoding needs no code: proto-loader hands over SignRequest in the
 * core's input shape ({orig, dest, attest?, origid?, iat?}), and SignDivRequest in the div one ({orig, dest, div,
 * iat?, origid?} or {identity, dest, div?, iat?}: an empty repeated identity stays absent), SignRphRequest in the rph
 * one ({orig, dest, rph: {auth}, sph?, iat?}), and the core validates it.
 */

/** The proto's SignResponse has the core's reply fields, camelCase as proto-loader hands them over. */
export type SignResponse = SignReply;

/** The proto's SignDivResponse has the core's div reply fields. */
export type SignDivResponse = DivReply;

/** The proto's SignRphResponse has the core's rph reply fields. */
export type SignRphResponse = RphReply;

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
