import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { ShakenError } from '../../core/errors.js';
import { addInventoryEntries, exportInventory, importInventory, parseInventoryLine, readLines, removeInventoryEntries } from '../../manage/inventory.js';
import { UsageError, flag, many, optional, out, required, type CommandContext, type CommandTable } from '../command-kit.js';
import { accountOf, withStore } from '../resources.js';

const ENTRY_OPTIONS = { account: { type: 'string' }, tn: { type: 'string', multiple: true }, range: { type: 'string', multiple: true }, prefix: { type: 'string', multiple: true } } as const;

async function changeInventory(ctx: CommandContext, op: 'add' | 'remove'): Promise<void> {
  const lines = [...many(ctx, 'tn').map((v) => `tn,${v}`), ...many(ctx, 'range').map((v) => `range,${v}`), ...many(ctx, 'prefix').map((v) => `prefix,${v}`)];
  if (lines.length === 0) throw new UsageError('give at least one --tn, --range or --prefix');
  const entries = lines.map((l) => parseInventoryLine(l));
  await withStore(ctx, async (store) => {
    const account = await accountOf(ctx, store);
    if (op === 'add') await addInventoryEntries(store, account.id, entries);
    const removed = op === 'remove' ? await removeInventoryEntries(store, account.id, entries) : 0;
    const total = await store.countInventory(account.id);
    out(ctx, { op, entries: entries.length, removed, total }, () => (op === 'add' ? `added ${entries.length}` : `removed ${removed}`) + ` (inventory of ${account.name}: ${total} entries)`);
  });
}

export const INVENTORY_COMMANDS: CommandTable = {
  'inventory import': {
    summary: 'Import TN inventory from CSV (kind,value,count); all rows or none. --replace drops entries not in the file.',
    options: { account: { type: 'string' }, file: { type: 'string' }, replace: { type: 'boolean' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const file = required(ctx, 'file');
        const r = await importInventory(store, account.id, () => readLines(file), { replace: flag(ctx, 'replace') });
        if (r.errorCount > 0) {
          const shown = r.errors.map((e) => `  line ${e.line}: ${e.reason}`).join('\n');
          throw new ShakenError('ERR_REQ_FIELD_INVALID', `${r.errorCount} bad row(s), nothing imported:\n${shown}${r.errorCount > r.errors.length ? `\n  ... and ${r.errorCount - r.errors.length} more` : ''}`, { field: 'file' });
        }
        out(ctx, { imported: r.imported, total: await store.countInventory(account.id) }, () => `imported ${r.imported} entries into ${account.name}`);
      }),
  },

  'inventory export': {
    summary: 'Write the TN inventory as CSV to stdout (or --out file).',
    options: { account: { type: 'string' }, out: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const file = optional(ctx, 'out');
        const target = file ? createWriteStream(file) : process.stdout;
        for await (const line of exportInventory(store, account.id)) {
          if (!target.write(line + '\n')) await once(target, 'drain');
        }
        if (target !== process.stdout) await new Promise((r) => (target as WriteStream).end(r));
      }),
  },

  'inventory add': {
    summary: 'Add numbers (--tn), a range (--range START,COUNT) or a prefix (--prefix) to the TN inventory.',
    options: ENTRY_OPTIONS,
    run: (ctx) => changeInventory(ctx, 'add'),
  },

  'inventory remove': {
    summary: 'Remove entries from the TN inventory (same options as add).',
    options: ENTRY_OPTIONS,
    run: (ctx) => changeInventory(ctx, 'remove'),
  },
};
