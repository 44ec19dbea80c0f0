import type { Dest, Orig } from '../core/types.js';
import { SIP_REASON_PHRASE, type VerifyChecks, type VerifyResult } from '../core/verify/verify-result.js';

/*
 * Wire ↔ core for Verify. Decoding needs no code: proto-loader hands over VerifyRequest in the shape of the HTTP
 * verify body ({identity, pai?, from?, orig?, to?, dest?, time?, date?}) and the core validates it.
 */

/** The proto's VerifyChecks: an absent check did not run (the core's null). */
export type VerifyChecksMessage = { [K in keyof VerifyChecks]?: boolean };

/** The proto's VerifiedCert (camelCase, as proto-loader takes it). */
export interface VerifiedCertMessage {
  spc: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notAfter: number;
  fromCache: boolean;
  revocation: string;
}

/** The proto's VerifyResponse. */
export interface VerifyResponse {
  ok: boolean;
  verstat: string;
  sip?: number;
  reasonPhrase?: string;
  reason?: string;
  reasonText?: string;
  attest?: string;
  origid?: string;
  orig?: Orig;
  dest?: Dest;
  iat?: number;
  x5u?: string;
  cert?: VerifiedCertMessage;
  checks: VerifyChecksMessage;
  warnings?: string[];
  claimsJson?: string;
}

function checksMessage(checks: VerifyChecks): VerifyChecksMessage {
  const m: VerifyChecksMessage = {};
  for (const [k, v] of Object.entries(checks) as [keyof VerifyChecks, boolean | null][]) if (v !== null) m[k] = v;
  return m;
}

/** The one mapping of a verification result to the wire (STYLE.md §3); HTTP's twin is http/routes/verify.ts. */
export function verifyResponse(r: VerifyResult): VerifyResponse {
  if (r.ok) {
    const { claims, cert } = r;
    return {
      ok: true,
      verstat: r.verstat,
      attest: r.attest,
      origid: r.origid,
      orig: claims.orig,
      dest: claims.dest,
      iat: claims.iat,
      x5u: r.x5u,
      cert: {
        spc: cert.spc,
        subject: cert.subject,
        issuer: cert.issuer,
        serialNumber: cert.serialNumber,
        notAfter: Math.floor(cert.notAfter.getTime() / 1000),
        fromCache: cert.fromCache,
        revocation: cert.revocation,
      },
      checks: checksMessage(r.checks),
      warnings: r.warnings,
      claimsJson: JSON.stringify(claims),
    };
  }
  const m: VerifyResponse = {
    ok: false,
    verstat: r.verstat,
    sip: r.sip,
    reasonPhrase: SIP_REASON_PHRASE[r.sip],
    reason: r.reason,
    reasonText: r.reasonText,
    checks: checksMessage(r.checks),
  };
  if (r.x5u !== undefined) m.x5u = r.x5u;
  if (r.claims !== undefined) m.claimsJson = JSON.stringify(r.claims);
  return m;
}
