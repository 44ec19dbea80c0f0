import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { loadConfig } from '../../server/config/load.js';
import type { Config } from '../../server/config/schema.js';
import type { AccountRecord, Clock } from '../../server/core/ports.js';
import { createAccount, updateAccount } from '../../server/manage/accounts.js';
import { createApiKey } from '../../server/manage/api-keys.js';
import type { SbcDialect } from '../../server/core/sbc-dialect.js';
import { addSipSource } from '../../server/manage/sip-sources.js';
import type { InventoryEntry } from '../../server/core/tn-inventory.js';
import { importCredential } from '../../server/manage/credentials.js';
import { resolveX5u } from '../../server/core/certificate-publisher.js';
import { startNode, type RunningNode } from '../../server/node.js';
import { createLabPki, type LabPki, type LabPkiOptions } from '../../server/pki/lab-pki.js';

export interface TestService {
  node: RunningNode;
  url: string;
  /** `127.0.0.1:<port>` of the node's gRPC server (empty when `grpc.enabled` is false). */
  grpcAddress: string;
  config: Config;
  /**
   * An account with a test-PKI credential and an API key. Policy defaults to `trust` so that transport tests
   * see the requested level; the attestation-policy tests ask for `enforce` and an inventory.
   */
  provision(opts?: {
    name?: string;
    defaultAttest?: 'A' | 'B' | 'C';
    maxAttest?: 'A' | 'B' | 'C';
    policyMode?: 'enforce' | 'trust';
    nonNumericOrig?: 'B' | 'C' | 'refuse';
    inventory?: InventoryEntry[];
    sourceKind?: 'customer' | 'gateway';
    pki?: LabPkiOptions;
    /** Address block whose SIP requests belong to this account (the SIP redirect server). */
    sipSource?: string;
    /** The SBC dialect of that block (server/core/sbc-dialect.ts): every quirk given as true is on. */
    sipDialect?: Partial<SbcDialect>;
    /** Resource-Priority namespaces granted for rph PASSporTs (RFC 8443), as an operator grants them. */
    rphNamespaces?: string[];
  }): Promise<Provisioned>;
  stop(): Promise<void>;
}

export interface Provisioned {
  account: AccountRecord;
  token: string;
  apiKeyId: string;
  pki: LabPki;
  x5u: string;
}

let counter = 0;

/** A real node listening on 127.0.0.1 port 0, with its own data folder (or PostgreSQL database). */
export async function startTestService(opts: { overrides?: Record<string, unknown>; clock?: Clock; sip?: boolean; logger?: Logger; tlsCa?: string } = {}): Promise<TestService> {
  const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-test-'));
  // SIP only where a test uses it (`sip: true` or any `sip.*` override): every SIP server binds a UDP and a
  // TCP port, and fewer ports taken means fewer collisions with tests that restart a server on its old port.
  const sip = opts.sip ?? Object.keys(opts.overrides ?? {}).some((k) => k.startsWith('sip.'));
  const config = loadConfig({
    env: {},
    overrides: { dataDir, 'http.port': 0, 'http.host': '127.0.0.1', 'grpc.port': 0, 'grpc.host': '127.0.0.1', 'sip.enabled': sip, 'sip.port': 0, 'sip.host': '127.0.0.1', logLevel: 'silent', demo: false, changePollMs: 50, 'requestLog.flushIntervalMs': 20, ...opts.overrides },
  });
  const node = await startNode(config, opts.logger ?? pino({ level: 'silent' }), opts.clock, { tlsCa: opts.tlsCa });
  return {
    node,
    config,
    url: node.publicUrl,
    grpcAddress: node.grpcPort === undefined ? '' : `127.0.0.1:${node.grpcPort}`,
    async provision(p = {}) {
      const created = await createAccount(node.store, {
        name: p.name ?? `acct${++counter}-${process.pid}`,
        defaultAttest: p.defaultAttest,
        maxAttest: p.maxAttest,
        policyMode: p.policyMode ?? 'trust',
        nonNumericOrig: p.nonNumericOrig,
      });
      const account = p.rphNamespaces ? await updateAccount(node.store, created, { rphNamespaces: p.rphNamespaces }) : created;
      if (p.inventory) await node.store.addInventory(account.id, p.inventory);
      const pki = await createLabPki(p.pki);
      const credential = await importCredential(
        { store: node.store, software: node.keys.software, keys: node.keys.router, nowMs: Date.now() },
        { accountId: account.id, chainPem: pki.chainPem, keyPem: pki.leaf.keyPem },
      );
      const { record, token } = await createApiKey(node.store, account.id, 'test', p.sourceKind);
      if (p.sipSource) await addSipSource(node.store, account.id, { cidr: p.sipSource, sourceKind: p.sourceKind, dialect: p.sipDialect });
      return { account, token, apiKeyId: record.id, pki, x5u: resolveX5u(credential.x5u, node.publicUrl) };
    },
    async stop() {
      await node.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return readAnswer(res);
}

/** A response's status, headers, text and (when it parses) JSON: what HTTP tests look at. */
export async function readAnswer(res: Response) {
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}
