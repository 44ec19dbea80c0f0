import type { Migration, MigrationProvider } from 'kysely';
import type { StoreEngine } from '../schema.js';
import { initial } from './001-initial.js';
import { attestationPolicy } from './002-attestation-policy.js';
import { routingRules } from './003-routing-rules.js';
import { sipSources } from './004-sip-sources.js';
import { dashboard } from './005-dashboard.js';
import { requestLogJournal } from './006-request-log-journal.js';
import { hostedX5uPaths } from './007-hosted-x5u-paths.js';
import { loginAttempts } from './008-login-attempts.js';
import { requestLogPassports } from './009-request-log-passports.js';
import { rphNamespaces } from './010-rph-namespaces.js';
import { sipSourceDialects } from './011-sip-source-dialects.js';
import { rcdProfiles } from './012-rcd-profiles.js';
import { requestLogRcd } from './013-request-log-rcd.js';
import { oobPublish } from './014-oob-publish.js';
import { rcdNestedDigests } from './015-rcd-nested-digests.js';

/**
 * Every migration, in order. Names are the sort key kysely records in `kysely_migration`: never rename one
 * that has shipped, only append.
 */
export function migrationProvider(engine: StoreEngine): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '001-initial': initial(engine),
    '002-attestation-policy': attestationPolicy,
    '003-routing-rules': routingRules,
    '004-sip-sources': sipSources,
    '005-dashboard': dashboard(engine),
    '006-request-log-journal': requestLogJournal,
    '007-hosted-x5u-paths': hostedX5uPaths,
    '008-login-attempts': loginAttempts,
    '009-request-log-passports': requestLogPassports,
    '010-rph-namespaces': rphNamespaces,
    '011-sip-source-dialects': sipSourceDialects,
    '012-rcd-profiles': rcdProfiles,
    '013-request-log-rcd': requestLogRcd,
    '014-oob-publish': oobPublish,
    '015-rcd-nested-digests': rcdNestedDigests,
  };
  return { getMigrations: async () => migrations };
}
