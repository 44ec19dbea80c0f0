import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';

/** A real redis-server (Debian's `redis-server`) on 127.0.0.1, no persistence, stopped by its PID. */
export interface RedisProcess {
  port: number;
  url: string;
  pid: number;
  /** kill -9, as a crashed node would go. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port }, () => sock.write('PING\r\n'));
    sock.setTimeout(500, () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('data', (d) => {
      sock.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    sock.once('error', () => resolve(false));
  });
}

export async function waitForRedis(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await pingOnce(port))) {
    if (Date.now() > until) throw new Error(`redis-server on ${port} did not answer PING`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedis(port: number, extraArgs: string[] = []): Promise<RedisProcess> {
  const dir = `/tmp/cps/redis-${port}`;
  await mkdir(dir, { recursive: true });
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForRedis(port);
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    kill: () => end('SIGKILL'),
    async stop() {
      await end('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis Cluster of `ports.length` masters (no replicas), all slots assigned, made with `redis-cli --cluster create`. */
export async function startRedisCluster(ports: readonly number[]): Promise<{ nodes: RedisProcess[]; seeds: string; stop(): Promise<void> }> {
  const nodes = await Promise.all(ports.map((p) => startRedis(p, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'])));
  await redisCli(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
  // `create` returns once slots are assigned; every node must agree before clients are pointed at it.
  for (const p of ports) {
    for (let i = 0; ; i++) {
      if ((await redisCli(['-p', String(p), 'cluster', 'info'])).includes('cluster_state:ok')) break;
      if (i > 100) throw new Error(`cluster node ${p} never reached cluster_state:ok`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { nodes, seeds: ports.map((p) => `127.0.0.1:${p}`).join(','), stop: async () => void (await Promise.all(nodes.map((n) => n.stop()))) };
}

/** Runs redis-cli against 127.0.0.1; resolves its standard output, rejects on a non-zero exit. */
export function redisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-h', '127.0.0.1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-cli ${args.join(' ')}: exit ${code}: ${err || out}`))));
  });
}
