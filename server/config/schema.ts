/**
 * Every setting, its default, the environment variable that sets it and how it is checked. The settings
 * table in docs/configuration.md is generated from the same facts (see test/config) and must stay in step.
 */
export interface Config {
  dataDir: string;
  http: {
    host: string;
    port: number;
    bodyLimit: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxRequestsPerConnection: number;
    maxConnections: number;
    maxConnectionsPerSource: number;
  };
  grpc: {
    enabled: boolean;
    host: string;
    port: number;
    /** PEM file paths; cert and key together turn TLS on, clientCa makes it mutual. */
    tls: { cert: string | undefined; key: string | undefined; clientCa: string | undefined };
    keepaliveTimeMs: number;
    keepaliveTimeoutMs: number;
    maxConnectionAgeMs: number;
    maxConnectionAgeGraceMs: number;
    healthIntervalMs: number;
    maxConcurrentStreams: number;
    maxReceiveMessageBytes: number;
    maxSendMessageBytes: number;
    maxConnectionIdleMs: number;
    maxConnections: number;
    maxConnectionsPerSource: number;
    handshakeTimeoutMs: number;
  };
  /** Base URL under which this service is reachable; the x5u URLs it hosts start with it. */
  publicUrl: string | undefined;
  store: { engine: 'embedded' | 'postgres'; url: string | undefined; poolSize: number; connectTimeoutMs: number; queryTimeoutMs: number };
  /** 32-byte key for the software key store (hex or base64); when unset, `<dataDir>/master.key` is used. */
  masterKey: string | undefined;
  /** Always set after loading (defaults to `<dataDir>/master.key`). */
  masterKeyFile: string;
  /** PKCS#11 key store; enabled when `module` is set. `tokens` is a comma-separated list of token labels. */
  pkcs11: { module: string | undefined; tokens: string | undefined; pin: string | undefined; pinFile: string | undefined; sessions: number };
  /** Worker processes (HTTP and gRPC); 1 runs in-process, more uses node:cluster. */
  workers: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  requestLog: { flushIntervalMs: number; maxBatch: number; retentionDays: number; journalMaxBytes: number; storeTimeoutMs: number };
  cacheTtlMs: number;
  /** How long past `cacheTtlMs` a cached account, credential or key is still used while the store is unavailable. */
  cacheStaleIfErrorMs: number;
  changePollMs: number;
  /** Bearer token of the admin API (`/api/admin/...`); the admin API is off while unset. */
  adminToken: string | undefined;
  /** Create a demo account with a test-PKI credential on first start when there are no accounts. */
  demo: boolean;
  /** Verification (STI-VS): trust anchors, freshness, fetch limits, revocation policy. */
  verify: {
    trustAnchors: string | undefined;
    trustReloadMs: number;
    maxAgeSec: number;
    /** Labs only: x5u over http (the scheme rule). CRL distribution points may be http regardless. */
    allowHttpX5u: boolean;
    /** Labs only: x5u and CRLs from loopback, private and special-purpose addresses (the address rule). */
    allowPrivateAddresses: boolean;
    /** @deprecated As set; the loader has already turned the two switches above on when it is true. Read those. */
    allowInsecureX5u: boolean;
    fetchTimeoutMs: number;
    fetchMaxBytes: number;
    crlPolicy: 'soft-fail' | 'hard-fail' | 'off';
  };
  /** The management dashboard at /dashboard/ (issue 7). */
  dashboard: {
    enabled: boolean;
    sessionTtlMs: number;
    sessionMaxMs: number;
    expiryWebhookUrl: string | undefined;
    assetsDir: string | undefined;
    /** Worker threads hashing and checking passwords, off the libuv pool signing uses. */
    passwordThreads: number;
    /** Logins in progress (waiting for or in a password check) per process; more get 503 at once. */
    loginMaxPending: number;
    /** Logins per minute per client address (token bucket, in memory per process); 0 turns it off. */
    loginRatePerMinute: number;
  };
  /** `GET /metrics` (Prometheus); open while `token` is unset. */
  metrics: { token: string | undefined };
  /** The SIP redirect server (issue 5): INVITE in, 302 with Identity (or verstat) out, on UDP and TCP. */
  sip: {
    enabled: boolean;
    host: string;
    port: number;
    mode: 'sign' | 'verify';
    onSignFailure: 'redirect' | 'reject' | '603' | '404';
    maxDateSkewSec: number;
    onVerifyFailure: 'continue' | 'reject';
    reasonProtocol: 'SIP' | 'STIR';
    requireIdentity: boolean;
    maxPending: number;
    maxTransactions: number;
    maxMessageBytes: number;
    maxConnections: number;
    maxConnectionsPerSource: number;
    idleTimeoutMs: number;
    messageTimeoutMs: number;
    /** `worker`: the SIP work (sockets, parsing, transactions, answers) on a thread of its own; `main`: on the event loop. */
    thread: 'main' | 'worker';
  };
  /** SBC heartbeats (docs/oracle-sbc.md): the dummy numbers recognised, answered as calls, kept out of the request log. */
  heartbeat: { enabled: boolean; origTn: string; destTn: string; divTn: string };
  /** Branded calls (docs/branded-calls.md): how old a profile's fetched logo or jCard may grow before it is fetched again. */
  rcd: { refreshIntervalMs: number };
  /** This node as an STI-CPS (docs/out-of-band.md): /cps/ on the HTTP listener, PASSporTs in Redis. */
  cps: {
    enabled: boolean;
    redisUrl: string;
    /** Comma-separated `host:port` seeds of a Redis Cluster; when set, `redisUrl` is not used. */
    redisClusterNodes: string | undefined;
    redisTimeoutMs: number;
    audience: string | undefined;
    ttlSec: number;
    maxExpSec: number;
    maxPassports: number;
    maxPassportChars: number;
    maxBodyBytes: number;
    publishRatePerSec: number;
    retrieveRatePerSec: number;
    /** Comma-separated SPCs allowed to retrieve; unset: any provider with a trusted STI certificate. */
    retrievers: string | undefined;
  };
  /** This node as a client of an STI-CPS: signed PASSporTs published, verifications without Identity retrieving. */
  cpsClient: {
    url: string | undefined;
    mechanism: 'atis-1000096' | 'atis-1000105';
    audience: string | undefined;
    publishAccounts: string | undefined;
    destPrefixes: string | undefined;
    expSec: number;
    timeoutMs: number;
    maxPending: number;
    retrieveAccount: string | undefined;
  };
  shutdownTimeoutMs: number;
}

export type SettingKind = 'string' | 'port' | 'int' | 'bool' | 'enum' | 'url' | 'workers' | 'tn';

export interface Setting {
  /** Dotted path in the config object and the JSON config file. */
  path: string;
  env: string;
  kind: SettingKind;
  values?: readonly string[];
  /** Default, or a function of the settings resolved before it. */
  default: unknown;
  secret?: boolean;
  /** Set for a setting kept only for old configurations: what to do instead, said in the warning when it is used. */
  deprecated?: string;
  doc: string;
}

export const SETTINGS: readonly Setting[] = [
  { path: 'dataDir', env: 'SHAKENSTACK_DATA_DIR', kind: 'string', default: './data', doc: 'Folder for the embedded database, the master key file and the demo PKI. Created 0700, its files 0600 whatever the umask; a folder or database file found open to others is tightened, with a warning.' },
  { path: 'http.host', env: 'SHAKENSTACK_HOST', kind: 'string', default: '127.0.0.1', doc: 'Address the HTTP API listens on (`0.0.0.0` for all interfaces).' },
  { path: 'http.port', env: 'SHAKENSTACK_PORT', kind: 'port', default: 8080, doc: 'HTTP port (0 picks a free one).' },
  { path: 'http.bodyLimit', env: 'SHAKENSTACK_BODY_LIMIT', kind: 'int', default: 16384, doc: 'Largest request body in bytes; larger gets 413.' },
  { path: 'http.headersTimeoutMs', env: 'SHAKENSTACK_HTTP_HEADERS_TIMEOUT_MS', kind: 'int', default: 10000, doc: 'A request whose headers have not all arrived this long after it began is answered 408 and its connection closed (also a new connection that sends nothing). At most `http.requestTimeoutMs`; 0 = no limit.' },
  { path: 'http.requestTimeoutMs', env: 'SHAKENSTACK_HTTP_REQUEST_TIMEOUT_MS', kind: 'int', default: 30000, doc: 'A request whose headers and body have not all arrived this long after it began is answered 408 and its connection closed, however steadily it trickles. Raise it for large admin CSV uploads over slow links (or use the CLI import). 0 = no limit.' },
  { path: 'http.keepAliveTimeoutMs', env: 'SHAKENSTACK_HTTP_KEEPALIVE_TIMEOUT_MS', kind: 'int', default: 72000, doc: 'An idle keep-alive connection is closed after this long without a new request (above the 60 s idle timeout of common load balancers).' },
  { path: 'http.maxRequestsPerConnection', env: 'SHAKENSTACK_HTTP_MAX_REQUESTS_PER_CONNECTION', kind: 'int', default: 0, doc: 'Requests served on one keep-alive connection; the last answer says `Connection: close` and the client reconnects (spreads clients over nodes behind a balancer). 0 = no limit.' },
  { path: 'http.maxConnections', env: 'SHAKENSTACK_HTTP_MAX_CONNECTIONS', kind: 'int', default: 4096, doc: 'Open HTTP connections per process at most; a connection beyond it is reset at once. Keep the sum over listeners below the open-file limit (`ulimit -n`). 0 = no cap.' },
  { path: 'http.maxConnectionsPerSource', env: 'SHAKENSTACK_HTTP_MAX_CONNECTIONS_PER_SOURCE', kind: 'int', default: 256, doc: 'Open HTTP connections per process from one source address (IPv6: one /64) at most; beyond it reset at once. Raise it when every client comes through one proxy. 0 = no cap.' },
  { path: 'grpc.enabled', env: 'SHAKENSTACK_GRPC', kind: 'bool', default: true, doc: 'Serve the gRPC API (signing, health, metrics, reflection).' },
  { path: 'grpc.host', env: 'SHAKENSTACK_GRPC_HOST', kind: 'string', default: '127.0.0.1', doc: 'Address the gRPC API listens on (`0.0.0.0` for all interfaces).' },
  { path: 'grpc.port', env: 'SHAKENSTACK_GRPC_PORT', kind: 'port', default: 50051, doc: 'gRPC port (0 picks a free one). Cluster workers share it.' },
  { path: 'grpc.tls.cert', env: 'SHAKENSTACK_GRPC_TLS_CERT', kind: 'string', default: undefined, doc: 'PEM certificate chain file. With `grpc.tls.key`, gRPC is served over TLS only; unset, in plain text.' },
  { path: 'grpc.tls.key', env: 'SHAKENSTACK_GRPC_TLS_KEY', kind: 'string', default: undefined, doc: 'PEM private key file of `grpc.tls.cert`.' },
  { path: 'grpc.tls.clientCa', env: 'SHAKENSTACK_GRPC_TLS_CLIENT_CA', kind: 'string', default: undefined, doc: 'PEM CA file. When set, every client must present a certificate issued by it (mutual TLS); needs `grpc.tls.cert`.' },
  { path: 'grpc.keepaliveTimeMs', env: 'SHAKENSTACK_GRPC_KEEPALIVE_TIME_MS', kind: 'int', default: 30000, doc: 'The server pings each connection after this long without a ping, calls or not, so NAT and firewall state survives idle sidecar channels and dead peers are noticed; 0 turns it off.' },
  { path: 'grpc.keepaliveTimeoutMs', env: 'SHAKENSTACK_GRPC_KEEPALIVE_TIMEOUT_MS', kind: 'int', default: 10000, doc: 'A connection whose ping is not answered within this is closed.' },
  { path: 'grpc.maxConnectionAgeMs', env: 'SHAKENSTACK_GRPC_MAX_CONNECTION_AGE_MS', kind: 'int', default: 0, doc: 'Ask clients to reconnect after this long (GOAWAY), so long-lived channels spread over nodes added later; 0 = never.' },
  { path: 'grpc.maxConnectionAgeGraceMs', env: 'SHAKENSTACK_GRPC_MAX_CONNECTION_AGE_GRACE_MS', kind: 'int', default: 30000, doc: 'After `grpc.maxConnectionAgeMs`, how long calls still open (a SignStream) may run before the connection is closed.' },
  { path: 'grpc.healthIntervalMs', env: 'SHAKENSTACK_GRPC_HEALTH_INTERVAL_MS', kind: 'int', default: 1000, doc: 'How often the readiness probes run for the gRPC health service: Check answers the last result, Watch hears each change.' },
  { path: 'grpc.maxConcurrentStreams', env: 'SHAKENSTACK_GRPC_MAX_CONCURRENT_STREAMS', kind: 'int', default: 1000, doc: 'Calls open at once on one gRPC connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); a client queues calls beyond it until one ends. 0 = no limit.' },
  { path: 'grpc.maxReceiveMessageBytes', env: 'SHAKENSTACK_GRPC_MAX_RECEIVE_MESSAGE_BYTES', kind: 'int', default: 1048576, doc: 'Largest gRPC message taken (a Sign request is a few hundred bytes, a SignStream batch of about 5,000 items fits 1 MiB); larger is refused with RESOURCE_EXHAUSTED before decoding. 0 = no limit.' },
  { path: 'grpc.maxSendMessageBytes', env: 'SHAKENSTACK_GRPC_MAX_SEND_MESSAGE_BYTES', kind: 'int', default: 4194304, doc: 'Largest gRPC message sent; a larger answer fails its call with RESOURCE_EXHAUSTED. 0 = no limit.' },
  { path: 'grpc.maxConnectionIdleMs', env: 'SHAKENSTACK_GRPC_MAX_CONNECTION_IDLE_MS', kind: 'int', default: 1800000, doc: 'A gRPC connection with no call open for this long is closed with GOAWAY (a client reconnects on its next call); 0 = never.' },
  { path: 'grpc.maxConnections', env: 'SHAKENSTACK_GRPC_MAX_CONNECTIONS', kind: 'int', default: 1024, doc: 'Open gRPC connections per process at most; a connection beyond it is reset at once, before TLS or HTTP/2 start. A sidecar needs one channel, usually one connection. 0 = no cap.' },
  { path: 'grpc.maxConnectionsPerSource', env: 'SHAKENSTACK_GRPC_MAX_CONNECTIONS_PER_SOURCE', kind: 'int', default: 64, doc: 'Open gRPC connections per process from one source address (IPv6: one /64) at most, so one peer cannot take all of `grpc.maxConnections`; beyond it reset at once. 0 = no cap.' },
  { path: 'grpc.handshakeTimeoutMs', env: 'SHAKENSTACK_GRPC_HANDSHAKE_TIMEOUT_MS', kind: 'int', default: 10000, doc: 'A new gRPC connection that has not sent its first 24 bytes (the HTTP/2 preface, or the start of its TLS handshake) within this is closed. 0 = no bound.' },
  { path: 'publicUrl', env: 'SHAKENSTACK_PUBLIC_URL', kind: 'url', default: undefined, doc: 'Base URL verifiers reach this service at; hosted x5u URLs start with it. Default `http://<host>:<port>`. Use https in production.' },
  { path: 'store.engine', env: 'SHAKENSTACK_STORE', kind: 'enum', values: ['embedded', 'postgres'], default: 'embedded', doc: '`embedded` (SQLite file in the data folder, no server) or `postgres` (several nodes on one database).' },
  { path: 'store.url', env: 'SHAKENSTACK_DATABASE_URL', kind: 'string', default: undefined, secret: true, doc: 'PostgreSQL connection URL, required with `postgres`.' },
  { path: 'store.poolSize', env: 'SHAKENSTACK_DATABASE_POOL', kind: 'int', default: 10, doc: 'PostgreSQL connections per process.' },
  { path: 'store.connectTimeoutMs', env: 'SHAKENSTACK_DATABASE_CONNECT_TIMEOUT_MS', kind: 'int', default: 5000, doc: 'A PostgreSQL connection not established (TCP, TLS, login) within this fails with `ERR_STORE_UNAVAILABLE`.' },
  { path: 'store.queryTimeoutMs', env: 'SHAKENSTACK_DATABASE_QUERY_TIMEOUT_MS', kind: 'int', default: 15000, doc: 'PostgreSQL `statement_timeout` and `idle_in_transaction_session_timeout` of the service\'s connections; a query unanswered 1 s after it (a blackholed network) fails with `ERR_STORE_UNAVAILABLE` and its connection is replaced. Migrations are exempt. 0 turns it off.' },
  { path: 'masterKey', env: 'SHAKENSTACK_MASTER_KEY', kind: 'string', default: undefined, secret: true, doc: 'Master key of the software key store: 32 bytes as hex or base64. Unset: read or create the master key file.' },
  { path: 'masterKeyFile', env: 'SHAKENSTACK_MASTER_KEY_FILE', kind: 'string', default: undefined, doc: 'Master key file, created with mode 0600 on first start. Default `<dataDir>/master.key`.' },
  { path: 'pkcs11.module', env: 'SHAKENSTACK_PKCS11_MODULE', kind: 'string', default: undefined, doc: 'PKCS#11 library of the HSM (SoftHSM2: `/usr/lib/softhsm/libsofthsm2.so`). Set it to sign with `pkcs11:` keys.' },
  { path: 'pkcs11.tokens', env: 'SHAKENSTACK_PKCS11_TOKENS', kind: 'string', default: undefined, doc: 'Comma-separated labels of the tokens to open at start (by label: slot ids change). Required with `pkcs11.module`.' },
  { path: 'pkcs11.pin', env: 'SHAKENSTACK_PKCS11_PIN', kind: 'string', default: undefined, secret: true, doc: 'User PIN of the tokens. Give it here or in `pkcs11.pinFile`, never on a command line.' },
  { path: 'pkcs11.pinFile', env: 'SHAKENSTACK_PKCS11_PIN_FILE', kind: 'string', default: undefined, doc: 'File holding the user PIN (one trailing newline ignored); must not be readable by group or others.' },
  { path: 'pkcs11.sessions', env: 'SHAKENSTACK_PKCS11_SESSIONS', kind: 'int', default: 4, doc: 'Logged-in sessions per token, i.e. signatures in flight at once. Each runs on one of as many signing threads of the service\'s own (C_SignInit and C_Sign), not on libuv\'s thread pool.' },
  { path: 'workers', env: 'SHAKENSTACK_WORKERS', kind: 'workers', default: 1, doc: 'Worker processes, each serving HTTP and gRPC: a number, or `auto` for one per CPU core.' },
  { path: 'logLevel', env: 'SHAKENSTACK_LOG_LEVEL', kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', doc: 'pino log level.' },
  { path: 'requestLog.flushIntervalMs', env: 'SHAKENSTACK_LOG_FLUSH_MS', kind: 'int', default: 200, doc: 'How often the request-log thread ships journaled records to the store (and looks for journals that dead processes left).' },
  { path: 'requestLog.maxBatch', env: 'SHAKENSTACK_LOG_MAX_BATCH', kind: 'int', default: 500, doc: "Records written per store transaction (on the request-log thread), and the backlog that triggers an early flush. Larger batches cost less per record (embedded store, the request-log thread's CPU per record under SIP at 8,000 calls/s: 15-18 µs at 200 rows, 12-13 µs at 500) and hold the store's write lock a little longer (about 7 ms for 500 rows)." },
  { path: 'requestLog.retentionDays', env: 'SHAKENSTACK_LOG_RETENTION_DAYS', kind: 'int', default: 90, doc: 'Request-log records older than this many days are deleted in the background, in small batches; 0 keeps them forever.' },
  { path: 'requestLog.journalMaxBytes', env: 'SHAKENSTACK_LOG_JOURNAL_MAX_BYTES', kind: 'int', default: 1073741824, doc: 'Request-log records are journaled to `<dataDir>/journal` before the answer leaves, then shipped to the store. This bounds, per process, the bytes journaled and not yet stored (about 3 million records per GiB); when reached, records are kept in memory only and counted in `shakenstack_request_log_unjournaled_total`. See docs/reliability.md.' },
  { path: 'requestLog.storeTimeoutMs', env: 'SHAKENSTACK_LOG_STORE_TIMEOUT_MS', kind: 'int', default: 30000, doc: 'A request-log batch insert slower than this fails; the log thread drops its store connections and starts again (the journal keeps the records).' },
  { path: 'cacheTtlMs', env: 'SHAKENSTACK_CACHE_TTL_MS', kind: 'int', default: 60000, doc: 'Longest time an account, credential or API key is reused from memory.' },
  { path: 'cacheStaleIfErrorMs', env: 'SHAKENSTACK_CACHE_STALE_IF_ERROR_MS', kind: 'int', default: 3600000, doc: 'While the store is unavailable, accounts, credentials, API keys, SIP sources and routing rules loaded before the outage keep being used this long past `cacheTtlMs`, and readiness stays up as long; 0: a store outage fails every lookup whose cache entry has expired.' },
  { path: 'changePollMs', env: 'SHAKENSTACK_CHANGE_POLL_MS', kind: 'int', default: 1000, doc: 'How often each process checks the store for changes made elsewhere (CLI, other nodes) and drops its caches.' },
  { path: 'adminToken', env: 'SHAKENSTACK_ADMIN_TOKEN', kind: 'string', default: undefined, secret: true, doc: 'Bearer token for the admin API (`/api/admin/...`: accounts, TN inventory). The admin API answers 401 while unset. At least 32 characters (random): a shorter one stops the start (exit code 78).' },
  { path: 'verify.trustAnchors', env: 'SHAKENSTACK_VERIFY_TRUST_ANCHORS', kind: 'string', default: undefined, doc: 'STI-CA trust anchors for verification: a PEM bundle file or a folder of PEM files. Re-read when a file changes (see `verify.trustReloadMs`). Unset: no chain is trusted.' },
  { path: 'verify.trustReloadMs', env: 'SHAKENSTACK_VERIFY_TRUST_RELOAD_MS', kind: 'int', default: 1000, doc: 'How often, at most, a verification checks the trust-anchor files for changes (mtime and size); 0 checks every time.' },
  { path: 'verify.maxAgeSec', env: 'SHAKENSTACK_VERIFY_MAX_AGE_SEC', kind: 'int', default: 60, doc: 'How far `iat` and the SIP Date may be from now, either way, before a verification answers 403 Stale Date.' },
  { path: 'verify.allowHttpX5u', env: 'SHAKENSTACK_VERIFY_ALLOW_HTTP_X5U', kind: 'bool', default: false, doc: 'Labs only: accept x5u URLs over http as well as https (the scheme rule). CRL distribution points may be http without it. Never in production.' },
  { path: 'verify.allowPrivateAddresses', env: 'SHAKENSTACK_VERIFY_ALLOW_PRIVATE_ADDRESSES', kind: 'bool', default: false, doc: 'Labs only: let the verifier fetch x5u and CRLs from loopback, private, link-local and other special-purpose addresses (the address rule). Never in production.' },
  { path: 'verify.allowInsecureX5u', env: 'SHAKENSTACK_VERIFY_ALLOW_INSECURE_X5U', kind: 'bool', default: false, deprecated: 'turns on verify.allowHttpX5u and verify.allowPrivateAddresses; set the one you need instead', doc: 'Deprecated: `true` turns on both `verify.allowHttpX5u` and `verify.allowPrivateAddresses`, with a warning at start; cannot be combined with either set to `false`.' },
  { path: 'verify.fetchTimeoutMs', env: 'SHAKENSTACK_VERIFY_FETCH_TIMEOUT_MS', kind: 'int', default: 2000, doc: 'Longest time for fetching one certificate chain or CRL (DNS, connect, TLS, redirects and body).' },
  { path: 'verify.fetchMaxBytes', env: 'SHAKENSTACK_VERIFY_FETCH_MAX_BYTES', kind: 'int', default: 65536, doc: 'Largest certificate chain fetched from an x5u (CRLs may be up to 1 MiB).' },
  { path: 'verify.crlPolicy', env: 'SHAKENSTACK_VERIFY_CRL_POLICY', kind: 'enum', values: ['soft-fail', 'hard-fail', 'off'], default: 'soft-fail', doc: 'When the leaf\'s CRL cannot be read: `soft-fail` passes and says so in the result, `hard-fail` answers 437; `off` never fetches CRLs.' },
  { path: 'demo', env: 'SHAKENSTACK_DEMO', kind: 'bool', default: true, doc: 'On first start with no accounts, create a demo account with a test-PKI credential and print an API key.' },
  { path: 'dashboard.enabled', env: 'SHAKENSTACK_DASHBOARD', kind: 'bool', default: true, doc: 'Serve the management dashboard and its API at `/dashboard/`. On first start with no dashboard user, an `admin` is created and its password written to `<dataDir>/dashboard-admin-password` (0600), shown in the banner only on a terminal.' },
  { path: 'dashboard.sessionTtlMs', env: 'SHAKENSTACK_DASHBOARD_SESSION_TTL_MS', kind: 'int', default: 1800000, doc: 'A dashboard session ends after this long without a request (idle expiry).' },
  { path: 'dashboard.sessionMaxMs', env: 'SHAKENSTACK_DASHBOARD_SESSION_MAX_MS', kind: 'int', default: 43200000, doc: 'A dashboard session ends this long after login, however active (absolute expiry).' },
  { path: 'dashboard.expiryWebhookUrl', env: 'SHAKENSTACK_DASHBOARD_EXPIRY_WEBHOOK_URL', kind: 'url', default: undefined, doc: 'When set, a JSON POST here once a day per certificate with fewer than 30 days left (or expired).' },
  { path: 'dashboard.assetsDir', env: 'SHAKENSTACK_DASHBOARD_ASSETS_DIR', kind: 'string', default: undefined, doc: 'Folder of the built dashboard (index.html and assets/). Default `dist/web` of the installed package.' },
  { path: 'dashboard.passwordThreads', env: 'SHAKENSTACK_DASHBOARD_PASSWORD_THREADS', kind: 'int', default: 1, doc: 'Worker threads that hash and check dashboard passwords (scrypt, 32 MiB each), at a lower CPU priority (nice 10) and never on the libuv thread pool signing uses.' },
  { path: 'dashboard.loginMaxPending', env: 'SHAKENSTACK_DASHBOARD_LOGIN_MAX_PENDING', kind: 'int', default: 8, doc: 'Dashboard logins in progress at once per process (waiting for or in a password check); more are refused at once with 503 and Retry-After, before any store or hashing work.' },
  { path: 'dashboard.loginRatePerMinute', env: 'SHAKENSTACK_DASHBOARD_LOGIN_RATE_PER_MINUTE', kind: 'int', default: 20, doc: 'Dashboard login attempts per minute per client address (IPv6: per /64), bursts up to the same number, per process; more get 429 and Retry-After before any store or hashing work. 0 turns it off.' },
  { path: 'metrics.token', env: 'SHAKENSTACK_METRICS_TOKEN', kind: 'string', default: undefined, secret: true, doc: 'Bearer token that `GET /metrics` requires. Unset: /metrics is open to whoever reaches the HTTP port.' },
  { path: 'sip.enabled', env: 'SHAKENSTACK_SIP', kind: 'bool', default: true, doc: 'Serve the SIP redirect server (UDP and TCP). With several workers, the first worker serves SIP.' },
  { path: 'sip.host', env: 'SHAKENSTACK_SIP_HOST', kind: 'string', default: '127.0.0.1', doc: 'Address the SIP redirect server listens on (`0.0.0.0` for all interfaces).' },
  { path: 'sip.port', env: 'SHAKENSTACK_SIP_PORT', kind: 'port', default: 5060, doc: 'SIP port, the same for UDP and TCP (0 picks a free one).' },
  { path: 'sip.mode', env: 'SHAKENSTACK_SIP_MODE', kind: 'enum', values: ['sign', 'verify'], default: 'sign', doc: '`sign`: the 302 carries an Identity header (STI-AS). `verify`: the INVITE\'s Identity is verified and the 302 carries `verstat` (STI-VS).' },
  { path: 'sip.onSignFailure', env: 'SHAKENSTACK_SIP_ON_SIGN_FAILURE', kind: 'enum', values: ['redirect', 'reject', '603', '404'], default: 'redirect', doc: 'Answer to a call that cannot be signed: `redirect` (302 without Identity, with a Reason header), `reject` (the SIP error table\'s status), or always `603` / `404`. A source address of no account always gets 403.' },
  { path: 'sip.maxDateSkewSec', env: 'SHAKENSTACK_SIP_MAX_DATE_SKEW_SEC', kind: 'int', default: 60, doc: 'An INVITE whose Date is further than this from now is not signed (403 Stale Date, RFC 8224 §6.2.1).' },
  { path: 'sip.onVerifyFailure', env: 'SHAKENSTACK_SIP_ON_VERIFY_FAILURE', kind: 'enum', values: ['continue', 'reject'], default: 'continue', doc: 'Verify mode: a failed verification still gets the 302 (verstat and Reason header), or is answered with its 403/436/437/438.' },
  { path: 'sip.reasonProtocol', env: 'SHAKENSTACK_SIP_REASON_PROTOCOL', kind: 'enum', values: ['SIP', 'STIR'], default: 'SIP', doc: 'Protocol of the Reason header on verification failures: `SIP` (RFC 8224) or `STIR` (RFC 9410).' },
  { path: 'sip.requireIdentity', env: 'SHAKENSTACK_SIP_REQUIRE_IDENTITY', kind: 'bool', default: false, doc: 'Verify mode: answer an INVITE without Identity with 428 Use Identity Header instead of a 302 with `No-TN-Validation`.' },
  { path: 'sip.maxPending', env: 'SHAKENSTACK_SIP_MAX_PENDING', kind: 'int', default: 2000, doc: 'INVITEs being signed or verified at once; beyond it an INVITE gets 503 with Retry-After.' },
  { path: 'sip.maxTransactions', env: 'SHAKENSTACK_SIP_MAX_TRANSACTIONS', kind: 'int', default: 50000, doc: 'Server transactions remembered so retransmissions get the identical answer until the ACK (at most 32 s, Timer H), and are absorbed for 5 s after it (Timer I, UDP). When full, the oldest go, ACKed ones first, 1/64 of the table at a time.' },
  { path: 'sip.maxMessageBytes', env: 'SHAKENSTACK_SIP_MAX_MESSAGE_BYTES', kind: 'int', default: 16384, doc: 'Largest SIP message accepted; larger UDP datagrams are dropped and TCP connections closed.' },
  { path: 'sip.maxConnections', env: 'SHAKENSTACK_SIP_MAX_CONNECTIONS', kind: 'int', default: 1024, doc: 'Open SIP TCP connections at most; a connection beyond it is reset at once.' },
  { path: 'sip.maxConnectionsPerSource', env: 'SHAKENSTACK_SIP_MAX_CONNECTIONS_PER_SOURCE', kind: 'int', default: 64, doc: 'Open SIP TCP connections from one source address (IPv6: one /64) at most, so one peer cannot take all of `sip.maxConnections`; beyond it reset at once. 0 = no cap.' },
  { path: 'sip.idleTimeoutMs', env: 'SHAKENSTACK_SIP_IDLE_TIMEOUT_MS', kind: 'int', default: 120000, doc: 'A SIP TCP connection silent this long is closed.' },
  { path: 'sip.messageTimeoutMs', env: 'SHAKENSTACK_SIP_MESSAGE_TIMEOUT_MS', kind: 'int', default: 10000, doc: 'A SIP TCP connection must complete its first message within this of connecting, and each later message within this of its first byte; else it is closed. 0 = no limit.' },
  { path: 'sip.thread', env: 'SHAKENSTACK_SIP_THREAD', kind: 'enum', values: ['main', 'worker'], default: 'worker', doc: '`worker`: the SIP redirect server\'s sockets, parsing, transactions and answer writing run on a thread of their own and only each INVITE\'s call goes to the core on the main thread, in batches (under sipp it kept 0 failed calls to 1.0-1.7 × the rate `main` did, in five runs). `main`: all of it on the main event loop (one thread less).' },
  { path: 'heartbeat.enabled', env: 'SHAKENSTACK_HEARTBEAT', kind: 'bool', default: true, doc: 'Recognise SBC heartbeats (an identified caller\'s requests from `heartbeat.origTn` to `heartbeat.destTn`): answered as any request, counted in `shakenstack_heartbeats_total` instead of the request log, statistics and reports ([Oracle SBC](oracle-sbc.md)).' },
  { path: 'heartbeat.origTn', env: 'SHAKENSTACK_HEARTBEAT_ORIG_TN', kind: 'tn', default: '9999999999', doc: 'Calling number of a heartbeat (Oracle `sti-orig-tn-number`).' },
  { path: 'heartbeat.destTn', env: 'SHAKENSTACK_HEARTBEAT_DEST_TN', kind: 'tn', default: '7777777777', doc: 'Called number of a heartbeat (Oracle `sti-dest-tn-number`).' },
  { path: 'heartbeat.divTn', env: 'SHAKENSTACK_HEARTBEAT_DIV_TN', kind: 'tn', default: '3333333333', doc: 'Diverted-from number of a div heartbeat (Oracle `sti-div-tn-number`).' },
  { path: 'rcd.refreshIntervalMs', env: 'SHAKENSTACK_RCD_REFRESH_INTERVAL_MS', kind: 'int', default: 86400000, doc: 'An RCD profile whose logo or jCard was fetched longer ago than this is fetched again in the background and its `rcdi` digests updated; a failed fetch keeps the old digests. 0 = only by hand.' },
  { path: 'cps.enabled', env: 'SHAKENSTACK_CPS', kind: 'bool', default: false, doc: 'Serve an STI-CPS under `/cps/` on the HTTP listener (publish, retrieve, health; ATIS-1000096 and ATIS-1000105 paths), PASSporTs kept in Redis ([out-of-band SHAKEN](out-of-band.md)). Requests are authenticated with STI certificates chaining to `verify.trustAnchors`.' },
  { path: 'cps.redisUrl', env: 'SHAKENSTACK_CPS_REDIS_URL', kind: 'string', default: 'redis://127.0.0.1:6379', secret: true, doc: 'The Redis the CPS keeps PASSporTs, replay marks and rate counters in (`redis://[:password@]host:port[/db]`, `rediss://` for TLS). Every CPS node of one service uses the same one.' },
  { path: 'cps.redisClusterNodes', env: 'SHAKENSTACK_CPS_REDIS_CLUSTER_NODES', kind: 'string', default: undefined, doc: 'Comma-separated `host:port` seed nodes of a Redis Cluster; when set, used instead of `cps.redisUrl`.' },
  { path: 'cps.redisTimeoutMs', env: 'SHAKENSTACK_CPS_REDIS_TIMEOUT_MS', kind: 'int', default: 500, doc: 'A Redis command unanswered this long fails; the request gets 503 with Retry-After (as it does at once while Redis is disconnected).' },
  { path: 'cps.audience', env: 'SHAKENSTACK_CPS_AUDIENCE', kind: 'string', default: undefined, doc: 'The `aud` every request token must name. Default: the host name of `publicUrl`.' },
  { path: 'cps.ttlSec', env: 'SHAKENSTACK_CPS_TTL_SEC', kind: 'int', default: 15, doc: 'How long a PASSporT published on the ATIS-1000096 path is kept (CPS policy); an earlier `exp` in the token wins.' },
  { path: 'cps.maxExpSec', env: 'SHAKENSTACK_CPS_MAX_EXP_SEC', kind: 'int', default: 60, doc: 'On the ATIS-1000105 path the token\'s `exp` decides how long PASSporTs are kept; further ahead than this is refused (400).' },
  { path: 'cps.maxPassports', env: 'SHAKENSTACK_CPS_MAX_PASSPORTS', kind: 'int', default: 5, doc: 'PASSporTs in one publish at most (shaken, div, rcd of one call).' },
  { path: 'cps.maxPassportChars', env: 'SHAKENSTACK_CPS_MAX_PASSPORT_CHARS', kind: 'int', default: 4096, doc: 'Longest PASSporT accepted, in characters.' },
  { path: 'cps.maxBodyBytes', env: 'SHAKENSTACK_CPS_MAX_BODY_BYTES', kind: 'int', default: 16384, doc: 'Largest publish body; larger gets 413.' },
  { path: 'cps.publishRatePerSec', env: 'SHAKENSTACK_CPS_PUBLISH_RATE_PER_SEC', kind: 'int', default: 2000, doc: 'Publishes per second per publishing SPC, counted in Redis so every node shares the count; more get 429 with Retry-After. 0 = no limit.' },
  { path: 'cps.retrieveRatePerSec', env: 'SHAKENSTACK_CPS_RETRIEVE_RATE_PER_SEC', kind: 'int', default: 2000, doc: 'Retrievals per second per retrieving SPC, shared likewise. 0 = no limit.' },
  { path: 'cps.retrievers', env: 'SHAKENSTACK_CPS_RETRIEVERS', kind: 'string', default: undefined, doc: 'Comma-separated SPCs allowed to retrieve (an agreed CPS between partners, ATIS-1000105). Unset: any provider whose STI certificate chains to the trust anchors.' },
  { path: 'cpsClient.url', env: 'SHAKENSTACK_CPS_CLIENT_URL', kind: 'url', default: undefined, doc: 'Base URL of the STI-CPS this node publishes to and retrieves from (another shakenstack: `https://cps.example.net/cps`). Unset: no out-of-band SHAKEN as a client.' },
  { path: 'cpsClient.mechanism', env: 'SHAKENSTACK_CPS_CLIENT_MECHANISM', kind: 'enum', values: ['atis-1000096', 'atis-1000105'], default: 'atis-1000096', doc: 'Request paths and rules: `atis-1000096` (`/passports/{dest}/{orig}`) or `atis-1000105` (`/passports/{spc}/{dest}/{orig}`, with `exp`).' },
  { path: 'cpsClient.audience', env: 'SHAKENSTACK_CPS_CLIENT_AUDIENCE', kind: 'string', default: undefined, doc: 'The `aud` of request tokens. Default: the host name of `cpsClient.url`.' },
  { path: 'cpsClient.publishAccounts', env: 'SHAKENSTACK_CPS_CLIENT_PUBLISH_ACCOUNTS', kind: 'string', default: undefined, doc: 'Comma-separated account names whose signed PASSporTs are also published to the CPS, `*` for all, when the account has no stored choice (its `oobPublish`, which is the primary way: docs/out-of-band.md). Unset: only accounts whose stored choice is on publish.' },
  { path: 'cpsClient.destPrefixes', env: 'SHAKENSTACK_CPS_CLIENT_DEST_PREFIXES', kind: 'string', default: undefined, doc: 'Comma-separated called-number prefixes (routes known to cross TDM) to publish for, for the accounts named by `cpsClient.publishAccounts`. Unset: every destination of those accounts.' },
  { path: 'cpsClient.expSec', env: 'SHAKENSTACK_CPS_CLIENT_EXP_SEC', kind: 'int', default: 30, doc: 'A publish token\'s `exp` is this far after its `iat` (ATIS-1000105: at most 60).' },
  { path: 'cpsClient.timeoutMs', env: 'SHAKENSTACK_CPS_CLIENT_TIMEOUT_MS', kind: 'int', default: 2000, doc: 'Longest wait for the CPS on one publish or retrieval.' },
  { path: 'cpsClient.maxPending', env: 'SHAKENSTACK_CPS_CLIENT_MAX_PENDING', kind: 'int', default: 1000, doc: 'Publishes in flight per process at most; beyond it a publish is dropped and counted in `shakenstack_cps_publish_total{outcome="dropped"}`.' },
  { path: 'cpsClient.retrieveAccount', env: 'SHAKENSTACK_CPS_CLIENT_RETRIEVE_ACCOUNT', kind: 'string', default: undefined, doc: 'Name of the account whose credential signs retrieval tokens. When set, a verification of a call without Identity (HTTP, gRPC, SIP verify mode) retrieves its PASSporTs from the CPS and reports `source: out-of-band`.' },
  { path: 'shutdownTimeoutMs', env: 'SHAKENSTACK_SHUTDOWN_TIMEOUT_MS', kind: 'int', default: 10000, doc: 'Longest wait for in-flight requests and the log flush on SIGTERM/SIGINT.' },
];
