import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

export const SIGNER_PROTO = 'shakenstack/v1/signer.proto';
const HEALTH_PROTO = 'health/v1/health.proto';

/**
 * How messages become objects. `defaults: false` keeps absent fields absent, so the decoded request is the
 * core's input as is (`orig` missing stays missing, `orig.tn: ""` stays an empty number) and the core alone
 * decides what is wrong with it; int64 becomes a number (iat and counts are far below 2^53).
 */
export const PROTO_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: false, oneofs: false };

/** The folder holding `shakenstack/v1/…`: found upwards from here, so it works from the sources and from dist/. */
function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, SIGNER_PROTO))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find proto/${SIGNER_PROTO} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/**
 * Our services and the standard health service in one package definition, so reflection describes both.
 * Loaded once per server (it parses .proto text: a few milliseconds).
 */
export function loadServiceDefinitions(): protoLoader.PackageDefinition {
  const healthRoot = dirname(dirname(dirname(healthProtoPath)));
  return protoLoader.loadSync([SIGNER_PROTO, HEALTH_PROTO], { ...PROTO_OPTIONS, includeDirs: [protoRoot(), healthRoot] });
}
