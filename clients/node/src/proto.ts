import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeClientConstructor, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

const SIGNER_PROTO = 'shakenstack/v1/signer.proto';
const HEALTH_PROTO = 'health/v1/health.proto';

/** The repository's proto/ folder, found upwards from this file (sources or dist/). */
function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'proto', SIGNER_PROTO))) return join(dir, 'proto');
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`@shakenstack/client: cannot find proto/${SIGNER_PROTO} above ${dirname(fileURLToPath(import.meta.url))}`);
    dir = parent;
  }
}

export interface Constructors {
  Signer: ServiceClientConstructor;
  Metrics: ServiceClientConstructor;
  Health: ServiceClientConstructor;
}

let loaded: Constructors | undefined;

/** Client constructors, from the proto loaded once per process. */
export function constructors(): Constructors {
  if (loaded) return loaded;
  const pkg = protoLoader.loadSync([SIGNER_PROTO, HEALTH_PROTO], {
    // The client only decodes answers: proto3 leaves false and 0 off the wire, defaults put them back.
    // int64 as number: iat and counts are far below 2^53.
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: false,
    includeDirs: [protoRoot(), dirname(dirname(dirname(healthProtoPath)))],
  });
  const make = (name: string) => makeClientConstructor(pkg[name] as ServiceDefinition, name);
  loaded = { Signer: make('shakenstack.v1.Signer'), Metrics: make('shakenstack.v1.Metrics'), Health: make('grpc.health.v1.Health') };
  return loaded;
}
