import net from 'node:net';

/**
 * What the proxy does with traffic:
 * - `pass`: forwards both ways;
 * - `refuse`: the port is closed (connects fail with ECONNREFUSED) and open connections are reset;
 * - `reset`: open connections are reset, new ones are accepted and reset at once;
 * - `blackhole`: connections stay open (new ones are accepted) but nothing is forwarded either way, as when a
 *   firewall starts dropping packets: only timeouts notice.
 */
export type ProxyMode = 'pass' | 'refuse' | 'reset' | 'blackhole';

export interface TcpProxy {
  /** The loopback port clients connect to; it stays the same across `refuse` and back. */
  readonly port: number;
  readonly mode: ProxyMode;
  /** Connections currently open through the proxy. */
  readonly open: number;
  /** `url` with its host and port replaced by the proxy's (for PostgreSQL or Redis URLs). */
  rewrite(url: string): string;
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL, Redis), which a test switches between
 * passing, refusing, resetting and blackholing traffic: faults of the real network kinds, on loopback only.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass';
  const pairs = new Set<Pair>();
  let server: net.Server | undefined;
  let port = 0;

  const reset = (p: Pair) => {
    p.client.resetAndDestroy();
    p.upstream.resetAndDestroy();
    pairs.delete(p);
  };

  const onConnection = (client: net.Socket) => {
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    // Data is forwarded only while passing; in a blackhole it is read and thrown away, as a dropped packet.
    client.on('data', (chunk) => {
      if (mode === 'pass') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (mode === 'pass') client.write(chunk);
    });
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const unlisten = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  await listen();
  return {
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    get open() {
      return pairs.size;
    },
    rewrite(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async setMode(next: ProxyMode) {
      mode = next;
      if (next === 'refuse' || next === 'reset') for (const p of [...pairs]) reset(p);
      if (next === 'refuse') await unlisten();
      else if (!server) await listen();
    },
    async close() {
      for (const p of [...pairs]) reset(p);
      await unlisten();
    },
  };
}
