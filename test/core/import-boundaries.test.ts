import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// STYLE.md §1: if a business rule needs a transport or a database, logic has leaked out of the core.
const FORBIDDEN = [/^fastify/, /^@grpc\//, /^pg$/, /^libsql$/, /^kysely$/, /^pino$/, /\/store\//, /\/http\//, /\/grpc\//, /\/sip\//, /\/hsm\//, /\/cli\//];

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

describe('server/core import boundaries', () => {
  const dir = 'server/core';
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  it('has files to check', () => expect(files.length).toBeGreaterThan(5));
  for (const f of files) {
    it(`${f} imports no transport, database, logger or key-store implementation`, () => {
      const bad = imports(join(dir, f)).filter((spec) => FORBIDDEN.some((re) => re.test(spec)));
      expect(bad).toEqual([]);
    });
  }
});
