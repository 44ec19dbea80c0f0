import { CachedLoader, type CachedLoaderOptions } from './cached-loader.js';
import { ShakenError } from './errors.js';
import type { Clock, Directory } from './ports.js';
import { SipSourceTable } from './sip-sources.js';
import type { CallerContext, Transport } from './types.js';

/** Who is calling, told by the address a SIP request came from (issue 5: accounts by source CIDR). */
export interface SourceResolver {
  /** The caller an address belongs to; ERR_AUTH_INVALID when it belongs to no account. */
  resolve(address: string, transport: Transport): Promise<CallerContext>;
  invalidate(): void;
}

/** Addresses remembered per table, so a busy trunk is looked up once per change, not per call. */
const MAX_REMEMBERED = 10_000;

export function createSourceResolver(directory: Pick<Directory, 'listSipSources'>, clock: Clock, cache: CachedLoaderOptions): SourceResolver {
  const tables = new CachedLoader<'all', { table: SipSourceTable; seen: Map<string, CallerContext | null> }>(
    async () => ({ table: new SipSourceTable(await directory.listSipSources()), seen: new Map() }),
    clock,
    cache,
  );
  return {
    async resolve(address, transport) {
      const state = tables.peek('all') ?? (await tables.get('all'));
      let caller = state.seen.get(address);
      if (caller === undefined) {
        const source = state.table.lookup(address);
        caller = source ? { accountId: source.accountId, sourceKind: source.sourceKind, transport } : null;
        if (state.seen.size >= MAX_REMEMBERED) state.seen.clear();
        state.seen.set(address, caller);
      }
      if (!caller) throw new ShakenError('ERR_AUTH_INVALID', 'the source address is not a SIP source of any account', { field: 'source' });
      return caller.transport === transport ? caller : { ...caller, transport };
    },
    invalidate() {
      tables.clear();
    },
  };
}
