import { Cluster, Redis } from 'ioredis';
import { CpsStoreUnavailable, type CallKey, type CpsStore, type OnceMark } from '../core/cps/cps-ports.js';

export interface RedisCpsOptions {
  /** One Redis (`redis://host:port/db`), or undefined when `clusterNodes` is set. */
  url: string | undefined;
  /** Redis Cluster seed nodes (`host:port`); when non-empty, `url` is ignored. */
  clusterNodes: readonly string[];
  /** A command unanswered this long fails (503 to the client) rather than holding the request. */
  commandTimeoutMs: number;
  /** Told when the connection is lost or back, so the node logs each transition once. */
  onState?: (state: 'up' | 'down', err?: Error) => void;
}

/*
 * Keys. The braces are Redis Cluster hash tags (cluster-spec "Hash tags"): a call's set and the replay marks of
 * the tokens that name it share one slot, so each request is one script on one shard, one round trip.
 *   cps:{<dest>:<orig>}                sorted set: PASSporT -> expiry (ms); the key expires with its last member
 *   cps:{<dest>:<orig>}:jti:<spc>:<jti> replay mark of a request token for this call, SET NX PX
 *   cps:rl:{<bucket>}:<second>         INCR counter, expires after 2 s
 * A replay mark lives beside the call it was used for, so a token is single-use per call: one that names several
 * called numbers may be used once for each of them (it grants nothing its signer did not sign for).
 */
// KEYS: call, mark. ARGV: now (ms), expiry (ms), mark ttl (ms), PASSporT... Returns -1 for a replay, else the count.
const PUT_SCRIPT = `
if not redis.call('SET', KEYS[2], '1', 'PX', ARGV[3], 'NX') then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for i = 4, #ARGV do redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i]) end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return #ARGV - 3`;

// KEYS: call, mark. ARGV: now (ms), mark ttl (ms). Returns -1 for a replay, else the unexpired PASSporTs.
// Exclusive lower bound: a PASSporT whose expiry is now is gone, as PEXPIREAT would have it.
const GET_SCRIPT = `
if not redis.call('SET', KEYS[2], '1', 'PX', ARGV[2], 'NX') then return -1 end
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')`;

// KEYS: counter. The window's count; the counter outlives its second by one.
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end
return n`;

function callKey(k: CallKey): string {
  return `cps:{${k.destTn}:${k.origTn}}`;
}

interface Scripts {
  cpsPut(call: string, mark: string, nowMs: number, expiresAtMs: number, ttlMs: number, ...passports: string[]): Promise<number>;
  cpsGet(call: string, mark: string, nowMs: number, ttlMs: number): Promise<string[] | number>;
  cpsHit(counter: string): Promise<number>;
}

type Client = Redis | Cluster;

/** The CPS store on Redis or Redis Cluster (ioredis): nothing about a call is kept in this process. */
export class RedisCpsStore implements CpsStore {
  private readonly client: Client;

  constructor(opts: RedisCpsOptions) {
    // No offline queue: while Redis is away a command fails at once (503, Retry-After) instead of piling up.
    const common = {
      enableOfflineQueue: false,
      commandTimeout: opts.commandTimeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
    };
    this.client =
      opts.clusterNodes.length > 0
        ? new Cluster(
            opts.clusterNodes.map((n) => {
              const [host, port] = n.split(':');
              return { host: host!, port: Number(port) };
            }),
            // Not auto-pipelined: ioredis picks a cluster pipeline's slot from a command's first argument, which for
            // a script is its SHA, not its key (redis/ioredis#2109: "All keys in the pipeline should belong to the
            // same slots allocation group"). Each request is still one script: one round trip.
            { enableOfflineQueue: false, clusterRetryStrategy: common.retryStrategy, redisOptions: common },
          )
        : // Auto-pipelining: the scripts of every request in one event-loop turn go out in one socket write (and their
          // answers come back in one read), instead of a write and a read per request.
          new Redis(opts.url ?? 'redis://127.0.0.1:6379', { ...common, enableAutoPipelining: true });
    // EVALSHA after the first call (ioredis falls back to EVAL when a node has not seen the script, e.g. after a restart).
    this.client.defineCommand('cpsPut', { numberOfKeys: 2, lua: PUT_SCRIPT });
    this.client.defineCommand('cpsGet', { numberOfKeys: 2, lua: GET_SCRIPT });
    this.client.defineCommand('cpsHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    let up = false;
    this.client.on('ready', () => {
      if (!up) opts.onState?.('up');
      up = true;
    });
    this.client.on('error', (err: Error) => {
      if (up) opts.onState?.('down', err);
      up = false;
    });
    this.client.on('end', () => undefined);
  }

  /** Resolves true once connected, false if not within `timeoutMs` (the node then starts and answers 503 until it is). */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.client.once('ready', onReady);
    });
  }

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw new CpsStoreUnavailable(`redis ${what}: ${(e as Error).message}`, { cause: e });
    }
  }

  private get scripts(): Scripts {
    return this.client as unknown as Scripts;
  }

  put(key: CallKey, passports: readonly string[], expiresAtMs: number, nowMs: number, once: OnceMark): Promise<boolean> {
    const call = callKey(key);
    return this.run('put', async () => (await this.scripts.cpsPut(call, `${call}:jti:${once.id}`, nowMs, expiresAtMs, once.ttlMs, ...passports)) >= 0);
  }

  get(key: CallKey, nowMs: number, once: OnceMark): Promise<string[] | undefined> {
    const call = callKey(key);
    return this.run('get', async () => {
      const res = await this.scripts.cpsGet(call, `${call}:jti:${once.id}`, nowMs, once.ttlMs);
      return typeof res === 'number' ? undefined : res;
    });
  }

  hit(bucket: string, nowMs: number): Promise<number> {
    return this.run('rate', () => this.scripts.cpsHit(`cps:rl:{${bucket}}:${Math.floor(nowMs / 1000)}`));
  }

  ping(): Promise<void> {
    return this.run('ping', async () => {
      await this.client.ping();
    });
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
