import { ShakenError } from '../errors.js';
import { namespaceOf } from './rph-request.js';

/**
 * Who may sign an rph PASSporT. An rph tells every network on the path to give the call priority (ETS/WPS,
 * RFC 8443 §1): only a provider that authorised the caller for that service may say so, so the right is granted
 * per account and per Resource-Priority namespace by an operator (`rphNamespaces`), never implied by attestation
 * policy. Refusals are ERR_ATTEST_REFUSED with field `rph.auth`, as the signer will not assert what it cannot back.
 */
export function assertMaySignRph(auth: readonly string[], rphNamespaces: readonly string[] | undefined): void {
  if (!rphNamespaces || rphNamespaces.length === 0) {
    throw new ShakenError('ERR_ATTEST_REFUSED', 'this account may not sign rph PASSporTs (priority calls); an operator grants the right per namespace', { field: 'rph.auth' });
  }
  for (const value of auth) {
    const namespace = namespaceOf(value);
    if (!rphNamespaces.includes(namespace)) {
      throw new ShakenError('ERR_ATTEST_REFUSED', `this account may not sign the ${namespace} Resource-Priority namespace (granted: ${rphNamespaces.join(', ')})`, { field: 'rph.auth' });
    }
  }
}
