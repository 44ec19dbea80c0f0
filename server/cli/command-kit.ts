import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config/schema.js';

/*
 * What every command file builds on: the command's shape, reading its arguments, printing its answer, and the
 * usage text. It imports no command, so main → registry → command groups → kit has no cycle.
 */

/** A mistake in the command line itself: exit 64 with the usage text. */
export class UsageError extends Error {}

export interface CommandContext {
  config: Config;
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  json: boolean;
}

export interface Command {
  summary: string;
  /** The positional arguments as the usage text shows them, e.g. `<name|id>`. */
  args?: string;
  options: ParseArgsConfig['options'];
  /** A number is the exit code (verify: 1 when the token fails); nothing leaves it at 0. */
  run(ctx: CommandContext): Promise<void | number>;
}

/** Commands by their name as typed: one word (`sign`) or two (`account create`). */
export type CommandTable = Record<string, Command>;

/** Who the audit log names for a change made on the command line. */
export const CLI_ACTOR = { id: null, username: 'cli' };

/** A string option, absent when not given. */
export function optional(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function required(ctx: CommandContext, name: string): string {
  const v = optional(ctx, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}

/** Every value of an option declared `multiple: true`, in the order given. */
export function many(ctx: CommandContext, name: string): string[] {
  const v = ctx.values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function positional(ctx: CommandContext, index: number, what: string): string {
  const v = ctx.positionals[index];
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
}

/** The answer: `data` as JSON with --json, else the text for a person. */
export function out(ctx: CommandContext, data: unknown, text: () => string): void {
  process.stdout.write(ctx.json ? JSON.stringify(data, null, 2) + '\n' : text() + '\n');
}

/** Rows as columns padded to their widest cell; the first row is the heading. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** The usage of one command (`name`), or the list of all of them. */
export function usageText(commands: CommandTable, name?: string): string {
  const c = name === undefined ? undefined : commands[name];
  if (c) {
    const opts = Object.keys(c.options ?? {}).map((o) => `--${o}`).join(' ');
    return `usage: shakenstack ${name}${c.args ? ' ' + c.args : ''} ${opts} [--config file.json] [--json]\n  ${c.summary}\n`;
  }
  const lines = Object.entries(commands).map(([n, cmd]) => `  ${(n + (cmd.args ? ' ' + cmd.args : '')).padEnd(28)} ${cmd.summary}`);
  return `usage: shakenstack <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nglobal options: --config <file.json>  --json  --help\n`;
}
