import cluster from 'node:cluster';
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { redactValue } from './redact.js';
import { SETTINGS, type Config, type Setting } from './schema.js';

/** The admin token's floor: 32 characters, e.g. 16 random bytes as hex. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

export class ConfigError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`configuration ${key}: ${reason}`);
    this.name = 'ConfigError';
  }
}

function readPath(obj: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function writePath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[keys[keys.length - 1]!] = value;
}

function coerce(s: Setting, raw: unknown, where: string): unknown {
  const key = `${s.path} (${where})`;
  const str = typeof raw === 'string' ? raw.trim() : raw;
  const int = (min: number, max: number): number => {
    const n = typeof str === 'number' ? str : typeof str === 'string' && /^-?\d+$/.test(str) ? Number(str) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(key, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
  switch (s.kind) {
    case 'string':
      if (typeof str !== 'string' || str === '') throw new ConfigError(key, 'must be a non-empty string');
      return str;
    case 'port':
      return int(0, 65535);
    case 'int':
      return int(0, 2 ** 31);
    case 'bool':
      if (typeof str === 'boolean') return str;
      if (str === 'true' || str === '1') return true;
      if (str === 'false' || str === '0') return false;
      throw new ConfigError(key, 'must be true or false');
    case 'enum':
      if (typeof str !== 'string' || !s.values!.includes(str)) throw new ConfigError(key, `must be one of ${s.values!.join(', ')}`);
      return str;
    case 'url':
      if (typeof str !== 'string' || !/^https?:\/\/[^\s<>"]+$/.test(str)) throw new ConfigError(key, 'must be an http(s) URL');
      return str.replace(/\/+$/, '');
    case 'tn': {
      // A canonical TN (RFC 8224 §8.3): digits only, a leading + dropped; compared with canonical request numbers.
      const tn = typeof str === 'number' ? String(str) : str;
      if (typeof tn !== 'string' || !/^\+?[0-9]{1,15}$/.test(tn)) throw new ConfigError(key, 'must be a telephone number of 1 to 15 digits');
      return tn.replace(/^\+/, '');
    }
    case 'workers':
      if (str === 'auto') return cpuCores();
      return int(1, 256);
  }
}

/** The cores `workers: auto` runs one worker each on; also what tells a node whether it has a core to spare. */
export function cpuCores(): number {
  return Math.max(1, cpus().length);
}

/** Deprecated settings already warned about in this process: one warning each, however often config is loaded. */
const warnedDeprecated = new Set<string>();

function warnDeprecated(s: Setting, where: string): void {
  // Cluster workers load the same configuration as the primary, which has said it once already.
  if (warnedDeprecated.has(s.path) || !cluster.isPrimary) return;
  warnedDeprecated.add(s.path);
  process.emitWarning(`configuration ${s.path} (${where}) is deprecated: it ${s.deprecated}`, { type: 'DeprecationWarning', code: 'SHAKENSTACK_DEPRECATED_SETTING' });
}

/**
 * `verify.allowInsecureX5u` lifted the x5u scheme rule and the address rule at once; they are two switches now
 * (`verify.allowHttpX5u`, `verify.allowPrivateAddresses`), and the old one turns both on so existing lab
 * configurations keep working. Said `false` explicitly beside it, a new switch contradicts it: refused, since
 * either reading would surprise someone.
 */
function foldInsecureX5u(config: Config, setBy: ReadonlyMap<string, string>): void {
  const v = config.verify;
  if (!v.allowInsecureX5u) return;
  for (const key of ['allowHttpX5u', 'allowPrivateAddresses'] as const) {
    const where = setBy.get(`verify.${key}`);
    if (where !== undefined && !v[key]) {
      throw new ConfigError(
        `verify.allowInsecureX5u (${setBy.get('verify.allowInsecureX5u')})`,
        `is deprecated and turns on verify.${key}, which ${where} sets to false: drop verify.allowInsecureX5u and set verify.allowHttpX5u and verify.allowPrivateAddresses to what the lab needs`,
      );
    }
    v[key] = true;
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** JSON config file; also taken from SHAKENSTACK_CONFIG. */
  file?: string;
  /** Values that beat both (tests, CLI flags). */
  overrides?: Record<string, unknown>;
}

/**
 * The only reader of the environment and the config file. Precedence: defaults < file < environment <
 * overrides. Throws ConfigError naming the key; the caller exits before binding any port.
 */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const filePath = opts.file ?? env.SHAKENSTACK_CONFIG;
  let file: Record<string, unknown> = {};
  if (filePath) {
    try {
      file = JSON.parse(readFileSync(filePath, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError('SHAKENSTACK_CONFIG', `cannot read ${filePath}: ${(e as Error).message}`);
    }
    const known = new Set(SETTINGS.map((s) => s.path));
    const walk = (o: Record<string, unknown>, prefix: string): void => {
      for (const [k, v] of Object.entries(o)) {
        const p = prefix + k;
        if (v && typeof v === 'object' && !Array.isArray(v) && !known.has(p)) walk(v as Record<string, unknown>, p + '.');
        else if (!known.has(p)) throw new ConfigError(p, `unknown setting in ${filePath}`);
      }
    };
    walk(file, '');
  }
  const out: Record<string, unknown> = {};
  /** Where each setting that is not at its default was set: `override`, the environment variable or the file. */
  const setBy = new Map<string, string>();
  for (const s of SETTINGS) {
    const override = opts.overrides?.[s.path];
    const fromEnv = env[s.env];
    const fromFile = readPath(file, s.path);
    let given: { raw: unknown; where: string } | undefined;
    if (override !== undefined) given = { raw: override, where: 'override' };
    else if (fromEnv !== undefined && fromEnv !== '') given = { raw: fromEnv, where: s.env };
    else if (fromFile !== undefined) given = { raw: fromFile, where: filePath ?? 'file' };
    if (given === undefined) {
      writePath(out, s.path, s.default);
      continue;
    }
    writePath(out, s.path, coerce(s, given.raw, given.where));
    setBy.set(s.path, given.where);
    if (s.deprecated !== undefined) warnDeprecated(s, given.where);
  }
  const config = out as unknown as Config;
  foldInsecureX5u(config, setBy);
  config.dataDir = resolve(config.dataDir);
  config.masterKeyFile = config.masterKeyFile ? resolve(config.masterKeyFile) : join(config.dataDir, 'master.key');
  // Anything shorter is guessable offline or by a patient client; the admin API can change every account.
  if (config.adminToken !== undefined && config.adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new ConfigError('adminToken (SHAKENSTACK_ADMIN_TOKEN)', `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (random, e.g. openssl rand -hex 32), got ${config.adminToken.length}`);
  }
  if (config.store.engine === 'postgres' && !config.store.url) {
    throw new ConfigError('store.url', 'SHAKENSTACK_DATABASE_URL is required when SHAKENSTACK_STORE=postgres');
  }
  // Node refuses a headers timeout longer than the request timeout, which already bounds the headers.
  const { headersTimeoutMs, requestTimeoutMs } = config.http;
  if (requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('http.headersTimeoutMs', `must not exceed http.requestTimeoutMs (${requestTimeoutMs})`);
  }
  return deepFreeze(config);
}

/**
 * The base URL hosted x5u links start with: the configured one, else derived from the address actually bound
 * (so port 0 works), with a wildcard host replaced by loopback.
 */
export function resolvePublicUrl(config: Config, boundPort: number): string {
  if (config.publicUrl) return config.publicUrl;
  const h = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${boundPort}`;
}

/** The config with secrets masked (and credentials inside any URL), for logs and `shakenstack config`. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  for (const s of SETTINGS) {
    const value = readPath(copy, s.path);
    if (value !== undefined) writePath(copy, s.path, redactValue(value, s.secret === true));
  }
  return copy;
}
