import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** A file-to-file import: `from` imports `to` (both relative to the repository root, `/`-separated). */
export interface ImportEdge {
  from: string;
  to: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [join(dir, d.name)] : [],
  );
}

const posix = (p: string): string => p.split(sep).join('/');

/**
 * Every import between the .ts files under `root`: static imports (type-only ones too: they still tie the
 * folders' designs together), `export … from` and dynamic `import()`. TypeScript's own pre-processor reads
 * them, so a specifier inside a comment or a string is not mistaken for one.
 */
export function importGraph(root: string): ImportEdge[] {
  const files = tsFiles(root);
  const known = new Set(files.map((f) => resolve(f)));
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      // The sources import each other by their compiled names (`./errors.js`).
      const target = resolve(dirname(file), fileName.replace(/\.js$/, '.ts'));
      if (known.has(target)) edges.push({ from: posix(relative('.', file)), to: posix(relative('.', target)) });
    }
  }
  return edges;
}

/** The top-level folder of `root` a file lies in; files directly in `root` belong to the folder named as `root` itself. */
export function folderOf(root: string, file: string): string {
  const parts = posix(relative(root, file)).split('/');
  return parts.length === 1 ? posix(root).split('/').pop()! : parts[0]!;
}

/** Strongly connected components of more than one node (Tarjan), each sorted; a self-loop is not a cycle here. */
export function cycles(edges: readonly { from: string; to: string }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (from === to) continue;
    if (!next.has(from)) next.set(from, new Set());
    if (!next.has(to)) next.set(to, new Set());
    next.get(from)!.add(to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}
