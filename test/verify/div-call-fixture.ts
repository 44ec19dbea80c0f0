import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallerContext } from '../../server/core/types.js';
import { createLabPki, type LabPki } from '../../server/pki/lab-pki.js';
import { CALLER, N, type DivCallFactory, type DivSigner } from '../cases/verify-div-cases.js';
import { coreFixture, FakeClock, type CoreFixture } from '../helpers/core-fixture.js';

const ORIGID = '123e4567-e89b-12d3-a456-426655440000';

/** The wall clock, shifted: the verifiers under test use the real time, so the signers do too. */
class LiveClock extends FakeClock {
  constructor(private readonly offsetMs = 0) {
    super(Date.now() + offsetMs);
  }
  override now(): number {
    return Date.now() + this.offsetMs;
  }
}

/** A plain-http certificate repository on loopback (the verifiers run with allowInsecureX5u, as in labs). */
class X5uServer {
  private readonly files = new Map<string, string>();
  private server!: Server;
  private port = 0;

  static async start(): Promise<X5uServer> {
    const s = new X5uServer();
    s.server = createServer((req, res) => {
      const body = s.files.get(req.url ?? '');
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/pem-certificate-chain' }).end(body);
    });
    await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', () => r()));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  serve(path: string, pem: string): string {
    this.files.set(path, pem);
    return `http://127.0.0.1:${this.port}${path}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

export interface DivCallFixture {
  factory: DivCallFactory;
  /** The STI-CA roots a verifier under test must trust (not the unrelated PKI's). */
  trustedRoots: string[];
  /** The signers' lab PKIs, for independent checks of what they sign. */
  pkis: Record<'origin' | DivSigner, LabPki>;
  stop(): Promise<void>;
}

function as(f: CoreFixture): CallerContext {
  return { accountId: f.account.id, sourceKind: 'customer', transport: 'cli' };
}

/**
 * An originating provider and the retargeting providers of test/cases/verify-div-cases.ts, each a real signing
 * core (software key store, lab PKI) whose credential's x5u is served over loopback http.
 */
export async function startDivCallFixture(): Promise<DivCallFixture> {
  const x5u = await X5uServer.start();
  const signer = async (name: string, pki: LabPki, chainPem: string, offsetMs = 0): Promise<CoreFixture> => {
    const f = await coreFixture({ pki, clock: new LiveClock(offsetMs) });
    f.dir.credentials[0]!.x5u = x5u.serve(`/${name}.pem`, chainPem);
    return f;
  };
  const pki = async () => createLabPki();
  const [originPki, aPki, bPki, unrelatedPki, unchainedPki] = await Promise.all([pki(), pki(), pki(), pki(), pki()]);
  const origin = await signer('origin', originPki, originPki.chainPem);
  const signers: Record<DivSigner, CoreFixture> = {
    fwdA: await signer('fwd-a', aPki, aPki.chainPem),
    fwdB: await signer('fwd-b', bPki, bPki.chainPem),
    // Its root is trusted, but its x5u holds the leaf alone: no path from the leaf reaches the anchor.
    unchained: await signer('unchained', unchainedPki, unchainedPki.leaf.certPem),
    unrelated: await signer('unrelated', unrelatedPki, unrelatedPki.chainPem),
    stale: await signer('fwd-a-stale', aPki, aPki.chainPem, -120_000),
  };

  const factory: DivCallFactory = {
    async shaken(dest = N[0]) {
      return (await origin.signing.signAs(as(origin), { orig: { tn: CALLER }, dest: { tn: [dest] }, attest: 'A', origid: ORIGID })).identity;
    },
    async div(from, to, opts = {}) {
      const by = signers[opts.by ?? 'fwdA'];
      return (await by.signing.signDiv(as(by), { orig: { tn: opts.orig ?? CALLER }, dest: { tn: [to] }, div: { tn: from }, origid: ORIGID })).identity;
    },
    async divO(received, to) {
      const by = signers.fwdA;
      return (await by.signing.handleDiv({ token: by.token, transport: 'http', input: { identity: received, dest: { tn: [to] }, ppt: 'div-o' } })).identity;
    },
    async chain(hops) {
      const out = [await factory.shaken()];
      for (let i = 0; i < hops; i++) out.push(await factory.div(N[i]!, N[i + 1]!, { by: i % 2 === 0 ? 'fwdA' : 'fwdB' }));
      return out;
    },
  };
  return {
    factory,
    trustedRoots: [originPki.root.certPem, aPki.root.certPem, bPki.root.certPem, unchainedPki.root.certPem],
    pkis: { origin: originPki, fwdA: aPki, fwdB: bPki, unchained: unchainedPki, unrelated: unrelatedPki, stale: aPki },
    stop: () => x5u.stop(),
  };
}
