import { Cluster, Redis } from 'ioredis';
import { CpsStoreUnavailable, type CallKey, type CpsStore } from '../core/cps/cps-ports.js';

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
 * Keys. The braces are Redis Cluster hash tags (cluster-spec "Hash tags"): the set of a call and its writes stay
 * on one shard, so the Lua script below touches one slot.
 *   cps:{<dest>:<orig>}         sorted set: PASSporT -> expiry (ms); the key itself expires with its last member
 *   cps:rl:{<bucket>}:<second>  INCR counter, expires after 2 s
 *   cps:jti:{<spc>:<jti>}       replay mark, SET NX PX
 */
const PUT_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i]) end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return #ARGV - 2`;

function callKey(k: CallKey): string {
  return `cps:{${k.destTn}:${k.origTn}}`;
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
            { enableOfflineQueue: false, clusterRetryStrategy: common.retryStrategy, redisOptions: common },
          )
        : new Redis(opts.url ?? 'redis://127.0.0.1:6379', common);
    // EVALSHA after the first call (ioredis falls back to EVAL when a node has not seen the script, e.g. after a restart).
    this.client.defineCommand('cpsPut', { numberOfKeys: 1, lua: PUT_SCRIPT });
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

  put(key: CallKey, passports: readonly string[], expiresAtMs: number, nowMs: number): Promise<void> {
    return this.run('put', async () => {
      await (this.client as unknown as { cpsPut(...args: (string | number)[]): Promise<number> }).cpsPut(callKey(key), nowMs, expiresAtMs, ...passports);
    });
  }

  get(key: CallKey, nowMs: number): Promise<string[]> {
    // Exclusive lower bound: a PASSporT whose expiry is now is gone, as PEXPIREAT would have it.
    return this.run('get', () => this.client.zrangebyscore(callKey(key), `(${nowMs}`, '+inf'));
  }

  hit(bucket: string, nowMs: number): Promise<number> {
    const key = `cps:rl:{${bucket}}:${Math.floor(nowMs / 1000)}`;
    return this.run('rate', async () => {
      const res = await this.client.multi().incr(key).pexpire(key, 2000).exec();
      const err = res?.find(([e]) => e)?.[0];
      if (!res || err) throw err ?? new Error('transaction aborted');
      return res[0]![1] as number;
    });
  }

  claimOnce(id: string, ttlMs: number): Promise<boolean> {
    return this.run('replay', async () => (await this.client.set(`cps:jti:{${id}}`, '1', 'PX', ttlMs, 'NX')) === 'OK');
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
