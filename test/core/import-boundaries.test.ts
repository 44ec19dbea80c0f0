import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// STYLE.md §1: if a business rule needs a transport, a database, the network or the file system, logic has
// leaked out of the core. Fetching x5u and reading trust anchors come in through ports (server/verify-fetch/).
const FORBIDDEN = [
  /^fastify/, /^@grpc\//, /^pg$/, /^libsql$/, /^kysely$/, /^pino$/, /^undici/,
  /^node:(http|https|http2|net|tls|dns|fs|fs\/promises|child_process)$/,
  /\/store\//, /\/http\//, /\/grpc\//, /\/sip\//, /\/hsm\//, /\/cli\//, /verify-fetch/,
];

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

describe('server/core import boundaries', () => {
  const files = tsFiles('server/core');
  it('has files to check, in subfolders too', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files.some((f) => f.includes('/verify/'))).toBe(true);
  });
  for (const f of files) {
    it(`${f} imports no transport, network, file system, database, logger or key-store implementation`, () => {
      expect(imports(f).filter((spec) => FORBIDDEN.some((re) => re.test(spec)))).toEqual([]);
    });
  }
});
