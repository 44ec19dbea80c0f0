import { randomUUID } from 'node:crypto';
import type { AccountRecord } from '../ports.js';
import { passportsDigest, type CpsMechanism } from './cps-service.js';

/**
 * The configuration's choice by account name (`cpsClient.publishAccounts`, `cpsClient.destPrefixes`), kept for
 * setups written before the choice was stored on the account; an account's own choice is the primary one.
 */
export interface OobPublishRule {
  /** Account names; `*` for every account; empty for none. */
  accounts: readonly string[];
  /** Called-number prefixes (canonical digits); empty for every destination. */
  destPrefixes: readonly string[];
}

/**
 * The called numbers of a signed call that go to the STI-CPS: by the account's stored choice
 * (AccountRecord.oobPublish) when it publishes, else by the configuration's rule for its name.
 */
export function oobDestinations(account: Pick<AccountRecord, 'name' | 'oobPublish'>, rule: OobPublishRule, destTns: readonly string[]): string[] {
  const prefixes = account.oobPublish?.destPrefixes ?? (rule.accounts.includes('*') || rule.accounts.includes(account.name) ? rule.destPrefixes : undefined);
  if (prefixes === undefined) return [];
  return destTns.filter((tn) => prefixes.length === 0 || prefixes.some((p) => tn.startsWith(p)));
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
