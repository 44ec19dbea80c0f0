import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { CompactSign, importPKCS8 } from 'jose';
import { createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, sign as cryptoSign, webcrypto, type KeyObject } from 'node:crypto';
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../server/core/ports.js';
import { createVerifier, type Verifier, type VerifierDeps, type VerifierOptions } from '../../server/core/verify/verify-service.js';
import { parseTrustAnchors, staticTrustSource } from '../../server/core/verify/trust-anchors.js';
import type { FetchKind, FetchResult, CertificateFetcher } from '../../server/core/verify/verify-ports.js';
import { createHttpsFetcher } from '../../server/verify-fetch/https-fetcher.js';
import type { IssuedCert } from '../../server/pki/lab-pki.js';

const crypto = webcrypto as unknown as Crypto;

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(public ms: number = Date.now()) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface Route {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Never answer (the fetcher's deadline must end it). */
  hang?: boolean;
}

/** A self-signed TLS certificate for 127.0.0.1 and localhost, trusted by the tests' fetcher as its own CA. */
export async function tlsIdentity(): Promise<{ certPem: string; keyPem: string }> {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: 'CN=shakenstack test cert server',
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'dns', value: 'localhost' },
        ]),
      ],
    },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string };
}

/**
 * An HTTPS certificate repository on 127.0.0.1: routes by path, with a hit count per path. `{ plain: true }`
 * serves plain http instead (a lab's http x5u or CRL distribution point).
 */
export class CertServer {
  readonly routes = new Map<string, Route>();
  readonly hits = new Map<string, number>();
  private server!: Server | HttpServer;
  private scheme = 'https';
  port = 0;
  tlsCaPem = '';

  static async start(opts: { plain?: boolean } = {}): Promise<CertServer> {
    const s = new CertServer();
    const tls = await tlsIdentity();
    s.tlsCaPem = tls.certPem;
    const handler: RequestListener = (req, res) => {
      const path = req.url ?? '/';
      s.hits.set(path, (s.hits.get(path) ?? 0) + 1);
      const route = s.routes.get(path);
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      if (route.hang) return;
      res.writeHead(route.status ?? 200, route.headers ?? {});
      res.end(route.body ?? '');
    };
    if (opts.plain) s.scheme = 'http';
    s.server = opts.plain ? createHttpServer(handler) : createServer({ cert: tls.certPem, key: tls.keyPem }, handler);
    await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', () => r()));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  url(path: string, host = '127.0.0.1'): string {
    return `${this.scheme}://${host}:${this.port}${path}`;
  }

  serve(path: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/pem-certificate-chain' }): string {
    this.routes.set(path, { body, headers });
    return this.url(path);
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** A fetcher that counts calls per URL, in front of the real one. */
export function countingFetcher(inner: CertificateFetcher): CertificateFetcher & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  return {
    calls,
    fetch(url: string, kind: FetchKind): Promise<FetchResult> {
      calls.set(url, (calls.get(url) ?? 0) + 1);
      return inner.fetch(url, kind);
    },
  };
}

export interface TestVerifier {
  verifier: Verifier;
  fetcher: CertificateFetcher & { calls: Map<string, number> };
  clock: FakeClock;
}

export type TestVerifierOptions = Partial<VerifierOptions> & {
  clock?: FakeClock;
  timeoutMs?: number;
  maxBytes?: number;
  allowPrivateAddresses?: boolean;
  /** Both lab switches at once, as the configuration's deprecated `verify.allowInsecureX5u` does. */
  allowInsecureX5u?: boolean;
  /** For `handle`: who may call, where records go, and SBC heartbeats. */
  deps?: Pick<VerifierDeps, 'authenticator' | 'log' | 'heartbeats' | 'signatures'>;
};

/**
 * The real verifier over the real https fetcher, trusting `roots` and the test TLS CA. The lab switches: by
 * default both rules are relaxed (loopback, http x5u), as `allowInsecureX5u: true` does; `allowInsecureX5u`
 * sets both, and a test naming `allowHttpX5u` or `allowPrivateAddresses` gets exactly what it names.
 */
export function testVerifier(server: CertServer, roots: string[], opts: TestVerifierOptions = {}): TestVerifier {
  const clock = opts.clock ?? new FakeClock();
  const both = opts.allowInsecureX5u ?? (opts.allowHttpX5u === undefined && opts.allowPrivateAddresses === undefined);
  const allowHttpX5u = opts.allowHttpX5u ?? both;
  const fetcher = countingFetcher(
    createHttpsFetcher({ allowHttpX5u, allowPrivateAddresses: opts.allowPrivateAddresses ?? both, timeoutMs: opts.timeoutMs ?? 2000, maxBytes: opts.maxBytes ?? 65536, tlsCa: server.tlsCaPem, now: () => clock.now() }),
  );
  const trust = staticTrustSource(parseTrustAnchors(roots.map((text, i) => ({ name: `root${i}`, text })), 1));
  const verifier = createVerifier({
    fetcher,
    trust,
    clock,
    options: { maxAgeSec: opts.maxAgeSec ?? 60, allowHttpX5u, crlPolicy: opts.crlPolicy ?? 'soft-fail' },
    ...opts.deps,
  });
  return { verifier, fetcher, clock };
}

export interface Claims {
  attest?: unknown;
  dest?: unknown;
  iat?: unknown;
  orig?: unknown;
  origid?: unknown;
  [k: string]: unknown;
}

export function shakenClaims(iat: number, over: Claims = {}): Claims {
  return { attest: 'A', dest: { tn: ['18001234567'] }, iat, orig: { tn: '14045266060' }, origid: randomUUID(), ...over };
}

/** A PASSporT signed with jose (an independent JWS implementation), header members in the order given. */
export async function joseJws(keyPem: string, header: Record<string, unknown>, claims: Claims): Promise<string> {
  const key = await importPKCS8(keyPem, 'ES256');
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header as { alg: string }).sign(key);
}

/** A JWS built by hand over exact header and payload text (any alg, any spacing), signed ES256 with `key`. */
export function handJws(key: KeyObject | string, headerJson: string, claimsJson: string): string {
  const input = `${Buffer.from(headerJson).toString('base64url')}.${Buffer.from(claimsJson).toString('base64url')}`;
  const sig = cryptoSign('sha256', Buffer.from(input), { key: typeof key === 'string' ? createPrivateKey(key) : key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

export function shakenHeader(x5u: string): Record<string, unknown> {
  return { alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u };
}

export function identityOf(jws: string, info: string, extra = ';alg=ES256;ppt=shaken'): string {
  return `${jws};info=<${info}>${extra}`;
}

/** A self-signed P-256 SHAKEN-looking certificate: it must never be trusted. */
export async function selfSignedLeaf(): Promise<IssuedCert> {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: '0a', name: 'C=US, O=nobody, CN=SHAKEN 9999', notBefore: new Date(Date.now() - 3_600_000), notAfter: new Date(Date.now() + 86_400_000), keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string };
}

async function importIssuerKey(keyPem: string): Promise<CryptoKey> {
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  return crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
}

/** An RSA leaf issued by the test intermediate: a credential SHAKEN does not support. */
export async function rsaLeaf(intermediate: IssuedCert): Promise<{ chainPem: string }> {
  const keys = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
  const issuer = new x509.X509Certificate(intermediate.certPem);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: '0b',
      subject: 'C=US, O=shakenstack test, CN=SHAKEN 1234',
      issuer: issuer.subjectName,
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: keys.publicKey,
      signingKey: await importIssuerKey(intermediate.keyPem),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    },
    crypto,
  );
  return { chainPem: cert.toString('pem') + '\n' + intermediate.certPem };
}

/** A CRL signed by the intermediate listing `serials` (hex), valid from an hour ago until `nextUpdate`. */
export async function crlOf(intermediate: IssuedCert, serials: string[], nextUpdate = new Date(Date.now() + 86_400_000)): Promise<Buffer> {
  const issuer = new x509.X509Certificate(intermediate.certPem);
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: issuer.subjectName,
      thisUpdate: new Date(Date.now() - 3_600_000),
      nextUpdate,
      entries: serials.map((serialNumber) => ({ serialNumber, revocationDate: new Date(Date.now() - 60_000) })),
      signingKey: await importIssuerKey(intermediate.keyPem),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    },
    crypto,
  );
  return Buffer.from(crl.rawData);
}

/** Random bytes as a string of arbitrary characters, for fuzzing. */
export function garbage(len: number): string {
  return randomBytes(len).toString('latin1');
}

export function ecKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function rsaKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}
