import { readFileSync } from 'node:fs';

/*
 * Splits a V8 CPU profile (`node --cpu-prof`, or the server's with SHAKENSTACK_BENCH_CPU_PROF set for
 * `grpc-sign`) into the parts of a request's budget in docs/performance.md (the gRPC and HTTP budgets):
 *
 *   node dist/bench/cpu-budget.js <file.cpuprofile> [--us-per-req N] [--from-s S] [--to-s S]
 *
 * Each sample counts for the innermost frame on its stack that belongs to a part: node:http2 called by grpc-js
 * is HTTP/2, node's streams and events called by grpc-js are grpc-js, the core's calls into node:crypto are the
 * signature. Shares are of the busy time (idle left out); `--us-per-req` (the bench's CPU per request) puts
 * microseconds on them. `--from-s`/`--to-s` keep the samples between those seconds after the profile began.
 */

interface CallFrame {
  functionName: string;
  url: string;
}

interface Profile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The parts, tried on each frame from the innermost outwards; the first that matches takes the sample. */
const PARTS: [string, (f: CallFrame) => boolean][] = [
  ['ES256 signature (node:crypto)', (f) => f.functionName === 'signOneShot' || f.url === 'node:internal/crypto/sig'],
  ['HTTP/2 framing and socket (node:http2, nghttp2)', (f) => /^node:(internal\/http2|http2$)/.test(f.url)],
  ['HTTP/1.1 parse and answer (node:http, llhttp)', (f) => /^node:(_http_|http$)/.test(f.url)],
  ['socket writes and reads (node:net, stream_base)', (f) => /^node:(internal\/(net|stream_base_commons)|net$)/.test(f.url)],
  ['fastify (routing, hooks, body parse, reply)', (f) => /\/node_modules\/(fastify|find-my-way|secure-json-parse|fast-json-stringify|@fastify\/[^/]+|avvio|light-my-request)\//.test(f.url)],
  ['grpc-js call objects, filters, state', (f) => f.url.includes('/@grpc/grpc-js/')],
  ['protobuf decode/encode (protobufjs)', (f) => f.url.includes('/protobufjs/') || f.url.includes('/@grpc/proto-loader/')],
  ['request log (journal write, log-thread hand-off)', (f) => /\/server\/(store\/(request-journal|threaded-request-log)|core\/request-log-record)\./.test(f.url)],
  ['metrics (prom-client)', (f) => f.url.includes('/prom-client/') || /\/server\/metrics\//.test(f.url)],
  ['auth (bearer, API key lookup)', (f) => /\/server\/core\/authenticate\./.test(f.url)],
  ['our gRPC adapter (server/grpc)', (f) => /\/server\/grpc\//.test(f.url)],
  ['core sign path (policy, PASSporT, key store)', (f) => /\/(server\/(core|store|cps)|hsm)\//.test(f.url)],
  ['our client (@shakenstack/client)', (f) => /\/clients\/node\//.test(f.url)],
  ['the bench itself (load loop, /proc sampling)', (f) => /\/bench\//.test(f.url)],
  ['other dependencies', (f) => f.url.includes('/node_modules/')],
];

function option(args: string[], name: string): number | undefined {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : undefined;
}

function main(args: string[]): void {
  const file = args[0];
  if (!file || file.startsWith('--')) {
    console.error('usage: node dist/bench/cpu-budget.js <file.cpuprofile> [--us-per-req N] [--from-s S] [--to-s S]');
    process.exit(2);
  }
  const perReq = option(args, '--us-per-req');
  const fromUs = (option(args, '--from-s') ?? 0) * 1e6;
  const toUs = (option(args, '--to-s') ?? Infinity) * 1e6;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

  // The part of each profile node, worked out once per node rather than per sample.
  const partOf = new Map<number, string | null>();
  const part = (id: number): string => {
    const leaf = byId.get(id)!.callFrame.functionName;
    if (leaf === '(garbage collector)') return 'GC';
    if (leaf === '(program)') return 'native, not attributed (libuv, syscalls)';
    for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
      let p = partOf.get(cur);
      if (p === undefined) {
        const f = byId.get(cur)!.callFrame;
        p = PARTS.find(([, match]) => match(f))?.[0] ?? null;
        partOf.set(cur, p);
      }
      if (p) return p;
    }
    return 'event loop, promises, timers (node)';
  };

  const totals = new Map<string, number>();
  let busy = 0;
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    // A sample's time is the gap to the next one.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    if (at < fromUs || at >= toUs || byId.get(id)!.callFrame.functionName === '(idle)') continue;
    busy += dt;
    const p = part(id);
    totals.set(p, (totals.get(p) ?? 0) + dt);
  }
  console.log(`busy ${(busy / 1e6).toFixed(2)} s of CPU in the profile${perReq ? `; µs at ${perReq} µs per request` : ''}`);
  for (const [name, t] of [...totals].sort((a, b) => b[1] - a[1])) {
    const share = busy > 0 ? t / busy : 0;
    console.log(`${(share * 100).toFixed(1).padStart(5)} %${perReq ? `  ${(share * perReq).toFixed(0).padStart(4)} µs` : ''}  ${name}`);
  }
}

main(process.argv.slice(2));
