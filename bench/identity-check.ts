import { X509Certificate, verify, type KeyObject } from 'node:crypto';

export interface CheckedPassport {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/**
 * Throws unless `identity` is an RFC 8224 Identity value (`<jws>;info=<…>;…`) whose compact JWS is an ES256
 * PASSporT signed by `publicKey` (RFC 8225 §5, RFC 8588 §3). A bench only trusts a server's numbers after
 * one of its answers passes this.
 */
export function checkIdentity(identity: string, publicKey: KeyObject): CheckedPassport {
  const jws = identity.split(';')[0]!.trim();
  const parts = jws.split('.');
  if (parts.length !== 3) throw new Error(`not a compact JWS: ${identity.slice(0, 120)}`);
  const [h, p, s] = parts as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  if (header.alg !== 'ES256' || header.ppt !== 'shaken') throw new Error(`unexpected PASSporT header ${JSON.stringify(header)}`);
  for (const claim of ['attest', 'dest', 'iat', 'orig', 'origid']) {
    if (!(claim in claims)) throw new Error(`PASSporT lacks the ${claim} claim`);
  }
  const signature = Buffer.from(s, 'base64url');
  if (signature.length !== 64) throw new Error(`ES256 signature is ${signature.length} bytes, not 64`);
  if (!verify('sha256', Buffer.from(`${h}.${p}`, 'ascii'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) {
    throw new Error('the PASSporT signature does not verify');
  }
  return { header, claims };
}

export const SIGN_PATH = '/api/stir-shaken/sign';
/** The quick start's call: the demo account's inventory covers its orig, so it signs A. */
export const SIGN_BODY = JSON.stringify({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' });

/** The load generators' request: the quick start's call, signed with `apiKey`. */
export function signRequestSpec(baseUrl: string, apiKey: string) {
  return {
    url: baseUrl + SIGN_PATH,
    method: 'POST' as const,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: SIGN_BODY,
  };
}

/**
 * Signs one call on a running server and checks the PASSporT against the certificate its x5u serves (which
 * must be `expectedLeaf` when given), before a bench loads that server.
 */
export async function signOnceAndCheck(baseUrl: string, apiKey: string, expectedLeaf?: X509Certificate): Promise<void> {
  const res = await fetch(baseUrl + SIGN_PATH, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: SIGN_BODY,
    signal: AbortSignal.timeout(5_000),
  });
  if (res.status !== 200) throw new Error(`sign answered ${res.status}: ${await res.text()}`);
  const json = (await res.json()) as { identity: string; x5u: string };
  const certRes = await fetch(json.x5u, { signal: AbortSignal.timeout(5_000) });
  if (certRes.status !== 200) throw new Error(`x5u ${json.x5u} answered ${certRes.status}`);
  const leafPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(await certRes.text())?.[0];
  if (!leafPem) throw new Error(`x5u ${json.x5u} did not return a PEM certificate`);
  const leaf = new X509Certificate(leafPem);
  if (expectedLeaf && leaf.fingerprint256 !== expectedLeaf.fingerprint256) throw new Error(`x5u ${json.x5u} is not the expected certificate`);
  checkIdentity(json.identity, leaf.publicKey);
}
