import { isIPv6 } from 'node:net';
import type { Socket } from 'node:net';
import { ipv6Groups } from '../core/ip-address.js';

/** Why a connection was refused: the listener's total cap, or the cap of its source. */
export type RefusedReason = 'total' | 'per_source';

export interface ConnectionCaps {
  /** Open connections at most; 0 = no cap. */
  maxConnections: number;
  /** Open connections from one source at most; 0 = no cap. */
  maxPerSource: number;
}

/**
 * The source a client is counted under (connection caps, login rate): an IPv4 address (also when mapped into
 * IPv6), or the /64 of an IPv6 address, since one host is routinely given a whole /64 and could otherwise open
 * a cap's worth per address. Case and a zone (`%eth0`) do not make another source.
 */
export function sourceKey(address: string): string {
  if (!isIPv6(address)) return address;
  const lower = address.split('%')[0]!.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7);
  const groups = ipv6Groups(lower);
  if (!groups) return lower; // node took it for IPv6 and our parser does not: count it under its own text
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/**
 * Counts the open connections of one listener, in total and per source, and resets at once any connection that
 * would go over a cap. A listener calls `admit` first thing for each accepted socket. Node's own
 * `server.maxConnections` has no per-source cap and, under node:cluster, is not enforced the same way; one
 * counter here serves HTTP and SIP alike and tells the metrics why it refused.
 */
export class ConnectionGuard {
  private total = 0;
  private readonly bySource = new Map<string, number>();

  constructor(
    private readonly caps: ConnectionCaps,
    private readonly onRefused: (reason: RefusedReason) => void = () => undefined,
  ) {}

  /** True when the socket is admitted (and counted until it closes); false when it was reset. */
  admit(socket: Socket): boolean {
    const address = socket.remoteAddress;
    // A socket already gone has no address left to count it under.
    if (address === undefined) {
      socket.destroy();
      return false;
    }
    const key = sourceKey(address);
    const fromSource = this.bySource.get(key) ?? 0;
    const reason: RefusedReason | undefined =
      this.caps.maxConnections > 0 && this.total >= this.caps.maxConnections
        ? 'total'
        : this.caps.maxPerSource > 0 && fromSource >= this.caps.maxPerSource
          ? 'per_source'
          : undefined;
    if (reason) {
      // A reset rather than a FIN: nothing to read for the client, and no TIME_WAIT left on this side.
      socket.resetAndDestroy();
      this.onRefused(reason);
      return false;
    }
    this.total++;
    this.bySource.set(key, fromSource + 1);
    socket.once('close', () => {
      this.total--;
      const left = (this.bySource.get(key) ?? 1) - 1;
      if (left > 0) this.bySource.set(key, left);
      else this.bySource.delete(key);
    });
    return true;
  }

  /** Connections open now. */
  get open(): number {
    return this.total;
  }
}
