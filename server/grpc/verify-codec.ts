import type { Dest, Orig } from '../core/types.js';
import type { RcdReport } from '../core/rcd/rcd-types.js';
import { SIP_REASON_PHRASE, type CallReport, type PassportReport, type VerifiedCert, type VerifyChecks, type VerifyResult } from '../core/verify/verify-result.js';

/*
 * Wire ↔ core for Verify. Decoding needs no code: proto-loader hands over VerifyRequest in the shape of the HTTP
 * verify body ({identity, pai?, from?, orig?, to?, dest?, ruri?, time?, date?, resourcePriority?}) and the core validates it.
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

/** The proto's VerifyPassportVerdict. */
export interface VerifyPassportVerdictMessage {
  index: number;
  kind: string;
  ppt?: string;
  hop?: number;
  nestedIn?: number;
  ok?: boolean;
  verstat?: string;
  sip?: number;
  reasonPhrase?: string;
  reason?: string;
  reasonText?: string;
  claimsJson?: string;
  x5u?: string;
  cert?: VerifiedCertMessage;
  checks?: VerifyChecksMessage;
  warnings?: string[];
  rph?: VerifyRphMessage;
  rcd?: RcdReportMessage;
}

/** The proto's VerifyRph: a null agreement (not comparable) is an absent field. */
export interface VerifyRphMessage {
  auth: string[];
  sph?: string;
  agreesWithShaken?: boolean;
  agreesWithCaller?: boolean;
  authorizes: boolean;
}

/** The proto's RcdReport: the inline jCard as JSON text. */
export interface RcdReportMessage {
  ok: boolean;
  placement: string;
  verified: { nam?: string; apn?: string; crn?: string; icn?: string; jcl?: string; jcdJson?: string };
  failed: { field: string; detail: string }[];
}

function rcdMessage(r: RcdReport): RcdReportMessage {
  const { jcd, ...verified } = r.verified;
  return { ok: r.ok, placement: r.placement, verified: { ...verified, ...(jcd === undefined ? {} : { jcdJson: JSON.stringify(jcd) }) }, failed: r.failed };
}

/** The proto's VerifyCallVerdict. */
export interface VerifyCallVerdictMessage {
  passports: VerifyPassportVerdictMessage[];
  chain: number[];
  problems: { reason: string; index?: number; detail: string }[];
  priority?: CallReport['priority'];
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
  call?: VerifyCallVerdictMessage;
  rcd?: RcdReportMessage;
  source?: string;
}

function certMessage(cert: VerifiedCert): VerifiedCertMessage {
  return {
    spc: cert.spc,
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notAfter: Math.floor(cert.notAfter.getTime() / 1000),
    fromCache: cert.fromCache,
    revocation: cert.revocation,
  };
}

function passportMessage(p: PassportReport): VerifyPassportVerdictMessage {
  const m: VerifyPassportVerdictMessage = { index: p.index, kind: p.kind };
  if (p.ppt !== undefined) m.ppt = p.ppt;
  if (p.hop !== undefined) m.hop = p.hop;
  if (p.nestedIn !== undefined) m.nestedIn = p.nestedIn;
  if (p.ok !== null) m.ok = p.ok;
  if (p.verstat !== undefined) m.verstat = p.verstat;
  if (p.sip !== undefined) {
    m.sip = p.sip;
    m.reasonPhrase = SIP_REASON_PHRASE[p.sip];
  }
  if (p.reason !== undefined) m.reason = p.reason;
  if (p.reasonText !== undefined) m.reasonText = p.reasonText;
  if (p.claims !== undefined) m.claimsJson = JSON.stringify(p.claims);
  if (p.x5u !== undefined) m.x5u = p.x5u;
  if (p.cert !== undefined) m.cert = certMessage(p.cert);
  if (p.checks !== undefined) m.checks = checksMessage(p.checks);
  if (p.warnings !== undefined) m.warnings = p.warnings;
  if (p.rph !== undefined) m.rph = rphMessage(p.rph);
  if (p.rcd !== undefined) m.rcd = rcdMessage(p.rcd);
  return m;
}

function rphMessage(r: NonNullable<PassportReport['rph']>): VerifyRphMessage {
  const m: VerifyRphMessage = { auth: r.auth, authorizes: r.authorizes };
  if (r.sph !== undefined) m.sph = r.sph;
  if (r.agreesWithShaken !== null) m.agreesWithShaken = r.agreesWithShaken;
  if (r.agreesWithCaller !== null) m.agreesWithCaller = r.agreesWithCaller;
  return m;
}

function callMessage(call: CallReport): VerifyCallVerdictMessage {
  const m: VerifyCallVerdictMessage = { passports: call.passports.map(passportMessage), chain: call.chain, problems: call.problems };
  if (call.priority !== undefined) m.priority = call.priority;
  return m;
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
      cert: certMessage(cert),
      checks: checksMessage(r.checks),
      warnings: r.warnings,
      claimsJson: JSON.stringify(claims),
      ...(r.rcd === undefined ? {} : { rcd: rcdMessage(r.rcd) }),
      ...(r.call === undefined ? {} : { call: callMessage(r.call) }),
      ...(r.source === undefined ? {} : { source: r.source }),
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
  if (r.call !== undefined) m.call = callMessage(r.call);
  if (r.source !== undefined) m.source = r.source;
  return m;
}
