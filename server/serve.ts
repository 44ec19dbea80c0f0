import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { isShakenError } from './core/errors.js';
import { systemClock } from './core/ports.js';
import { resolvePublicUrl } from './config/load.js';
import type { Config } from './config/schema.js';
import { openKeyStores, type KeyStores } from './key-stores.js';
import { ensureDemoAccount, type DemoSetup } from './manage/demo.js';
import { dashboardBanner } from './dashboard-banner.js';
import { releaseSharedPasswordHasher } from './dashboard/password-hasher.js';
import { serveClusterMetrics } from './metrics/prometheus-cluster.js';
import { shellQuote } from './shell-quote.js';
import { storeOptions } from './config/store-options.js';
import { openStore } from './store/open-store.js';
import { announceToWorkers, relayClusterChanges } from './store/cluster-changes.js';
import type { Store } from './store/store.js';

/**
 * The start banner, for a person at a terminal. Standard output also carries the JSON log, so the one-time
 * demo API key appears only when it is a terminal (`tty`); otherwise the banner names the 0600 file that holds
 * the key and its curl command reads it from there, so the quick start works either way.
 */
function banner(publicUrl: string, grpc: string | undefined, sip: string | undefined, demo: DemoSetup | undefined, tty: boolean): string {
  const lines = [`shakenstack is listening on ${publicUrl}`];
  if (grpc) lines.push(`gRPC (shakenstack.v1) on ${grpc}`);
  if (sip) lines.push(`SIP redirect server on ${sip}`);
  if (demo) {
    lines.push(
      '',
      `Created demo account "${demo.accountName}" with a test-PKI certificate, published at`,
      `  ${demo.x5u}`,
      `(trust anchor for verifiers: ${demo.pkiDir}/root.pem)`,
      '',
      ...(tty
        ? ['API key (shown only now; keep it):', `  ${demo.apiKey}`, `(also in ${demo.apiKeyFile}, mode 0600: delete it once the key is kept elsewhere)`]
        : [`API key: in ${demo.apiKeyFile} (mode 0600). Not shown here: this output is not a terminal and may be a log.`]),
      '',
      `SIP from 127.0.0.1 and ::1 belongs to "${demo.accountName}": an INVITE to the redirect server gets a signed 302.`,
      '',
      'Sign a call:',
      `  curl -s -X POST ${publicUrl}/api/stir-shaken/sign \\`,
      tty
        ? `    -H 'Authorization: Bearer ${demo.apiKey}' -H 'Content-Type: application/json' \\`
        : `    -H "Authorization: Bearer $(cat ${shellQuote(demo.apiKeyFile)})" -H 'Content-Type: application/json' \\`,
      `    -d '{"orig":{"tn":"14045266060"},"dest":{"tn":["18001234567"]},"attest":"A"}'`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The log names where the demo key is, never the key. */
function logDemoKey(logger: Logger, demo: DemoSetup | undefined): void {
  if (demo) logger.info({ account: demo.accountName, file: demo.apiKeyFile }, 'created the demo account; its API key is in this file (mode 0600), never in the log');
}

/**
 * Runs the demo bootstrap once per data set; another node winning the race is not an error. It reuses the
 * caller's store: two handles on one SQLite file in one process can wait on each other forever.
 */
async function bootstrapDemo(config: Config, publicUrl: string, store: Store, keys: KeyStores): Promise<DemoSetup | undefined> {
  if (!config.demo) return undefined;
  try {
    return await ensureDemoAccount({ store, software: keys.software, keys: keys.router, publicUrl, dataDir: config.dataDir, nowMs: systemClock.now() });
  } catch (e) {
    if (isShakenError(e) && e.code === 'ERR_REQ_CONFLICT') return undefined;
    throw e;
  }
}

/**
 * Runs `handler` on the first SIGTERM/SIGINT and swallows later ones: Ctrl-C reaches a cluster's primary and
 * workers alike, and the primary then forwards SIGTERM; a second signal must not kill a worker mid-flush.
 */
function onShutdownSignal(handler: (signal: string) => void): void {
  let started = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (started) return;
      started = true;
      handler(signal);
    });
  }
}

async function serveSingle(config: Config, logger: Logger): Promise<void> {
  // Loaded here, not at the top: a cluster primary never serves, and the service's modules (fastify, gRPC, SIP,
  // the dashboard) cost it about 45 MB of RSS it would keep for its whole life (docs/performance.md).
  const { startNode } = await import('./node.js');
  const node = await startNode(config, logger);
  onShutdownSignal((signal) => {
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
  if (cluster.isWorker) {
    // The primary owns the demo bootstrap and the banner; a worker whose primary is gone must not linger.
    cluster.worker!.on('disconnect', () => void node.close().then(() => process.exit(0)));
    return;
  }
  // The node is serving by now: a store that fails here costs the demo account or the banner, not the process.
  const demo = await bootstrapDemo(config, node.publicUrl, node.store, node.keys).catch((err: unknown) => {
    logger.error({ err }, 'demo bootstrap failed; the node serves without it');
    return undefined;
  });
  logDemoKey(logger, demo);
  logger.info({ url: node.publicUrl }, 'listening');
  const sip = node.sipPort === undefined ? undefined : `udp+tcp ${config.sip.host}:${node.sipPort} (${config.sip.mode})`;
  const tty = process.stdout.isTTY === true;
  process.stdout.write(banner(node.publicUrl, node.grpcPort === undefined ? undefined : `${config.grpc.host}:${node.grpcPort}`, sip, demo, tty));
  process.stdout.write(
    await dashboardBanner(config, node.store, node.publicUrl, { tty, logger }).catch((err: unknown) => {
      logger.error({ err }, 'dashboard first-user setup failed; it is retried at the next start');
      return '';
    }),
  );
}

async function servePrimary(config: Config, logger: Logger): Promise<void> {
  // Migrations run once here, before any worker opens the store; the primary keeps it only for the demo.
  const store = await openStore(storeOptions(config));
  let shuttingDown = false;
  const restarts: number[] = [];
  // SIP transactions live in one process's memory, so one worker serves SIP; its replacement takes it over.
  const sipWorkers = new Set<number>();
  const fork = (servesSip: boolean): Worker => {
    const worker = cluster.fork(servesSip ? {} : { SHAKENSTACK_SIP: 'false' });
    if (servesSip) sipWorkers.add(worker.id);
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    if (shuttingDown) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length && restarts[0]! < now - 60_000) restarts.shift();
    logger.error({ pid: worker.process.pid, code, signal }, 'worker exited');
    // 78 (EX_CONFIG): the worker refused the configuration (see cli/main.ts); its replacement would too.
    if (code === 78) {
      logger.fatal('a worker refused the configuration; stopping');
      process.exit(78);
    }
    if (restarts.length > 5) {
      logger.fatal('workers keep exiting; giving up');
      process.exit(1);
    }
    fork(sipWorkers.delete(worker.id));
  });
  // /metrics on any worker answers for the whole node: the primary collects every worker's counters.
  serveClusterMetrics();
  // A change made through one worker reaches the others at once, not at their next poll.
  relayClusterChanges();
  const firstListening = new Promise<number>((resolve) => cluster.once('listening', (_w, address) => resolve(address.port)));
  for (let i = 0; i < config.workers; i++) fork(i === 0 && config.sip.enabled);
  const port = await firstListening;
  const publicUrl = resolvePublicUrl(config, port);
  let demo: DemoSetup | undefined;
  let dashboard = '';
  try {
    demo = await bootstrapDemo(config, publicUrl, store, await openKeyStores(config, store));
    if (demo) announceToWorkers();
    dashboard = await dashboardBanner(config, store, publicUrl, { tty: process.stdout.isTTY === true, logger });
  } catch (err) {
    // The workers are serving by now: a store that fails here costs the demo account or the banner, not the node.
    logger.error({ err }, 'demo bootstrap or dashboard first-user setup failed; the node serves without it');
  } finally {
    await store.close().catch(() => undefined);
    await releaseSharedPasswordHasher();
  }
  logDemoKey(logger, demo);
  logger.info({ url: publicUrl, workers: config.workers }, 'listening');
  // Workers bind gRPC; the primary knows only the configured port (0 means each start picks one).
  const sip = config.sip.enabled && config.sip.port !== 0 ? `udp+tcp ${config.sip.host}:${config.sip.port} (${config.sip.mode}, first worker)` : undefined;
  process.stdout.write(banner(publicUrl, config.grpc.enabled && config.grpc.port !== 0 ? `${config.grpc.host}:${config.grpc.port}` : undefined, sip, demo, process.stdout.isTTY === true));
  process.stdout.write(dashboard);

  onShutdownSignal((signal) => {
    shuttingDown = true;
    logger.info({ signal }, 'shutting down workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    let left = workers.length;
    if (left === 0) process.exit(0);
    for (const w of workers) {
      w.once('exit', () => {
        if (--left === 0) process.exit(0);
      });
      w.process.kill('SIGTERM');
    }
    setTimeout(() => {
      logger.error('workers did not stop in time');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
  });
}

/** `shakenstack serve`: one process, or a primary with `workers` HTTP workers sharing the port. */
export function serve(config: Config, logger: Logger): Promise<void> {
  return config.workers > 1 && cluster.isPrimary ? servePrimary(config, logger) : serveSingle(config, logger);
}
