import { randomUUID } from 'node:crypto';
import { passportsDigest, type CpsMechanism } from './cps-service.js';

/** Which signed calls also go to the STI-CPS: by account name and by called-number prefix (routes that cross TDM). */
export interface OobPublishRule {
  /** Account names; `*` for every account; empty for none. */
  accounts: readonly string[];
  /** Called-number prefixes (canonical digits); empty for every destination. */
  destPrefixes: readonly string[];
}

export function publishesAccount(rule: OobPublishRule, accountName: string): boolean {
  return rule.accounts.includes('*') || rule.accounts.includes(accountName);
}

export function publishesDest(rule: OobPublishRule, destTn: string): boolean {
  return rule.destPrefixes.length === 0 || rule.destPrefixes.some((p) => destTn.startsWith(p));
}

/** Where a request for this call goes under the CPS base URL (the paths of server/cps/cps-routes.ts). */
export function cpsPath(mechanism: CpsMechanism, spc: string, destTn: string, origTn: string): string {
  return mechanism === 'atis-1000105' ? `/passports/${encodeURIComponent(spc)}/${destTn}/${origTn}` : `/passports/${destTn}/${origTn}`;
}

/**
 * The request token's claims (TransNexus's published shape for its ATIS-1000096 CPS): the requester's SPC as
 * iss and spc, a fresh jti, the call's numbers, and for a publish the digest of the body and exp.
 */
export function requestClaims(
  action: 'publish' | 'retrieve',
  p: { audience: string; spc: string; origTn: string; destTn: string; nowSec: number; expSec?: number; passports?: readonly string[] },
): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    action,
    aud: p.audience,
    dest: { tn: [p.destTn] },
    iat: p.nowSec,
    iss: p.spc,
    jti: randomUUID(),
    orig: { tn: p.origTn },
    spc: p.spc,
  };
  if (p.expSec !== undefined) claims.exp = p.nowSec + p.expSec;
  if (p.passports) claims.passports = passportsDigest(p.passports);
  return claims;
}
