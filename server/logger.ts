import pino, { type Logger } from 'pino';
import type { Config } from './config/schema.js';

/** One pino logger per process. Headers that carry credentials are redacted wherever they appear. */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'apiKey', 'masterKey', 'pin', 'store.url'],
      censor: '***',
    },
  });
}
