import { createHash, X509Certificate } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';

/** The path this service publishes a chain under: `/certs/` + the first 32 hex digits of the leaf's SHA-256. */
function hostedPath(chainPem: string): string | undefined {
  const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(chainPem)?.[0];
  if (!leaf) return undefined;
  try {
    return `/certs/${createHash('sha256').update(new X509Certificate(leaf).raw).digest('hex').slice(0, 32)}.pem`;
  } catch {
    return undefined;
  }
}

/**
 * Issue 12: a credential hosted by this service stores only the path of its x5u, and each node resolves it
 * against its own publicUrl when it signs. Rows written before stored the importing process's URL in full
 * (`<publicUrl>/certs/<fingerprint>.pem`); those whose URL ends in the path derived from their own leaf are
 * this service's and become that path. Any other x5u (hosted elsewhere, given on import) is left as it is.
 * Self-contained on purpose: a migration must keep doing what it did when it shipped.
 */
export const hostedX5uPaths: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const rows = (await db.selectFrom('credentials').select(['id', 'x5u', 'chain_pem']).execute()) as { id: string; x5u: string; chain_pem: string }[];
    for (const row of rows) {
      if (!/^https?:\/\//i.test(row.x5u)) continue;
      const path = hostedPath(row.chain_pem);
      if (path !== undefined && row.x5u.endsWith(path)) {
        await db.updateTable('credentials').set({ x5u: path }).where('id', '=', row.id).execute();
      }
    }
  },
};
