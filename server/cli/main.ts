#!/usr/bin/env node
// First: it must hold a nextTick entry before any full GC can free that entry's maps (see the module).
import './next-tick-shape.js';
import cluster from 'node:cluster';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isShakenError, type ErrorCode } from '../core/errors.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { UsageError, type CommandContext } from './command-kit.js';
import { COMMANDS, usage } from './registry.js';

const GLOBAL_OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** sysexits.h EX_CONFIG: the configuration is wrong; restarting without changing it cannot help. */
const EX_CONFIG = 78;

/**
 * Key-store failures that only the configuration can fix: a PKCS#11 library, token or PIN setting that does not
 * work. A supervisor (systemd, Kubernetes) then sees a configuration error, not a crash worth restarting.
 */
const CONFIGURATION_CODES: ReadonlySet<ErrorCode> = new Set(['ERR_KEYSTORE_CONFIG', 'ERR_KEYSTORE_LOGIN_FAILED']);

/** The exit code; undefined leaves it at 0 (and a `serve` that listens to its signals). */
async function main(argv: string[]): Promise<number | undefined> {
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
  const values = parsed.values as CommandContext['values'];
  if (values.help) {
    process.stdout.write(usage(name));
    return 0;
  }
  const config = loadConfig({ file: values.config as string | undefined });
  const code = await command.run({ config, values, positionals: parsed.positionals, json: values.json === true });
  return typeof code === 'number' ? code : undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`shakenstack: ${(e as Error).message}\n\n${usage()}`);
      process.exitCode = 64;
    } else if (e instanceof ConfigError) {
      process.stderr.write(`shakenstack: ${e.message}\n`);
      process.exitCode = EX_CONFIG;
    } else if (isShakenError(e)) {
      process.stderr.write(`shakenstack: ${e.reason}${e.field ? ` (${e.field})` : ''} [${e.code}]\n`);
      process.exitCode = CONFIGURATION_CODES.has(e.code) ? EX_CONFIG : 1;
    } else {
      process.stderr.write(`shakenstack: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
    // A cluster worker's channel to the primary keeps it alive: let go, so the primary sees it exit with the code.
    if (cluster.isWorker) cluster.worker!.disconnect();
  },
);
