#!/usr/bin/env node
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isShakenError } from '../core/errors.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from '../logger.js';
import { COMMANDS, UsageError, usage } from './commands.js';

const GLOBAL_OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

async function main(argv: string[]): Promise<number> {
  const [group, maybeAction, ...rest] = argv;
  if (!group || group === '--help' || group === '-h' || group === 'help') {
    process.stdout.write(usage());
    return group ? 0 : 64;
  }
  const twoWord = maybeAction !== undefined && COMMANDS[`${group} ${maybeAction}`] !== undefined;
  const name = twoWord ? `${group} ${maybeAction}` : group;
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${twoWord ? name : group}"`);
  const args = twoWord ? rest : maybeAction === undefined ? [] : [maybeAction, ...rest];
  const parsed = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    process.stdout.write(usage(name));
    return 0;
  }
  const config = loadConfig({ file: values.config as string | undefined });
  if (name === 'serve') {
    const { serve } = await import('../serve.js');
    await serve(config, createLogger(config.logLevel));
    return -1;
  }
  const code = await command.run({ config, values, positionals: parsed.positionals, json: values.json === true });
  return typeof code === 'number' ? code : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`shakenstack: ${(e as Error).message}\n\n${usage()}`);
      process.exitCode = 64;
    } else if (e instanceof ConfigError) {
      process.stderr.write(`shakenstack: ${e.message}\n`);
      process.exitCode = 78;
    } else if (isShakenError(e)) {
      process.stderr.write(`shakenstack: ${e.reason}${e.field ? ` (${e.field})` : ''} [${e.code}]\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`shakenstack: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  },
);
