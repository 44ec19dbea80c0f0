import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
