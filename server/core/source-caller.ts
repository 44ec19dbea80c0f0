import { CachedLoader, type CachedLoaderOptions } from './cached-loader.js';
import { ShakenError } from './errors.js';
import type { Clock, Directory } from './ports.js';
import type { SbcDialect } from './sbc-dialect.js';
import { SipSourceTable } from './sip-sources.js';
import type { CallerContext, Transport } from './types.js';

/** Who is calling, told by the address a SIP request came from (issue 5: accounts by source CIDR). */
export interface SourceResolver {
  /** The caller an address belongs to; ERR_AUTH_INVALID when it belongs to no account. */
  resolve(address: string, transport: Transport): Promise<CallerContext>;
  /**
   * The SBC dialect of the block an address belongs to (undefined for none, or no block): from the same cached
   * table as `resolve`, so a call's answer learns it without a store read.
   */
  dialectOf(address: string): Promise<SbcDialect | undefined>;
  invalidate(): void;
}

/** Addresses remembered per table, so a busy trunk is looked up once per change, not per call. */
const MAX_REMEMBERED = 10_000;

export function createSourceResolver(directory: Pick<Directory, 'listSipSources'>, clock: Clock, cache: CachedLoaderOptions): SourceResolver {
  type Seen = { caller: CallerContext; dialect: SbcDialect | undefined } | null;
  const tables = new CachedLoader<'all', { table: SipSourceTable; seen: Map<string, Seen> }>(
    async () => ({ table: new SipSourceTable(await directory.listSipSources()), seen: new Map() }),
    clock,
    cache,
  );
  async function seen(address: string, transport: Transport): Promise<Seen> {
    const state = tables.peek('all') ?? (await tables.get('all'));
    let entry = state.seen.get(address);
    if (entry === undefined) {
      const source = state.table.lookup(address);
      entry = source ? { caller: { accountId: source.accountId, sourceKind: source.sourceKind, transport }, dialect: source.dialect } : null;
      if (state.seen.size >= MAX_REMEMBERED) state.seen.clear();
      state.seen.set(address, entry);
    }
    return entry;
  }
  return {
    async resolve(address, transport) {
      const caller = (await seen(address, transport))?.caller;
      if (!caller) throw new ShakenError('ERR_AUTH_INVALID', 'the source address is not a SIP source of any account', { field: 'source' });
      return caller.transport === transport ? caller : { ...caller, transport };
    },
    async dialectOf(address) {
      return (await seen(address, 'sip'))?.dialect;
    },
    invalidate() {
      tables.clear();
    },
  };
}
