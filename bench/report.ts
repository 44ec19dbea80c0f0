import { cpus, loadavg, totalmem } from 'node:os';
import type { Figure, Table } from './scenario.js';

export function fmtInt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

export function fmtMs(x: number): string {
  return x < 10 ? x.toFixed(2) : x.toFixed(1);
}

/** The `q` quantile (0 to 1) of ascending `sorted` values, by nearest rank below; `empty` when there are none. */
export function percentile(sorted: ArrayLike<number>, q: number, empty = Number.NaN): number {
  return sorted.length === 0 ? empty : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function formatTable(t: Table): string {
  const all = [t.columns, ...t.rows];
  const widths = t.columns.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [t.title, line(t.columns), rule, ...t.rows.map(line)].join('\n');
}

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  memGiB: number;
  /** 1-minute load average at start: other work on the machine skews every figure. */
  load1: number;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    node: process.version,
    memGiB: round(totalmem() / 2 ** 30, 1),
    load1: round(loadavg()[0]!, 2),
  };
}

export interface Check {
  /** Key in the JSON line. */
  id: string;
  name: string;
  value: number | undefined;
  /** Printed unit of the value, e.g. `ms`, `x`. */
  unit: string;
  op: '>=' | '<' | '<=' | '=' | 'info';
  bound?: number;
}

export type Verdict = 'PASS' | 'MISS' | 'n/a' | '';

export function verdict(c: Check): Verdict {
  if (c.op === 'info') return '';
  if (c.value === undefined || !Number.isFinite(c.value)) return 'n/a';
  const ok = c.op === '>=' ? c.value >= c.bound! : c.op === '<' ? c.value < c.bound! : c.op === '<=' ? c.value <= c.bound! : c.value === c.bound;
  return ok ? 'PASS' : 'MISS';
}

const DIGITS: Record<string, number> = { x: 2, ms: 2, MB: 0, '': 0 };

export function checksTable(checks: Check[]): Table {
  return {
    title: 'Ratios and targets (a MISS is reported, never an exit code)',
    columns: ['figure', 'value', 'target', 'verdict'],
    rows: checks.map((c) => [
      c.name,
      c.value === undefined || !Number.isFinite(c.value) ? 'n/a' : `${c.value.toFixed(DIGITS[c.unit] ?? 1)} ${c.unit}`.trimEnd(),
      c.op === 'info' ? '' : `${c.op} ${c.bound} ${c.unit}`.trimEnd(),
      verdict(c),
    ]),
  };
}

/** Reads a numeric figure from the collected results, or undefined when that scenario did not run. */
export function num(figures: Record<string, Record<string, Figure>>, scenario: string, key: string): number | undefined {
  const v = figures[scenario]?.[key];
  return typeof v === 'number' ? v : undefined;
}
