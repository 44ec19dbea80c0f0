import type { TrustAnchor, TrustAnchors } from './trust-anchors.js';
import type { ChainCert } from './x5u-credential.js';

/** RFC 5280 §6.1 allows any length; SHAKEN paths are leaf, one or two intermediates, root. */
const MAX_PATH = 6;

export type PathVerdict =
  | { ok: true; generation: number; path: ChainCert[]; anchor: TrustAnchor }
  | { ok: false; generation: number; detail: string };

function issuedBy(child: ChainCert, issuer: { x509: ChainCert['x509'] }): boolean {
  // checkIssued compares names and key identifiers; verify() proves the signature. Both, so a look-alike name cannot pass.
  try {
    return child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/**
 * Builds a path from the leaf through the intermediates the x5u served to one of the configured anchors
 * (never the web PKI). Certificates beside the path are ignored; every intermediate must be a CA. Signature
 * checks are the costly part, so the verdict is cached per chain and anchor generation by the caller.
 */
export function buildTrustedPath(certs: readonly ChainCert[], trust: TrustAnchors): PathVerdict {
  const { generation } = trust;
  if (trust.anchors.length === 0) return { ok: false, generation, detail: trust.description };
  const path: ChainCert[] = [certs[0]!];
  const used = new Set<ChainCert>(path);
  for (let current = certs[0]!; path.length <= MAX_PATH; ) {
    // Anchors first: an operator may trust an intermediate directly, and a served root is then never needed.
    const anchor = trust.anchors.find((a) => a.subjectRaw.equals(current.fields.issuerRaw) && issuedBy(current, a));
    if (anchor) return { ok: true, generation, path, anchor };
    const next = certs.find((c) => !used.has(c) && c.info.isCa && c.fields.subjectRaw.equals(current.fields.issuerRaw) && issuedBy(current, c));
    if (!next) {
      return { ok: false, generation, detail: `no trusted issuer for "${current.info.subject}" (issuer "${current.info.issuer}"); anchors: ${trust.description}` };
    }
    path.push(next);
    used.add(next);
    current = next;
  }
  return { ok: false, generation, detail: `the path is longer than ${MAX_PATH} certificates` };
}

export type ValidityProblem = { reason: 'cert_expired' | 'cert_not_yet_valid'; detail: string } | undefined;

/** RFC 5280 §4.1.2.5 (both bounds inclusive) for every certificate of the path and its anchor, at `atMs`. */
export function validityAt(path: readonly ChainCert[], anchor: TrustAnchor, atMs: number, what: string): ValidityProblem {
  const all = [
    ...path.map((c) => ({ name: c.info.subject, from: c.info.notBefore.getTime(), to: c.info.notAfter.getTime() })),
    { name: anchor.subject, from: anchor.notBefore, to: anchor.notAfter },
  ];
  for (const c of all) {
    if (atMs < c.from) return { reason: 'cert_not_yet_valid', detail: `"${c.name}" is valid from ${new Date(c.from).toISOString()}, ${what} is ${new Date(atMs).toISOString()}` };
    if (atMs > c.to) return { reason: 'cert_expired', detail: `"${c.name}" expired at ${new Date(c.to).toISOString()}, ${what} is ${new Date(atMs).toISOString()}` };
  }
  return undefined;
}
