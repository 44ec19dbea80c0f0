/**
 * The floor for a gRPC SignStream signer in Node on this machine (issue 17): a bare `@grpc/grpc-js` server that
 * loads the service's own proto with the service's own loader options, takes the same SignStream messages (a
 * batch of items, each with the caller's id and a SignRequest), checks the bearer token once per stream, builds
 * the same PASSporT as node-floor-server.ts (RFC 8225 §9 claims in fixed order) and signs it synchronously with
 * `node:crypto`, then answers each input message with one SignStreamResponse holding its items' results (the
 * service batches what completes in one event-loop turn; signing synchronously, one message's items are that).
 * Nothing else: no store, no policy, no log, no metrics, no health or reflection. The service's SignStream figures
 * are also reported as a ratio to this one, measured in the same run, so what the framework costs is visible.
 *
 * The socket is accepted by a `node:net` listener with noDelay and injected into grpc-js, as the service does
 * (server/grpc/listener.ts), so Nagle's algorithm does not hold small batches back on one side only.
 *
 * With `kept` the floor also writes each signed item's record through the service's own request log, and a message's
 * answer leaves once its records are journaled (floor-request-log.ts), as the service's does.
 *
 * usage: node grpc-floor-server.js <port> <key.pem> <x5u> <api-key> [kept <dataDir>]
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Server, ServerCredentials, status, type Metadata, type ServerDuplexStream, type ServerUnaryCall, type ServiceDefinition, type sendUnaryData } from '@grpc/grpc-js';
import { loadServiceDefinitions } from '../server/grpc/proto.js';
import { floorRecord, keptFloorLog } from './floor-request-log.js';

const [portArg, keyPath, x5u, apiKey, mode, dataDir] = process.argv.slice(2) as [string, string, string, string, string?, string?];
const log = mode === 'kept' ? await keptFloorLog(dataDir!) : undefined;
const key = createPrivateKey(readFileSync(keyPath));
const headerB64 = Buffer.from(JSON.stringify({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u })).toString('base64url');
const params = `;info=<${x5u}>;alg=ES256;ppt=shaken`;
const expectedAuth = `Bearer ${apiKey}`;

/** A SignRequest as proto-loader hands it over with the service's options (defaults: false: absent stays absent). */
interface WireSignRequest {
  orig?: { tn?: unknown };
  dest?: { tn?: unknown };
  attest?: unknown;
}

interface WireItem {
  id?: string;
  request?: WireSignRequest;
}

/** The proto's SignResponse, as the service fills it for a call signed at the level it asked for. */
interface SignResponse {
  identity: string;
  attest: string;
  requestedAttest: string;
  downgraded: boolean;
  attestReason: string;
  origid: string;
  iat: number;
  x5u: string;
}

type Outcome = { response: SignResponse } | { error: { code: string; field: string; reason: string; status: number } };

/** Kept mode: settles once the records of this turn are journaled (they share one write). */
let written: Promise<void> = Promise.resolve();

const invalid: Outcome = { error: { code: 'ERR_REQ_FIELD_INVALID', field: '', reason: 'invalid', status: status.INVALID_ARGUMENT } };

/** Signs one request; in kept mode its record goes to the journal, and `written` settles once it is there. */
function signOne(body: WireSignRequest | undefined, started: number): Outcome {
  const orig = body?.orig?.tn;
  const dest = body?.dest?.tn;
  const attest = body?.attest ?? 'A';
  if (typeof orig !== 'string' || !Array.isArray(dest) || !dest.every((d) => typeof d === 'string') || (attest !== 'A' && attest !== 'B' && attest !== 'C')) {
    return invalid;
  }
  const origid = randomUUID();
  const iat = Math.floor(Date.now() / 1000);
  const claims = `{"attest":"${attest}","dest":{"tn":${JSON.stringify(dest)}},"iat":${iat},"orig":{"tn":${JSON.stringify(orig)}},"origid":"${origid}"}`;
  const input = `${headerB64}.${Buffer.from(claims).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  if (log) written = log.record(floorRecord('grpc', { orig, dest: dest.join(','), origid, attest }, started)) ?? written;
  return { response: { identity: `${input}.${signature}${params}`, attest, requestedAttest: attest, downgraded: false, attestReason: 'requested', origid, iat, x5u } };
}

const authorized = (metadata: Metadata) => metadata.get('authorization')[0] === expectedAuth;
const unauthenticated = { code: status.UNAUTHENTICATED, details: 'unknown API key' };

const definitions = loadServiceDefinitions();
// The service's own options for per-call cost and message size (server/grpc/server.ts).
const server = new Server({ 'grpc.enable_channelz': 0, 'grpc.max_receive_message_length': 1024 * 1024 });
server.addService(definitions['shakenstack.v1.Signer'] as ServiceDefinition, {
  Sign(call: ServerUnaryCall<WireSignRequest, SignResponse>, callback: sendUnaryData<SignResponse>) {
    if (!authorized(call.metadata)) return callback(unauthenticated);
    const outcome = signOne(call.request, log ? performance.now() : 0);
    const answer = () => ('response' in outcome ? callback(null, outcome.response) : callback({ code: outcome.error.status, details: outcome.error.reason }));
    // Answered means recorded: the answer leaves once the journal has the record (its turn's writeSync).
    if (log) void written.then(answer);
    else answer();
  },
  SignStream(call: ServerDuplexStream<{ items?: WireItem[] }, { results: ({ id: string } & Outcome)[] }>) {
    // grpc-js ends a server stream with the status of an emitted error.
    if (!authorized(call.metadata)) return void call.emit('error', unauthenticated);
    call.on('data', (msg: { items?: WireItem[] }) => {
      const items = msg.items ?? [];
      if (items.length === 0) return;
      const started = log ? performance.now() : 0;
      const message = { results: items.map((item) => ({ id: item.id ?? '', ...signOne(item.request, started) })) };
      if (log) void written.then(() => call.write(message));
      else call.write(message);
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  },
});
const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
createServer({ noDelay: true }, (socket) => injector.injectConnection(socket)).listen(Number(portArg), '127.0.0.1');
