import type { Orig } from '../types.js';
import type { JudgedDiv } from './div-claims.js';
import type { ChainProblem } from './passport-set.js';

export interface ChainStart {
  index: number;
  orig: Orig;
  origTn: string | undefined;
  destTns: string[];
}

export interface ChainDiv {
  /** Index of its Identity header as received. */
  index: number;
  /** The PASSporT text: two identical ones are the same PASSporT sent twice. */
  jws: string;
  /** Its claims when they could be read (even when its own verification failed), else undefined. */
  claims: JudgedDiv | undefined;
}

export interface LinkedChain {
  /** Header indexes in chain order: the shaken, then each div hop. */
  chain: number[];
  /** Hop number (1-based) by header index, for the divs on the chain. */
  hops: Map<number, number>;
  problems: ChainProblem[];
}

function sameOrig(a: Orig, aTn: string | undefined, b: JudgedDiv): boolean {
  if (aTn !== undefined || b.origTn !== undefined) return aTn === b.origTn;
  return 'uri' in a && 'uri' in b.claims.orig && a.uri === b.claims.orig.uri;
}

/**
 * Orders a call's div PASSporTs by the chain they describe (RFC 8946 §4), whatever order the headers came in:
 * the shaken `dest` holds the first div's `div`; each div's `dest` holds the next one's `div`; the last `dest`
 * must hold the number called now (not compared when it is unknown). Each div must keep the original `orig` (RFC 8946 §3). Pure: no I/O.
 */
export function linkDivChain(start: ChainStart, divs: readonly ChainDiv[], calledTn: string | undefined, maxHops: number): LinkedChain {
  const problems: ChainProblem[] = [];
  const pending: ChainDiv[] = [];
  const seen = new Map<string, number>();
  for (const d of divs) {
    const first = seen.get(d.jws);
    if (first !== undefined) {
      problems.push({ reason: 'div_duplicate', index: d.index, detail: `the same div PASSporT as header ${first + 1}` });
      continue;
    }
    seen.set(d.jws, d.index);
    if (d.claims === undefined || d.claims.divTn === undefined) {
      problems.push({ reason: 'div_unlinked', index: d.index, detail: d.claims ? 'div names a URI, not a number' : 'its claims cannot be read' });
      continue;
    }
    pending.push(d);
  }

  const chain = [start.index];
  const hops = new Map<number, number>();
  // Numbers the call has been retargeted away from: reaching one again is a loop.
  const left = new Set<string>();
  let current = start.destTns;
  while (pending.length > 0) {
    const next = pending.filter((d) => current.includes(d.claims!.divTn!));
    if (next.length === 0) break;
    if (next.length > 1) {
      problems.push({ reason: 'div_branch', index: next[1]!.index, detail: `${next.length} div PASSporTs retarget ${next[0]!.claims!.divTn} (headers ${next.map((d) => d.index + 1).join(', ')})` });
      break;
    }
    const hop = next[0]!;
    const claims = hop.claims!;
    pending.splice(pending.indexOf(hop), 1);
    if (hops.size >= maxHops) {
      problems.push({ reason: 'too_many', index: hop.index, detail: `more than ${maxHops} div hops` });
      break;
    }
    chain.push(hop.index);
    hops.set(hop.index, hops.size + 1);
    if (!sameOrig(start.orig, start.origTn, claims)) {
      problems.push({ reason: 'div_orig_mismatch', index: hop.index, detail: `div orig ${claims.origTn ?? '(uri)'}, shaken orig ${start.origTn ?? '(uri)'}` });
    }
    left.add(claims.divTn!);
    const back = claims.destTns.find((tn) => left.has(tn));
    if (back !== undefined) {
      problems.push({ reason: 'div_loop', index: hop.index, detail: `retargets back to ${back}` });
      break;
    }
    current = claims.destTns;
  }
  for (const d of pending) {
    problems.push({ reason: 'div_unlinked', index: d.index, detail: `div ${d.claims!.divTn} is in no earlier dest of the chain` });
  }
  if (calledTn !== undefined && !problems.some((p) => p.reason === 'div_loop' || p.reason === 'div_branch' || p.reason === 'too_many') && !current.includes(calledTn)) {
    problems.push({ reason: 'not_connected', detail: `the chain ends at ${current.join(',') || '(no tn)'}, the call is to ${calledTn}` });
  }
  return { chain, hops, problems };
}
