import { randomBytes } from 'node:crypto';
import { createDashboardUser } from '../../server/dashboard/users.js';
import { postJson, type TestService } from '../helpers/service.js';

export interface DashboardLogin {
  username: string;
  password: string;
}

/** A dashboard user made the way the CLI makes one (scrypt hash in the store), with a random password. */
export async function createUser(service: TestService, role: 'admin' | 'operator' | 'viewer', accountId?: string): Promise<DashboardLogin> {
  const username = `${role}-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  await createDashboardUser(service.node.store, { username, password, role, accountId });
  return { username, password };
}

export interface SignOutcome {
  status: number;
  origid?: string;
  attest?: string;
  code?: string;
}

/** One call to our HTTP signing API, as an integration would make it. */
export async function signCall(service: TestService, token: string, body: Record<string, unknown>): Promise<SignOutcome> {
  const r = await postJson(`${service.url}/api/stir-shaken/sign`, body, { authorization: `Bearer ${token}` });
  return { status: r.status, origid: r.json?.origid, attest: r.json?.attest, code: r.json?.error?.code };
}

export const call = (attest: 'A' | 'B' | 'C', orig = '14045266060', dest = '18001234567') => ({ orig: { tn: orig }, dest: { tn: [dest] }, attest });
