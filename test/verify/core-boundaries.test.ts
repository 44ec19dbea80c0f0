import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// STYLE.md §1 for the verification core: no transport, store or logger, and no network or file access of its
// own; fetching and reading trust anchors come in through verify-ports.ts (server/verify-fetch/ implements them).
const FORBIDDEN = [/^fastify/, /^@grpc\//, /^pg$/, /^libsql$/, /^kysely$/, /^pino$/, /^undici/, /^node:(http|https|http2|net|tls|dns|fs|fs\/promises|child_process)$/, /\/store\//, /\/http\//, /\/grpc\//, /\/sip\//, /\/hsm\//, /\/cli\//, /verify-fetch/];

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

describe('server/core/verify import boundaries', () => {
  const dir = 'server/core/verify';
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  it('has files to check', () => expect(files.length).toBeGreaterThan(5));
  for (const f of files) {
    it(`${f} imports no transport, network, file system, database or logger`, () => {
      expect(imports(join(dir, f)).filter((spec) => FORBIDDEN.some((re) => re.test(spec)))).toEqual([]);
    });
  }
});
