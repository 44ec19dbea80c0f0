import type { Config } from './schema.js';

/** What `openStore` needs, from the configuration. */
export function storeOptions(config: Config) {
  return config.store.engine === 'postgres'
    ? {
        engine: 'postgres' as const,
        url: config.store.url!,
        poolSize: config.store.poolSize,
        connectTimeoutMs: config.store.connectTimeoutMs,
        queryTimeoutMs: config.store.queryTimeoutMs,
      }
    : { engine: 'embedded' as const, dataDir: config.dataDir };
}
