import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load.js';
import { startNode } from '../../server/node.js';
import { issueLeaf } from '../../server/pki/lab-pki.js';
import { postJson, startTestService } from '../helpers/service.js';

describe('credential check at start', () => {
  it('logs an account whose key does not match its certificate before listening, and refuses it with 409', async () => {
    const svc = await startTestService();
    const dataDir = svc.config.dataDir;
    const acct = await svc.provision({ maxAttest: 'A' });
    // A chain for another key, written under the same key reference, behind the importer's back.
    const other = await issueLeaf(acct.pki.intermediate);
    const cred = (await svc.node.store.listCredentials(acct.account.id))[0]!;
    await svc.node.store.addCredential({ accountId: acct.account.id, keyRef: cred.keyRef, chainPem: other.chainPem, x5u: cred.x5u });
    await svc.node.close();

    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const config = loadConfig({ env: {}, overrides: { dataDir, 'http.port': 0, 'grpc.port': 0, 'sip.enabled': false, demo: false, changePollMs: 50 } });
    const node = await startNode(config, pino({ level: 'info' }, sink));
    try {
      const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'account cannot sign: its credential was refused at start');
      expect(logged).toMatchObject({ level: 50, accountId: acct.account.id, code: 'ERR_CRED_KEY_MISMATCH' });
      // Logged before the listener came up.
      expect(lines.findIndex((l) => l.includes('credential was refused at start'))).toBeLessThan(lines.findIndex((l) => l.includes('Server listening')));
      const r = await postJson(`${node.publicUrl}/api/stir-shaken/sign`, { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } }, { authorization: `Bearer ${acct.token}` });
      expect(r.status).toBe(409);
      expect(r.json.error.code).toBe('ERR_CRED_KEY_MISMATCH');
    } finally {
      await node.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
