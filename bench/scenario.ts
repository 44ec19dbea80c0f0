import type { Cleanup } from './cleanup.js';
import type { LoadGenerator } from './load-generator.js';

/** A figure for the JSON line: numbers for CI to diff, strings for context (which load generator, why skipped). */
export type Figure = number | string | boolean | null;

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
}

export interface ScenarioReport {
  /** Flat `name → value` pairs, e.g. `w1.rps`; they go into the JSON line under the scenario's name. */
  figures: Record<string, Figure>;
  tables: Table[];
  /** Free-text lines printed under the tables (skips, verification notes). */
  notes: string[];
}

export interface BenchContext {
  cleanup: Cleanup;
  loadGenerator: LoadGenerator;
  /** Connections the load generator keeps open (HTTP scenarios). */
  connections: number;
  /** Progress lines go to stderr so stdout stays tables plus the JSON line. */
  progress(line: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioReport>;
}
