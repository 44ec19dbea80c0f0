import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ShakenError, isShakenError } from '../core/errors.js';
import { canonicalTn } from '../core/tn.js';
import { validateInventoryEntry, type InventoryEntry } from '../core/tn-inventory.js';
import type { Store } from '../store/store.js';

export interface RowError {
  line: number;
  reason: string;
}

export interface CheckedInventory {
  errors: RowError[];
  errorCount: number;
  /** Data lines seen (blank lines, comments and the header excluded). */
  rows: number;
}

const KINDS = new Set(['tn', 'range', 'prefix']);

function digits(value: string, field: string): string {
  const tn = canonicalTn(value, field);
  if (!/^[0-9]+$/.test(tn)) throw new ShakenError('ERR_TN_INVALID', 'inventory numbers are digits only', { field });
  return tn;
}

/** One CSV line `kind,value[,count]` → an entry; separators and a leading + in numbers are allowed. */
export function parseInventoryLine(line: string): InventoryEntry {
  const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  const [kind, value, count] = cells;
  if (!kind || !KINDS.has(kind)) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'first column must be tn, range or prefix', { field: 'kind' });
  if (!value) throw new ShakenError('ERR_REQ_FIELD_MISSING', 'second column (number, range start or prefix) is empty', { field: 'value' });
  if (kind === 'range') {
    if (!count || !/^\d+$/.test(count)) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'a range needs a count in the third column', { field: 'count' });
    return validateInventoryEntry({ kind, start: digits(value, 'value'), count: Number(count) });
  }
  if (cells.length > 2 && count !== '') throw new ShakenError('ERR_REQ_FIELD_INVALID', `a ${kind} takes no count`, { field: 'count' });
  return validateInventoryEntry(kind === 'tn' ? { kind, tn: digits(value, 'value') } : { kind: 'prefix', prefix: digits(value, 'value') });
}

type Lines = AsyncIterable<string> | Iterable<string>;

type Row = { entry: InventoryEntry; error?: undefined } | { entry?: undefined; error: RowError };

/**
 * The rows of an inventory CSV (`kind,value,count`; an optional header line, blank lines and `#` comments
 * are skipped), each an entry or an error naming its line.
 */
async function* csvRows(lines: Lines): AsyncIterable<Row> {
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || (lineNo === 1 && /^kind\s*,/i.test(line))) continue;
    try {
      yield { entry: parseInventoryLine(line) };
    } catch (e) {
      if (!isShakenError(e)) throw e;
      yield { error: { line: lineNo, reason: e.reason } };
    }
  }
}

/** Checks every row without keeping the entries; reports the first `maxErrors` bad rows and the total. */
export async function checkInventoryCsv(lines: Lines, maxErrors = 100): Promise<CheckedInventory> {
  const errors: RowError[] = [];
  let errorCount = 0;
  let rows = 0;
  for await (const row of csvRows(lines)) {
    rows++;
    if (!row.error) continue;
    errorCount++;
    if (errors.length < maxErrors) errors.push(row.error);
  }
  return { errors, errorCount, rows };
}

const CHUNK = 10_000;

/** The CSV's entries in chunks, for a store transaction to consume without holding the whole file. */
async function* inventoryChunks(lines: Lines): AsyncIterable<InventoryEntry[]> {
  let chunk: InventoryEntry[] = [];
  for await (const row of csvRows(lines)) {
    // The file changed between the passes: abort, and the transaction with it.
    if (row.error) throw new ShakenError('ERR_REQ_FIELD_INVALID', `line ${row.error.line}: ${row.error.reason}`, { field: 'file' });
    chunk.push(row.entry);
    if (chunk.length === CHUNK) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

export function readLines(path: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
}

export interface ImportResult {
  imported: number;
  errors: RowError[];
  errorCount: number;
}

/**
 * Two passes over the CSV: the first checks every row and keeps nothing; only when all rows are good does the
 * second stream the entries into one transaction, so nothing is ever half-imported and a million rows never
 * sit in memory at once. `open` must give the same lines each time it is called.
 */
export async function importInventory(store: Store, accountId: string, open: () => Lines, opts: { replace?: boolean } = {}): Promise<ImportResult> {
  const checked = await checkInventoryCsv(open());
  if (checked.errorCount > 0) return { imported: 0, errors: checked.errors, errorCount: checked.errorCount };
  let imported = 0;
  await store.addInventory(accountId, countingChunks(inventoryChunks(open()), (n) => (imported += n)), opts);
  return { imported, errors: [], errorCount: 0 };
}

async function* countingChunks(source: AsyncIterable<InventoryEntry[]>, count: (n: number) => void): AsyncIterable<InventoryEntry[]> {
  for await (const chunk of source) {
    count(chunk.length);
    yield chunk;
  }
}

export function inventoryCsvLine(e: InventoryEntry): string {
  return e.kind === 'tn' ? `tn,${e.tn},` : e.kind === 'prefix' ? `prefix,${e.prefix},` : `range,${e.start},${e.count}`;
}

/** The account's inventory as CSV lines, header first, streamed from the store in chunks. */
export async function* exportInventory(store: Store, accountId: string): AsyncIterable<string> {
  yield 'kind,value,count';
  for await (const chunk of store.streamInventory(accountId)) {
    for (const e of chunk) yield inventoryCsvLine(e);
  }
}

/** Adds entries to the account's inventory (or updates their count), all or none. */
export function addInventoryEntries(store: Store, accountId: string, entries: readonly InventoryEntry[]): Promise<void> {
  return store.addInventory(accountId, entries);
}

/** Removes entries from the account's inventory, never another's; returns how many it had. */
export function removeInventoryEntries(store: Store, accountId: string, entries: readonly InventoryEntry[]): Promise<number> {
  return store.removeInventory(accountId, entries);
}

/** Removes the entries a CSV lists; like an import, any bad row means nothing is removed. */
export async function removeInventoryCsv(store: Store, accountId: string, lines: Lines): Promise<{ removed: number; errors: RowError[]; errorCount: number }> {
  const entries: InventoryEntry[] = [];
  const errors: RowError[] = [];
  let errorCount = 0;
  for await (const row of csvRows(lines)) {
    if (row.entry) entries.push(row.entry);
    else if (++errorCount <= 100) errors.push(row.error);
  }
  if (errorCount > 0) return { removed: 0, errors, errorCount };
  return { removed: await removeInventoryEntries(store, accountId, entries), errors: [], errorCount: 0 };
}
