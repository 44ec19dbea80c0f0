import type { FastifyInstance } from 'fastify';
import { writeAudit } from '../../manage/audit.js';
import { bodyOf, sessionOf, type DashboardContext } from '../context.js';
import { ShakenError } from '../../core/errors.js';
import { invalid } from '../errors.js';
import type { DashboardUserRecord } from '../../store/dashboard-store.js';
import { publicUser } from '../users.js';

/** The user whose password this is, after counting the attempt; throws 429 or 401 otherwise. */
async function authenticate(ctx: DashboardContext, username: string, password: string, address: string): Promise<DashboardUserRecord> {
  await ctx.limiter.reserve(username, address);
  const user = await ctx.store.dashboard.findUserByUsername(username);
  // An unknown name costs one scrypt too (against a decoy), so the answer time does not tell which names exist.
  const ok = await ctx.passwords.verify(password, user?.passwordHash);
  if (!user || !ok) throw new ShakenError('ERR_LOGIN_FAILED', 'wrong username or password');
  return user;
}

/** Login, who am I, logout. */
export function registerSessionRoutes(api: FastifyInstance, ctx: DashboardContext): void {
  api.post('/session', async (request, reply) => {
    const body = bodyOf(request);
    const { username, password } = body;
    if (typeof username !== 'string' || username === '' || username.length > 200) throw invalid('give a username', 'username');
    if (typeof password !== 'string' || password === '' || password.length > 1024) throw invalid('give a password', 'password');
    const address = request.ip;
    // In memory first (per-address rate, logins in progress), then the shared count, then the one scrypt.
    const leave = ctx.gate.enter(address);
    const user = await authenticate(ctx, username, password, address).finally(leave);
    await ctx.limiter.succeeded(username, address);
    const { cookie, csrfToken } = await ctx.sessions.open(user);
    await writeAudit(ctx.store, ctx.clock, user, { action: 'session.login', target: `user:${user.id}`, detail: { address } });
    return reply.header('set-cookie', cookie).header('cache-control', 'no-store').send({ user: publicUser(user), csrfToken });
  });

  api.get('/session', async (request, reply) => {
    const { user, session } = sessionOf(request);
    return reply.header('cache-control', 'no-store').send({ user: publicUser(user), csrfToken: session.csrfToken });
  });

  api.delete('/session', async (request, reply) => {
    await ctx.sessions.close(request.headers.cookie);
    return reply.header('set-cookie', ctx.sessions.clearedCookie()).code(204).send();
  });
}
