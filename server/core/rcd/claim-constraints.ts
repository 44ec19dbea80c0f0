import { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { certificateFields } from '../der.js';
import { canonicalJson } from './canonical-json.js';

/**
 * JWT Claim Constraints of a STIR certificate, as far as they bear on Rich Call Data: RFC 8226 §8
 * (JWTClaimConstraints: `mustInclude`, `permittedValues`) and RFC 9118 (EnhancedJWTClaimConstraints, which adds
 * `mustExclude`). A certificate issued to a party vetted for one brand can so pin the `rcd` (and `rcdi`, `crn`)
 * a PASSporT signed with it may carry; a PASSporT outside the constraints is not backed by the certificate.
 *
 * Values: RFC 8226 compares a claim with permitted UTF8Strings. A string claim (`crn`) is compared as is; an
 * object claim (`rcd`, `rcdi`) as its RFC 8225 §9 deterministic JSON (sorted members, no white space), the form
 * every PASSporT of this service is signed in. That reading of how an object claim is written as a permitted
 * value is ours (RFC 9795's own text on JWT Claim Constraints for rcd could not be read here; docs/branded-calls.md).
 */
export interface ClaimConstraints {
  /** Which extension: `JWTClaimConstraints` (RFC 8226) or `EnhancedJWTClaimConstraints` (RFC 9118). */
  extension: 'JWTClaimConstraints' | 'EnhancedJWTClaimConstraints';
  mustInclude: string[];
  /** Claim name → the values it may take. */
  permittedValues: Record<string, string[]>;
  /** RFC 9118 only. */
  mustExclude: string[];
}

/** A signing certificate's JWT Claim Constraints, or why they could not be read. */
export type SignerConstraints = { ok: true; list: readonly ClaimConstraints[] } | { ok: false; detail: string };

/** id-pe-JWTClaimConstraints (RFC 8226 §8) and id-pe-eJWTClaimConstraints (RFC 9118). */
const OID_JCC = '1.3.6.1.5.5.7.1.27';
const OID_EJCC = '1.3.6.1.5.5.7.1.33';

/** The claims this service judges against constraints: those of RFC 9795 (the rest of a PASSporT is unchanged). */
export const RCD_CLAIMS: readonly string[] = ['crn', 'rcd', 'rcdi'];

export class ClaimConstraintsError extends Error {}

function isUniversal(b: asn1js.AsnType, tag: number): boolean {
  return b.idBlock.tagClass === 1 && b.idBlock.tagNumber === tag;
}

function childrenOf(b: asn1js.AsnType): asn1js.AsnType[] {
  const v = (b as asn1js.Constructed).valueBlock?.value;
  if (!Array.isArray(v)) throw new ClaimConstraintsError('a constructed element was expected');
  return v as asn1js.AsnType[];
}

function text(b: asn1js.AsnType): string {
  if (b instanceof asn1js.IA5String || b instanceof asn1js.Utf8String) return b.getValue();
  throw new ClaimConstraintsError('a claim name or value is not an IA5String/UTF8String');
}

/**
 * The list inside a context-tagged field. The RFC 8226 module has EXPLICIT TAGS (the tag wraps the SEQUENCE);
 * both forms are read, as with TNAuthList (cert-chain.ts): explicit when the tag holds exactly one SEQUENCE whose
 * own elements are of the list's element kind (`nested`: SEQUENCEs for permittedValues, strings for names).
 */
function listIn(tagged: asn1js.AsnType, nested: boolean): asn1js.AsnType[] {
  const kids = childrenOf(tagged);
  if (kids.length === 1 && isUniversal(kids[0]!, 16)) {
    const inner = childrenOf(kids[0]!);
    const innerIsList = inner.length > 0 && (nested ? isUniversal(inner[0]!, 16) : !isUniversal(inner[0]!, 16));
    if (innerIsList) return inner;
  }
  return kids;
}

function parseValue(der: ArrayBuffer, extension: ClaimConstraints['extension']): ClaimConstraints {
  const decoded = asn1js.fromBER(der);
  if (decoded.offset === -1 || !isUniversal(decoded.result, 16)) throw new ClaimConstraintsError(`${extension} is not a SEQUENCE`);
  const out: ClaimConstraints = { extension, mustInclude: [], permittedValues: {}, mustExclude: [] };
  for (const field of childrenOf(decoded.result)) {
    if (field.idBlock.tagClass !== 3) throw new ClaimConstraintsError(`${extension} has an untagged field`);
    const tag = field.idBlock.tagNumber;
    if (tag === 0) out.mustInclude = listIn(field, false).map(text);
    else if (tag === 2 && extension === 'EnhancedJWTClaimConstraints') out.mustExclude = listIn(field, false).map(text);
    else if (tag === 1) {
      for (const entry of listIn(field, true)) {
        const [claim, values] = childrenOf(entry);
        if (claim === undefined || values === undefined) throw new ClaimConstraintsError('a permittedValues entry lacks its claim or values');
        out.permittedValues[text(claim)] = childrenOf(values).map(text);
      }
    } else throw new ClaimConstraintsError(`${extension} has an unknown field [${tag}]`);
  }
  return out;
}

/**
 * The JWT Claim Constraints extensions of a certificate (DER), parsed, in the certificate's order; empty when it has
 * none. The certificate is walked with der.ts (as the chain reader does: asn1js on a whole certificate costs about
 * seven times node's own parse) and asn1js reads only the extension values. Throws when one is present but does not
 * decode: a verifier then cannot tell what the issuer allowed and must not take the RCD as backed.
 */
export function claimConstraintsOf(der: Uint8Array): ClaimConstraints[] {
  const found: ClaimConstraints[] = [];
  for (const [oid, value] of certificateFields(der).extensions) {
    const extension = oid === OID_JCC ? 'JWTClaimConstraints' : oid === OID_EJCC ? 'EnhancedJWTClaimConstraints' : undefined;
    if (extension !== undefined) found.push(parseValue(new Uint8Array(value).buffer, extension));
  }
  return found;
}

/** Constraints of the leaf of a PEM chain (the first certificate). */
export function claimConstraintsOfPem(chainPem: string): ClaimConstraints[] {
  return claimConstraintsOf(new X509Certificate(chainPem).raw);
}

/** A signing certificate's constraints as a result: what the signer and the verifier both keep per certificate. */
export function signerConstraintsOf(der: Uint8Array): SignerConstraints {
  try {
    return { ok: true, list: claimConstraintsOf(der) };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

/** One constraint an RCD claim breaks: `field` is `jcc.<claim>`, `detail` says which rule. */
export interface ConstraintFailure {
  field: string;
  detail: string;
}

function asPermittedValue(v: unknown): string {
  return typeof v === 'string' ? v : canonicalJson(v);
}

/**
 * What the RCD claims (`rcd`, `rcdi`, `crn`) of a PASSporT break of the certificate's constraints: a claim that
 * `mustInclude` names and is absent, a present claim whose value is not among its `permittedValues`, a present
 * claim that `mustExclude` names. Constraints on other claims are not judged here. Empty: the RCD is within them.
 */
export function rcdConstraintFailures(claims: Record<string, unknown>, constraints: readonly ClaimConstraints[]): ConstraintFailure[] {
  const failures: ConstraintFailure[] = [];
  const rcdClaim = (name: string) => RCD_CLAIMS.includes(name);
  for (const c of constraints) {
    const src = c.extension === 'JWTClaimConstraints' ? 'RFC 8226 JWTClaimConstraints' : 'RFC 9118 EnhancedJWTClaimConstraints';
    for (const name of c.mustInclude.filter(rcdClaim)) {
      if (claims[name] === undefined) failures.push({ field: `jcc.${name}`, detail: `the certificate's ${src} requires ${name}, which is absent` });
    }
    for (const [name, values] of Object.entries(c.permittedValues)) {
      if (!rcdClaim(name) || claims[name] === undefined) continue;
      if (!values.includes(asPermittedValue(claims[name]))) failures.push({ field: `jcc.${name}`, detail: `the certificate's ${src} permits ${name} only as ${values.map((v) => JSON.stringify(v)).join(' or ')}` });
    }
    for (const name of c.mustExclude.filter(rcdClaim)) {
      if (claims[name] !== undefined) failures.push({ field: `jcc.${name}`, detail: `the certificate's ${src} excludes ${name}` });
    }
  }
  return failures;
}
