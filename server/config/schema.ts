/**
 * Every setting, its default, the environment variable that sets it and how it is checked. The README's
 * configuration table is generated from the same facts (see test/config) and must stay in step.
 */
export interface Config {
  dataDir: string;
  http: { host: string; port: number; bodyLimit: number };
  /** Base URL under which this service is reachable; the x5u URLs it hosts start with it. */
  publicUrl: string | undefined;
  store: { engine: 'embedded' | 'postgres'; url: string | undefined; poolSize: number };
  /** 32-byte key for the software key store (hex or base64); when unset, `<dataDir>/master.key` is used. */
  masterKey: string | undefined;
  /** Always set after loading (defaults to `<dataDir>/master.key`). */
  masterKeyFile: string;
  /** HTTP worker processes; 1 runs in-process, more uses node:cluster. */
  workers: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  requestLog: { flushIntervalMs: number; maxBatch: number };
  cacheTtlMs: number;
  changePollMs: number;
  /** Create a demo account with a test-PKI credential on first start when there are no accounts. */
  demo: boolean;
  shutdownTimeoutMs: number;
}

export type SettingKind = 'string' | 'port' | 'int' | 'bool' | 'enum' | 'url' | 'workers';

export interface Setting {
  /** Dotted path in the config object and the JSON config file. */
  path: string;
  env: string;
  kind: SettingKind;
  values?: readonly string[];
  /** Default, or a function of the settings resolved before it. */
  default: unknown;
  secret?: boolean;
  doc: string;
}

export const SETTINGS: readonly Setting[] = [
  { path: 'dataDir', env: 'SHAKENSTACK_DATA_DIR', kind: 'string', default: './data', doc: 'Folder for the embedded database, the master key file and the demo PKI.' },
  { path: 'http.host', env: 'SHAKENSTACK_HOST', kind: 'string', default: '127.0.0.1', doc: 'Address the HTTP API listens on (`0.0.0.0` for all interfaces).' },
  { path: 'http.port', env: 'SHAKENSTACK_PORT', kind: 'port', default: 8080, doc: 'HTTP port (0 picks a free one).' },
  { path: 'http.bodyLimit', env: 'SHAKENSTACK_BODY_LIMIT', kind: 'int', default: 16384, doc: 'Largest request body in bytes; larger gets 413.' },
  { path: 'publicUrl', env: 'SHAKENSTACK_PUBLIC_URL', kind: 'url', default: undefined, doc: 'Base URL verifiers reach this service at; hosted x5u URLs start with it. Default `http://<host>:<port>`. Use https in production.' },
  { path: 'store.engine', env: 'SHAKENSTACK_STORE', kind: 'enum', values: ['embedded', 'postgres'], default: 'embedded', doc: '`embedded` (SQLite file in the data folder, no server) or `postgres` (several nodes on one database).' },
  { path: 'store.url', env: 'SHAKENSTACK_DATABASE_URL', kind: 'string', default: undefined, secret: true, doc: 'PostgreSQL connection URL, required with `postgres`.' },
  { path: 'store.poolSize', env: 'SHAKENSTACK_DATABASE_POOL', kind: 'int', default: 10, doc: 'PostgreSQL connections per process.' },
  { path: 'masterKey', env: 'SHAKENSTACK_MASTER_KEY', kind: 'string', default: undefined, secret: true, doc: 'Master key of the software key store: 32 bytes as hex or base64. Unset: read or create the master key file.' },
  { path: 'masterKeyFile', env: 'SHAKENSTACK_MASTER_KEY_FILE', kind: 'string', default: undefined, doc: 'Master key file, created with mode 0600 on first start. Default `<dataDir>/master.key`.' },
  { path: 'workers', env: 'SHAKENSTACK_WORKERS', kind: 'workers', default: 1, doc: 'HTTP worker processes: a number, or `auto` for one per CPU core.' },
  { path: 'logLevel', env: 'SHAKENSTACK_LOG_LEVEL', kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', doc: 'pino log level.' },
  { path: 'requestLog.flushIntervalMs', env: 'SHAKENSTACK_LOG_FLUSH_MS', kind: 'int', default: 200, doc: 'How often buffered request-log records are written to the store.' },
  { path: 'requestLog.maxBatch', env: 'SHAKENSTACK_LOG_MAX_BATCH', kind: 'int', default: 1000, doc: 'Records that trigger an early flush.' },
  { path: 'cacheTtlMs', env: 'SHAKENSTACK_CACHE_TTL_MS', kind: 'int', default: 60000, doc: 'Longest time an account, credential or API key is reused from memory.' },
  { path: 'changePollMs', env: 'SHAKENSTACK_CHANGE_POLL_MS', kind: 'int', default: 1000, doc: 'How often each process checks the store for changes made elsewhere (CLI, other nodes) and drops its caches.' },
  { path: 'demo', env: 'SHAKENSTACK_DEMO', kind: 'bool', default: true, doc: 'On first start with no accounts, create a demo account with a test-PKI credential and print an API key.' },
  { path: 'shutdownTimeoutMs', env: 'SHAKENSTACK_SHUTDOWN_TIMEOUT_MS', kind: 'int', default: 10000, doc: 'Longest wait for in-flight requests and the log flush on SIGTERM/SIGINT.' },
];
