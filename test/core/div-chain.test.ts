import { describe, expect, it } from 'vitest';
import { linkDivChain, type ChainDiv } from '../../server/core/div/div-chain.js';
import type { JudgedDiv } from '../../server/core/div/div-claims.js';

const ORIG = { tn: '14045266060' };
const start = { index: 0, orig: ORIG, origTn: '14045266060', destTns: ['100'] };

function hop(index: number, from: string, to: string, origTn = '14045266060'): ChainDiv {
  const claims: JudgedDiv = { claims: { dest: { tn: [to] }, div: { tn: from }, iat: 1, orig: { tn: origTn } }, iat: 1, origTn, destTns: [to], divTn: from };
  return { index, jws: `jws-${index}-${from}-${to}-${origTn}`, claims };
}

describe('linking div PASSporTs into one chain (RFC 8946 §4)', () => {
  it('links hops given in reverse order and ends at the called number', () => {
    const r = linkDivChain(start, [hop(3, '102', '103'), hop(2, '101', '102'), hop(1, '100', '101')], '103', 10);
    expect(r).toMatchObject({ chain: [0, 1, 2, 3], problems: [] });
    expect([...r.hops]).toEqual([[1, 1], [2, 2], [3, 3]]);
  });

  it('stops after the hop limit and says so', () => {
    const hops = Array.from({ length: 4 }, (_, i) => hop(i + 1, String(100 + i), String(101 + i)));
    const r = linkDivChain(start, hops, '104', 3);
    expect(r.chain).toEqual([0, 1, 2, 3]);
    expect(r.problems.map((p) => [p.reason, p.index])).toEqual([['too_many', 4]]);
  });

  it('reports a div naming a URI, or with unreadable claims, as off the chain', () => {
    const uri: ChainDiv = { index: 1, jws: 'u', claims: { ...hop(1, '100', '101').claims!, divTn: undefined } };
    const r = linkDivChain(start, [uri, { index: 2, jws: 'x', claims: undefined }], '100', 10);
    expect(r.problems.map((p) => [p.reason, p.index])).toEqual([['div_unlinked', 1], ['div_unlinked', 2]]);
    expect(r.chain).toEqual([0]);
  });

  it('finds a loop back to the first number even when it is the called number', () => {
    const r = linkDivChain(start, [hop(1, '100', '101'), hop(2, '101', '100')], '100', 10);
    expect(r.problems.map((p) => p.reason)).toEqual(['div_loop']);
  });
});
