import cluster from 'node:cluster';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CertificatePublisher } from './core/certificate-publisher.js';
import { systemClock, type Clock } from './core/ports.js';
import { createSigningService, type SigningService } from './core/sign-service.js';
import { createRoutingService } from './core/routing-service.js';
import { resolvePublicUrl } from './config/load.js';
import type { Config } from './config/schema.js';
import { storeOptions } from './config/store-options.js';
import { serverCredentials, serverOptions } from './grpc/listen-options.js';
import { listenGrpc, type GrpcListener } from './grpc/listener.js';
import { buildGrpcServer, type GrpcAdapter } from './grpc/server.js';
import { buildHttpApp } from './http/app.js';
import { withSourceDialects } from './core/call/call-dialect.js';
import { createCallService } from './core/call/call-service.js';
import { sipCallPolicy } from './sip/invite-call.js';
import { RedirectHandler } from './sip/redirect-handler.js';
import { startSipServer, type SipServer } from './sip/sip-server.js';
import { startThreadedSipServer } from './sip/threaded-sip-server.js';
import type { RefusedReason } from './net/connection-guard.js';
import { createConfiguredVerifier, signatureCheckPlace } from './verify-fetch/node-verifier.js';
import { SignatureThread } from './verify-fetch/signature-thread.js';
import { createAdminCheck } from './manage/admin-auth.js';
import { openKeyStores, type KeyStores } from './key-stores.js';
import { mountOperatorRoutes } from './operator-routes.js';
import { fanOutSink, RequestMetrics } from './metrics/request-metrics.js';
import { PrometheusMetrics } from './metrics/prometheus.js';
import { startRcdRefresh } from './manage/rcd-refresh.js';
import { clusterMetricsClient } from './metrics/prometheus-cluster.js';
import { startDashboardJobs } from './dashboard/background.js';
import { createInsights } from './dashboard/insights.js';
import { createReadiness, watchReadiness, type ReadinessWatch } from './health/readiness.js';
import { watchChanges } from './store/change-watcher.js';
import { outageLog } from './store/outage-log.js';
import { shareClusterChanges } from './store/cluster-changes.js';
import { openStore } from './store/open-store.js';
import { ThreadedRequestLog } from './store/threaded-request-log.js';
import type { Store } from './store/store.js';
import { withTimeout } from './core/with-timeout.js';
import { mountCps } from './cps/mount-cps.js';
import { oobClientOptions, OobPublisher, OobRetriever } from './cps/oob-client.js';

export interface RunningNode {
  app: FastifyInstance;
  store: Store;
  keys: KeyStores;
  signing: SigningService;
  logWriter: ThreadedRequestLog;
  metrics: RequestMetrics;
  /** The base URL x5u links of this node start with. */
  publicUrl: string;
  port: number;
  /** Undefined when `grpc.enabled` is false. */
  grpc: GrpcServer | undefined;
  grpcPort: number | undefined;
  /** UDP and TCP port of the SIP redirect server; undefined when `sip.enabled` is false. */
  sipPort: number | undefined;
  /** Stop accepting, finish in-flight requests, flush the request log, close stores. Idempotent. */
  close(): Promise<void>;
}

/** What tests give a node besides its configuration. */
export interface NodeExtras {
  /** Extra TLS CAs for fetching x5u and RCD content (tests; in a lab NODE_EXTRA_CA_CERTS does the same). */
  tlsCa?: string | readonly string[];
}

/**
 * Stops the gRPC server: long-lived calls are ended first (health watchers, SignStreams once their items are
 * answered), then `tryShutdown` waits for unary calls; whatever is still open after `graceMs` is cancelled.
 */
async function stopGrpc(grpc: GrpcAdapter, listener: GrpcListener | undefined, graceMs: number): Promise<void> {
  // No new connection is accepted while the open ones drain.
  const stopped = listener?.close();
  const graceful = Promise.all([grpc.drain(), new Promise<void>((resolve) => grpc.server.tryShutdown(() => resolve()))]);
  if ((await withTimeout(graceful, graceMs, () => 'timeout' as const)) === 'timeout') grpc.server.forceShutdown();
  await stopped;
}

/**
 * One service process: open the store (migrations applied) and key stores, build the core and the HTTP and
 * gRPC adapters, then listen. Everything that can fail at start fails here, before a port is bound.
 */
export async function startNode(config: Config, logger: Logger, clock: Clock = systemClock, extras: NodeExtras = {}): Promise<RunningNode> {
  // TLS files are read and checked before anything is opened: a bad path is a configuration error.
  const grpcCredentials = config.grpc.enabled ? serverCredentials(config.grpc) : undefined;
  const store = await openStore(storeOptions(config));
  let keys: KeyStores;
  try {
    keys = await openKeyStores(config, store, logger);
  } catch (e) {
    await store.close();
    throw e;
  }
  // Writing the request log is SQLite/pg work on another thread: the event loop only hands records over.
  let logWriter: ThreadedRequestLog;
  try {
    logWriter = await ThreadedRequestLog.start(
      {
        store: storeOptions(config),
        dataDir: config.dataDir,
        flushIntervalMs: config.requestLog.flushIntervalMs,
        maxBatch: config.requestLog.maxBatch,
        storeTimeoutMs: config.requestLog.storeTimeoutMs,
        journalMaxBytes: config.requestLog.journalMaxBytes,
      },
      logger,
    );
  } catch (e) {
    await keys.router.close();
    await store.close();
    throw e;
  }
  // Every request the core finishes is counted by the metrics as it is logged: one path for every transport.
  const metrics = new RequestMetrics(clock);
  // Prometheus reads readiness at scrape time only, after `readiness` below exists.
  const prometheus = new PrometheusMetrics({ store, clock, readiness: { check: () => readiness.check() }, requestLog: () => logWriter.stats });
  const log = fanOutSink(logWriter, metrics, prometheus);
  // SBC heartbeats: recognised by the core, counted by Prometheus alone (docs/oracle-sbc.md#heartbeats).
  const hb = config.heartbeat;
  const heartbeats = hb.enabled ? { numbers: { orig: hb.origTn, dest: hb.destTn, div: hb.divTn }, sink: prometheus } : undefined;
  // Known before listening unless the port is 0 and no publicUrl is set (tests): then fixed up after listen below.
  let publicUrl = resolvePublicUrl(config, config.http.port);
  const stale = { cacheTtlMs: config.cacheTtlMs, cacheStaleIfErrorMs: config.cacheStaleIfErrorMs };
  // Out-of-band SHAKEN as a client (docs/out-of-band.md): signed PASSporTs copied to an STI-CPS after the answer.
  const oob = oobClientOptions(config.cpsClient, config.cacheTtlMs);
  let publisher: OobPublisher | undefined;
  const certificates = new CertificatePublisher(store, clock);
  const signing = createSigningService({ directory: store, keys: keys.router, clock, log, heartbeats, ...stale, publicUrl: () => publicUrl, onSigned: (s) => publisher?.signed(s), onCredentialLoaded: (c) => certificates.publish({ leaf: c.leaf, pem: c.chainPem }) });
  // Always with a CPS URL: which accounts publish is stored on each account and may change while the node runs.
  if (oob) publisher = new OobPublisher({ signing, directory: store, clock, logger, registry: prometheus.registry, options: oob });
  const retrieveAccount = config.cpsClient.retrieveAccount;
  const outOfBand = oob && retrieveAccount !== undefined ? new OobRetriever({ signing, accounts: store, clock, options: { ...oob, accountName: retrieveAccount } }) : undefined;
  // The dashboard's request-log scans: a thread of their own on the embedded engine, started by the first query.
  const insights = createInsights(store, config.dataDir, logger);
  const routing = createRoutingService({ signing, directory: store, clock, ...stale });
  const dropCaches = () => {
    signing.invalidate();
    publisher?.invalidate();
    certificates.invalidate();
    routing.invalidate();
  };
  // Changes made elsewhere are heard at the next poll; changes made on this node (admin API, dashboard) as they
  // commit, by the worker that made them and, through the primary, by its sibling workers.
  // A change heard as it commits is not heard again from the poll (watcher.handled): one change, one drop.
  const watcher = watchChanges(store, { intervalMs: config.changePollMs, log: outageLog(logger, 'change watcher'), onChange: dropCaches });
  const siblings = cluster.isWorker
    ? shareClusterChanges((version) => {
        dropCaches();
        if (version !== undefined) watcher.handled(version);
      })
    : undefined;
  const stopLocalChanges = store.onCommittedChange((version) => {
    dropCaches();
    watcher.handled(version);
    siblings?.announce(version);
  });
  // The software key store keeps its keys in the store, so the store probe covers it too; each PKCS#11 token has its own.
  // While the store is down the node signs from its caches for cacheStaleIfErrorMs, and stays in the load balancer
  // as long (`degraded`): every node shares the one store, so pulling them all would stop signing everywhere.
  const readiness = createReadiness({ store: () => store.ping(), ...keys.probes }, { graceMs: { store: config.cacheStaleIfErrorMs }, now: () => clock.now() });
  // With a core to spare beside this process's event loop, signatures are checked on a thread of their own.
  const signatures = signatureCheckPlace(config.workers) === 'thread' ? new SignatureThread() : undefined;
  // Same API keys as signing; trust anchors load here, so a bad verify.trustAnchors stops the node before it listens.
  const verifier = createConfiguredVerifier(config, {
    signatures,
    authenticator: signing.authenticator,
    sources: signing.sources,
    log,
    heartbeats,
    clock,
    tlsCa: extras.tlsCa,
    outOfBand,
    onTrustReloadError: (err) => logger.warn({ err }, 'verify.trustAnchors reload failed; keeping the previous anchors'),
  });
  const app = buildHttpApp({
    signing,
    routing,
    verifier,
    certificates,
    logger,
    bodyLimit: config.http.bodyLimit,
    connections: config.http,
    onConnectionRefused: (reason) => prometheus.connectionRefused('http', reason),
    readiness,
  });
  mountOperatorRoutes(app, {
    admin: { store, checkAdmin: createAdminCheck(config.adminToken), rcdContent: { fetcher: verifier.fetcher, clock } },
    dashboard: config.dashboard.enabled ? { store, keys, clock, logger, config, insights, rcdContent: { fetcher: verifier.fetcher, clock } } : undefined,
    metrics: {
      // A cluster worker answers for the whole node: the primary sums every worker's registry.
      collect: cluster.isWorker ? clusterMetricsClient(prometheus.registry) : () => prometheus.metrics(),
      contentType: prometheus.contentType,
      token: config.metrics.token,
    },
  });
  // Out-of-band SHAKEN (docs/out-of-band.md): request tokens are judged by the same verifier, PASSporTs kept in Redis.
  const cps = config.cps.enabled ? await mountCps(app, { config, verifier, clock, logger, publicUrl: () => publicUrl }) : undefined;
  const dashboardJobs = startDashboardJobs({ store, clock, logger, config });
  const rcdRefresh = startRcdRefresh({ store, deps: { fetcher: verifier.fetcher, clock }, logger, refreshIntervalMs: config.rcd.refreshIntervalMs, onOutcome: (o) => prometheus.rcdRefreshed(o) });
  let readinessWatch: ReadinessWatch | undefined;
  let grpc: GrpcAdapter | undefined;
  let grpcListener: GrpcListener | undefined;
  if (config.grpc.enabled) {
    readinessWatch = watchReadiness(readiness, config.grpc.healthIntervalMs);
    grpc = buildGrpcServer({ signing, verifier, metrics, readiness: readinessWatch, logger, options: serverOptions(config.grpc) });
  }

  let sip: SipServer | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      watcher.stop();
      stopLocalChanges();
      siblings?.stop();
      dashboardJobs.stop();
      rcdRefresh.stop();
      // Every listener stops at once. HTTP must not wait for the SIP thread to end: with HTTP requests in flight,
      // an app.close() begun after the SIP thread's close (tens of ms) left a cluster worker's HTTP server open
      // until the shutdown timer in about a third of the runs of the graceful-shutdown test; begun together, none.
      // gRPC gets half the shutdown budget, so the request-log flush below still has time before serve's own
      // timer fires. insights.close() fails in-flight dashboard queries at once, so app.close() does not wait for them.
      await Promise.all([sip?.close(), insights.close(), app.close(), grpc && stopGrpc(grpc, grpcListener, Math.floor(config.shutdownTimeoutMs / 2))]);
      readinessWatch?.stop();
      await signatures?.close();
      // After the listeners have drained, every completed request has handed its record to the writer.
      await logWriter.close(Math.floor(config.shutdownTimeoutMs / 4));
      await cps?.close();
      await keys.router.close();
      await store.close();
    })());

  let grpcPort: number | undefined;
  try {
    // HTTP first: with cluster workers, serve.ts takes the first 'listening' port it hears of as the HTTP one.
    // Every credential is checked before the port opens (key found, matching its certificate, valid now): a
    // broken one is named in the log at start, and its account is refused with 409/503, never a bad token.
    for (const { accountId, error } of await signing.preload((await store.listAccounts()).map((a) => a.id))) {
      logger.error({ accountId, code: error.code, reason: error.reason }, 'account cannot sign: its credential was refused at start');
    }
    await certificates.preload();
    await app.listen({ host: config.http.host, port: config.http.port });
    const bound = app.server.address();
    const boundUrl = resolvePublicUrl(config, typeof bound === 'object' && bound ? bound.port : config.http.port);
    // Credentials preloaded with port 0 in their hosted x5u are loaded again, before any request is read.
    if (boundUrl !== publicUrl) {
      publicUrl = boundUrl;
      signing.invalidate();
    }
    if (grpc) {
      // Health answers from the first probe on, never a premature NOT_SERVING.
      await readinessWatch!.first;
      const g = config.grpc;
      grpcListener = await listenGrpc(grpc.server, grpcCredentials!, {
        host: g.host,
        port: g.port,
        maxConnections: g.maxConnections,
        maxConnectionsPerSource: g.maxConnectionsPerSource,
        handshakeTimeoutMs: g.handshakeTimeoutMs,
        onRefused: (reason) => prometheus.connectionRefused('grpc', reason),
      });
      grpcPort = grpcListener.port;
    }
    if (config.sip.enabled) {
      const s = config.sip;
      const calls = withSourceDialects(createCallService({ signing, routing, verifier, policy: sipCallPolicy(s) }), signing.sources);
      const handlerOptions = { mode: s.mode, onSignFailure: s.onSignFailure, reasonProtocol: s.reasonProtocol, maxPending: s.maxPending, maxTransactions: s.maxTransactions, limits: { maxMessageBytes: s.maxMessageBytes, maxHeaders: 100 } };
      const serverOptions = {
        host: s.host,
        port: s.port,
        maxMessageBytes: s.maxMessageBytes,
        maxConnections: s.maxConnections,
        maxConnectionsPerSource: s.maxConnectionsPerSource,
        idleTimeoutMs: s.idleTimeoutMs,
        messageTimeoutMs: s.messageTimeoutMs,
        onConnectionRefused: (reason: RefusedReason) => prometheus.connectionRefused('sip', reason),
      };
      sip =
        s.thread === 'worker'
          ? await startThreadedSipServer(calls, handlerOptions, serverOptions, logger)
          : await startSipServer(new RedirectHandler({ calls, logger }, handlerOptions), serverOptions, logger);
    }
  } catch (e) {
    await close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  return { app, store, keys, signing, logWriter, metrics, publicUrl, port, grpc: grpc?.server, grpcPort, sipPort: sip?.port, close };
}
