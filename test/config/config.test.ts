import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig, redactedConfig, resolvePublicUrl } from '../../server/config/load.js';
import { SETTINGS } from '../../server/config/schema.js';

describe('configuration', () => {
  it('uses the documented defaults with an empty environment', () => {
    const c = loadConfig({ env: {} });
    expect(c.http).toEqual({
      host: '127.0.0.1',
      port: 8080,
      bodyLimit: 16384,
      headersTimeoutMs: 10000,
      requestTimeoutMs: 30000,
      keepAliveTimeoutMs: 72000,
      maxRequestsPerConnection: 0,
      maxConnections: 4096,
      maxConnectionsPerSource: 256,
    });
    expect(c.store.engine).toBe('embedded');
    expect(c.workers).toBe(1);
    expect(c.masterKeyFile).toBe(join(c.dataDir, 'master.key'));
    expect(resolvePublicUrl(c, 8080)).toBe('http://127.0.0.1:8080');
  });

  it('lets the environment beat the file and the file beat the defaults', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ http: { port: 9000, bodyLimit: 1000 }, logLevel: 'warn' }));
    const c = loadConfig({ env: { SHAKENSTACK_PORT: '9100' }, file });
    expect(c.http.port).toBe(9100);
    expect(c.http.bodyLimit).toBe(1000);
    expect(c.logLevel).toBe('warn');
  });

  it('names the key and the reason for a bad value', () => {
    expect(() => loadConfig({ env: { SHAKENSTACK_PORT: '70000' } })).toThrow(new ConfigError('http.port (SHAKENSTACK_PORT)', 'must be a whole number from 0 to 65535, got "70000"'));
    expect(() => loadConfig({ env: { SHAKENSTACK_STORE: 'mysql' } })).toThrow(/store.engine.*must be one of embedded, postgres/);
    expect(() => loadConfig({ env: { SHAKENSTACK_STORE: 'postgres' } })).toThrow(/store.url/);
    expect(() => loadConfig({ env: { SHAKENSTACK_HTTP_HEADERS_TIMEOUT_MS: '40000' } })).toThrow(/http.headersTimeoutMs: must not exceed http.requestTimeoutMs \(30000\)/);
  });

  it('refuses unknown settings in the file rather than ignoring a typo', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ http: { prot: 1 } }));
    expect(() => loadConfig({ env: {}, file })).toThrow(/http.prot: unknown setting/);
  });

  it('is frozen once loaded', () => {
    const c = loadConfig({ env: {} });
    expect(Object.isFrozen(c.http)).toBe(true);
  });

  it('masks secrets in the printable form', () => {
    const c = loadConfig({ env: { SHAKENSTACK_STORE: 'postgres', SHAKENSTACK_DATABASE_URL: 'postgres://u:pw@h/db', SHAKENSTACK_MASTER_KEY: 'k'.repeat(44) } });
    expect(JSON.stringify(redactedConfig(c))).not.toMatch(/pw@|kkkk/);
  });

  it('masks credentials inside URLs: a database password, a webhook user-info, query and fragment', () => {
    const c = loadConfig({
      env: {
        SHAKENSTACK_STORE: 'postgres',
        SHAKENSTACK_DATABASE_URL: 'postgres://shaken:s3cretpw@db.example:5432/shaken?sslmode=require&password=qpw',
        SHAKENSTACK_DASHBOARD_EXPIRY_WEBHOOK_URL: 'https://hookuser:hookpw@hooks.example/expiry?token=tok123&sig=sig456#frag789',
        SHAKENSTACK_PUBLIC_URL: 'https://TOKEN999@sti.example',
      },
    });
    const r = redactedConfig(c) as { store: { url: string }; dashboard: { expiryWebhookUrl: string }; publicUrl: string };
    expect(r.store.url).toBe('postgres://shaken:***@db.example:5432/shaken?sslmode=***&password=***');
    expect(r.dashboard.expiryWebhookUrl).toBe('https://hookuser:***@hooks.example/expiry?token=***&sig=***#***');
    expect(r.publicUrl).toBe('https://***@sti.example');
    expect(JSON.stringify(r)).not.toMatch(/s3cretpw|qpw|hookpw|tok123|sig456|frag789|TOKEN999/);
    // Without credentials a URL is shown as configured; a secret that is no URL is masked whole.
    const plain = redactedConfig(loadConfig({ env: { SHAKENSTACK_DASHBOARD_EXPIRY_WEBHOOK_URL: 'https://hooks.example/expiry', SHAKENSTACK_METRICS_TOKEN: 'metrics-token-value' } })) as Record<string, any>;
    expect(plain.dashboard.expiryWebhookUrl).toBe('https://hooks.example/expiry');
    expect(plain.metrics.token).toBe('***');
  });

  it('refuses an admin token shorter than 32 characters and names the setting', () => {
    expect(() => loadConfig({ env: { SHAKENSTACK_ADMIN_TOKEN: 'x'.repeat(31) } })).toThrow(new ConfigError('adminToken (SHAKENSTACK_ADMIN_TOKEN)', 'must be at least 32 characters (random, e.g. openssl rand -hex 32), got 31'));
    expect(loadConfig({ env: { SHAKENSTACK_ADMIN_TOKEN: 'x'.repeat(32) } }).adminToken).toBe('x'.repeat(32));
    expect(loadConfig({ env: {} }).adminToken).toBeUndefined();
  });

  it('has two lab switches for verification, off by default, each set alone by its variable or the file', async () => {
    expect(loadConfig({ env: {} }).verify).toMatchObject({ allowHttpX5u: false, allowPrivateAddresses: false, allowInsecureX5u: false });
    expect(loadConfig({ env: { SHAKENSTACK_VERIFY_ALLOW_HTTP_X5U: 'true' } }).verify).toMatchObject({ allowHttpX5u: true, allowPrivateAddresses: false });
    expect(loadConfig({ env: { SHAKENSTACK_VERIFY_ALLOW_PRIVATE_ADDRESSES: '1' } }).verify).toMatchObject({ allowHttpX5u: false, allowPrivateAddresses: true });
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ verify: { allowPrivateAddresses: true } }));
    expect(loadConfig({ env: {}, file }).verify).toMatchObject({ allowHttpX5u: false, allowPrivateAddresses: true });
    expect(() => loadConfig({ env: { SHAKENSTACK_VERIFY_ALLOW_PRIVATE_ADDRESSES: 'yes' } })).toThrow(new ConfigError('verify.allowPrivateAddresses (SHAKENSTACK_VERIFY_ALLOW_PRIVATE_ADDRESSES)', 'must be true or false'));
    expect(() => loadConfig({ env: {}, overrides: { 'verify.allowHttpX5u': 'on' } })).toThrow(new ConfigError('verify.allowHttpX5u (override)', 'must be true or false'));
  });

  it('reads the deprecated allowInsecureX5u as both switches on, from the environment, the file or an override', async () => {
    for (const c of [
      loadConfig({ env: { SHAKENSTACK_VERIFY_ALLOW_INSECURE_X5U: 'true' } }),
      loadConfig({ env: {}, overrides: { 'verify.allowInsecureX5u': true } }),
      // Saying a new switch true beside it is no contradiction.
      loadConfig({ env: { SHAKENSTACK_VERIFY_ALLOW_INSECURE_X5U: 'true', SHAKENSTACK_VERIFY_ALLOW_HTTP_X5U: 'true' } }),
    ]) {
      expect(c.verify).toMatchObject({ allowInsecureX5u: true, allowHttpX5u: true, allowPrivateAddresses: true });
    }
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ verify: { allowInsecureX5u: true } }));
    expect(loadConfig({ env: {}, file }).verify).toMatchObject({ allowHttpX5u: true, allowPrivateAddresses: true });
    expect(loadConfig({ env: { SHAKENSTACK_VERIFY_ALLOW_INSECURE_X5U: 'false' } }).verify).toMatchObject({ allowHttpX5u: false, allowPrivateAddresses: false });
  });

  it('refuses the deprecated switch on beside a new one said false, naming both and where each was set', async () => {
    expect(() => loadConfig({ env: { SHAKENSTACK_VERIFY_ALLOW_INSECURE_X5U: 'true', SHAKENSTACK_VERIFY_ALLOW_HTTP_X5U: 'false' } })).toThrow(
      new ConfigError(
        'verify.allowInsecureX5u (SHAKENSTACK_VERIFY_ALLOW_INSECURE_X5U)',
        'is deprecated and turns on verify.allowHttpX5u, which SHAKENSTACK_VERIFY_ALLOW_HTTP_X5U sets to false: drop verify.allowInsecureX5u and set verify.allowHttpX5u and verify.allowPrivateAddresses to what the lab needs',
      ),
    );
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ verify: { allowPrivateAddresses: false } }));
    expect(() => loadConfig({ env: {}, file, overrides: { 'verify.allowInsecureX5u': true } })).toThrow(
      /^configuration verify\.allowInsecureX5u \(override\): is deprecated and turns on verify\.allowPrivateAddresses, which .*c\.json sets to false/,
    );
  });

  it('warns once per process that allowInsecureX5u is deprecated, and not at all when it is unset', async () => {
    vi.resetModules();
    const fresh = (await import('../../server/config/load.js')) as typeof import('../../server/config/load.js');
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      fresh.loadConfig({ env: { SHAKENSTACK_VERIFY_ALLOW_HTTP_X5U: 'true' } });
      expect(emit).not.toHaveBeenCalled();
      fresh.loadConfig({ env: { SHAKENSTACK_VERIFY_ALLOW_INSECURE_X5U: 'true' } });
      fresh.loadConfig({ env: {}, overrides: { 'verify.allowInsecureX5u': true } });
      expect(emit).toHaveBeenCalledTimes(1);
      expect(emit).toHaveBeenCalledWith(
        'configuration verify.allowInsecureX5u (SHAKENSTACK_VERIFY_ALLOW_INSECURE_X5U) is deprecated: it turns on verify.allowHttpX5u and verify.allowPrivateAddresses; set the one you need instead',
        { type: 'DeprecationWarning', code: 'SHAKENSTACK_DEPRECATED_SETTING' },
      );
    } finally {
      emit.mockRestore();
    }
  });

  it('documents every setting in the table of docs/configuration.md with its environment variable and default', () => {
    const page = readFileSync('docs/configuration.md', 'utf8');
    for (const s of SETTINGS) {
      const row = page.split('\n').find((l) => l.startsWith(`| \`${s.path}\` |`));
      expect(row, s.path).toBeDefined();
      expect(row).toContain(`\`${s.env}\``);
      if (s.default !== undefined) expect(row).toContain(`\`${String(s.default)}\``);
    }
  });
});
