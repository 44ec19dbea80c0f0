import { X509Certificate } from 'node:crypto';
import { credentials, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { compactVerify, importSPKI } from 'jose';
import { constructors } from '../../clients/node/src/proto.js';

/**
 * The SignRequest message for a JSON body, or undefined when the proto's types cannot express it (orig.tn as an
 * array, iat as a string, a body that is not an object): no gRPC client can send those, so they have no gRPC row.
 */
export function toProtoRequest(body: unknown): object | undefined {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (!isObject(body)) return undefined;
  const { orig, dest, attest, origid, iat, ...rest } = body;
  if (Object.keys(rest).length > 0) return undefined;
  if (orig !== undefined && (!isObject(orig) || Object.values(orig).some((v) => typeof v !== 'string'))) return undefined;
  if (dest !== undefined && (!isObject(dest) || !Object.values(dest).every(strings))) return undefined;
  if ((attest !== undefined && typeof attest !== 'string') || (origid !== undefined && typeof origid !== 'string')) return undefined;
  if (iat !== undefined && !Number.isSafeInteger(iat)) return undefined;
  return body;
}

/** Plain grpc-js clients (no @shakenstack/client logic) for checks of the wire itself. */
export function rawClients(address: string) {
  const { Signer, Metrics, Health } = constructors();
  const signer = new Signer(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const shared = { channelOverride: signer.getChannel() };
  return {
    signer,
    metrics: new Metrics(address, credentials.createInsecure(), shared),
    health: new Health(address, credentials.createInsecure(), shared),
    close: () => signer.close(),
  };
}

export function bearer(token: string | undefined, attest?: string): Metadata {
  const md = new Metadata();
  if (token !== undefined) md.set('authorization', `Bearer ${token}`);
  if (attest !== undefined) md.set('x-attestation', attest);
  return md;
}

export interface UnaryOutcome<T> {
  value?: T;
  error?: ServiceError;
}

/** A unary call that settles with its value or its error, never rejects. */
export function callUnary<T>(client: Client, method: string, request: unknown, metadata = new Metadata(), deadlineMs = 10_000): Promise<UnaryOutcome<T>> {
  const fn = (client as unknown as Record<string, (...a: unknown[]) => void>)[method]!.bind(client);
  return new Promise((resolve) => {
    fn(request, metadata, { deadline: Date.now() + deadlineMs }, (error: ServiceError | null, value: T) => resolve(error ? { error } : { value }));
  });
}

/** Verifies an Identity header the way a remote verifier would: chain from x5u, signature with jose. Returns the claims. */
export async function verifyIdentity(identity: string): Promise<Record<string, unknown>> {
  const [jws, ...params] = identity.split(';');
  const info = /^info=<(.+)>$/.exec(params[0]!)![1]!;
  const pem = await (await fetch(info)).text();
  const leaf = new X509Certificate(pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25));
  const spki = leaf.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const { payload, protectedHeader } = await compactVerify(jws!, await importSPKI(spki, 'ES256'));
  if (protectedHeader.x5u !== info) throw new Error('x5u and info differ');
  return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
}

/** The claims of a PASSporT without verifying it (for matching results to requests). */
export function claimsOf(identity: string): { dest: { tn: string[] }; orig: { tn: string }; attest: string; origid: string } {
  return JSON.parse(Buffer.from(identity.split('.')[1]!, 'base64url').toString());
}
