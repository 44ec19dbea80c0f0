import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, folderOf, importGraph, type ImportEdge } from './import-graph.js';

const ROOT = 'server';

/** The file imports that tie the folders of one cycle together, as `from -> to` lines. */
function offendingEdges(edges: ImportEdge[], folders: string[]): string[] {
  return edges
    .filter((e) => folderOf(ROOT, e.from) !== folderOf(ROOT, e.to) && folders.includes(folderOf(ROOT, e.from)) && folders.includes(folderOf(ROOT, e.to)))
    .map((e) => `${folderOf(ROOT, e.from)} -> ${folderOf(ROOT, e.to)}: ${e.from} -> ${e.to}`);
}

/** Cycles among the files of one folder (server/cli's commands and user/verify commands were one before the split). */
function fileCycles(edges: ImportEdge[]): string[][] {
  return cycles(edges.filter((e) => folderOf(ROOT, e.from) === folderOf(ROOT, e.to)));
}

describe('import graph', () => {
  it('sees static imports, type-only imports, `export … from` and dynamic import(), but not a path in a comment or a string', () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-graph-'));
    try {
      mkdirSync(join(dir, 'a'));
      mkdirSync(join(dir, 'b'));
      for (const name of ['one', 'two', 'three', 'four', 'five']) writeFileSync(join(dir, 'b', `${name}.ts`), 'export const x = 1;\n');
      writeFileSync(
        join(dir, 'a', 'main.ts'),
        [
          "import { x } from '../b/one.js';",
          "import type { x as y } from '../b/two.js';",
          "export { x as z } from '../b/three.js';",
          "export async function load() { return import('../b/four.js'); }",
          "// import { x } from '../b/five.js';",
          "const text = \"from '../b/five.js'\";",
        ].join('\n'),
      );
      const seen = importGraph(dir).map((e) => relative(dir, e.to).split('\\').join('/'));
      expect(seen.sort()).toEqual(['b/four.ts', 'b/one.ts', 'b/three.ts', 'b/two.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds a cycle through several nodes, and none in a chain', () => {
    expect(cycles([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'a' }, { from: 'c', to: 'd' }])).toEqual([['a', 'b', 'c']]);
    expect(cycles([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'a', to: 'a' }])).toEqual([]);
  });

  it('puts files directly in server/ in the folder "server" and the others in their top-level folder', () => {
    expect(folderOf(ROOT, 'server/node.ts')).toBe('server');
    expect(folderOf(ROOT, 'server/dashboard/routes/account-routes.ts')).toBe('dashboard');
  });
});

describe('server/ folders', () => {
  const edges = importGraph(ROOT);

  it('reads the whole tree', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.some((e) => e.from === 'server/node.ts' && e.to === 'server/http/app.ts')).toBe(true);
  });

  it('import each other in one direction only: no folder imports a folder that imports it back', () => {
    const folderCycles = cycles(edges.map((e) => ({ from: folderOf(ROOT, e.from), to: folderOf(ROOT, e.to) })));
    expect(folderCycles.map((folders) => ({ folders, edges: offendingEdges(edges, folders) }))).toEqual([]);
  });

  it('and no file imports a file of its own folder that imports it back', () => {
    expect(fileCycles(edges)).toEqual([]);
  });
});
