import { Link } from '../router.js';
import { formatDate } from '../format.js';
import type { Warning } from '../types.js';

/**
 * The banner for certificates that expire within 30 days or have expired. Each line starts with an icon and
 * a word ("Expired", "Expiring") so that it reads the same without colour.
 */
export function CertWarnings({ warnings, accountNames }: { warnings: Warning[]; accountNames: Map<string, string> }) {
  if (warnings.length === 0) return null;
  const expired = warnings.filter((w) => w.kind === 'certificate-expired').length;
  return (
    <section class={`banner ${expired > 0 ? 'banner-bad' : 'banner-warn'}`} role="alert" aria-labelledby="cert-warnings-title">
      <h2 id="cert-warnings-title">
        <span aria-hidden="true">⚠ </span>
        {warnings.length === 1 ? 'A certificate needs attention' : `${warnings.length} certificates need attention`}
      </h2>
      <ul>
        {warnings.map((w) => {
          const name = accountNames.get(w.accountId) ?? w.accountId;
          const expiredOne = w.kind === 'certificate-expired';
          return (
            <li key={w.credentialId}>
              <strong>
                <span aria-hidden="true">{expiredOne ? '✖ ' : '⚠ '}</span>
                {expiredOne ? 'Expired:' : 'Expiring:'}
              </strong>{' '}
              account <Link to={`/accounts/${encodeURIComponent(w.accountId)}`}>{name}</Link>,{' '}
              {expiredOne
                ? `certificate expired on ${formatDate(w.notAfter)} (${Math.abs(w.daysLeft)} days ago). Calls for this account cannot be signed with it.`
                : `certificate expires on ${formatDate(w.notAfter)}, in ${w.daysLeft} days. Upload a new credential before then.`}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
