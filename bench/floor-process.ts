import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TreeSampler } from './process-tree.js';
import type { BenchContext } from './scenario.js';

export interface FloorProcess {
  port: number;
  /** The floor's own temp folder (its key files; a kept floor's store and journal): removed by `stop`. */
  dir: string;
  /** The key pair made for this floor: the bench signs or checks with it. */
  privateKey: KeyObject;
  publicKey: KeyObject;
  child: ChildProcess;
  /** The floor's process, with its descendants when it forks (a cluster). */
  sampler: TreeSampler;
  /** Kills the floor (and what it forked) and removes its files; safe to call twice. */
  stop(): void;
}

export interface FloorSpec {
  /** The built floor server, relative to dist/bench/ (e.g. `node-floor-server.js`). */
  script: string;
  /** A free port of the kind the floor listens on. */
  port: () => Promise<number>;
  /** The floor's arguments, given the PEM files of its fresh key pair (the private one mode 0600) and its folder. */
  args: (files: { privateKeyPath: string; publicKeyPath: string; dir: string }, port: number) => string[];
  /** Sample (and kill) the floor's children too: a floor that forks workers. */
  forks?: boolean;
}

/**
 * Starts one of the bench's floor servers the way every floor starts: a fresh P-256 key pair in a temp folder the
 * run cleans up, the built script on a free port, its pid tracked and sampled. `ready` checks one real answer
 * before any figure is taken; if it throws, the floor is stopped and the error passed on.
 */
export async function startFloorProcess(ctx: BenchContext, spec: FloorSpec, ready: (floor: FloorProcess) => Promise<void>): Promise<FloorProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-floor-'));
  ctx.cleanup.trackDir(dir);
  let sampler: TreeSampler | undefined;
  let pid: number | undefined;
  const stop = () => {
    sampler?.stop();
    for (const p of sampler?.pids ?? (pid === undefined ? [] : [pid])) {
      ctx.cleanup.signal(p, 'SIGKILL');
      ctx.cleanup.untrackPid(p);
    }
    ctx.cleanup.removeDir(dir);
  };
  try {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateKeyPath = join(dir, 'key.pem');
    const publicKeyPath = join(dir, 'pub.pem');
    writeFileSync(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }));
    const port = await spec.port();
    const script = fileURLToPath(new URL(spec.script, import.meta.url));
    const child = spawn(process.execPath, [script, ...spec.args({ privateKeyPath, publicKeyPath, dir }, port)], { stdio: ['ignore', 'ignore', 'inherit'] });
    pid = child.pid!;
    ctx.cleanup.trackPid(pid);
    sampler = new TreeSampler(pid, 250, { descendants: spec.forks === true, onPid: (p) => ctx.cleanup.trackPid(p) });
    const floor = { port, dir, privateKey, publicKey, child, sampler, stop };
    await ready(floor);
    return floor;
  } catch (e) {
    stop();
    throw e;
  }
}
