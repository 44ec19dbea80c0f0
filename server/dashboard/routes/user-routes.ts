import type { FastifyInstance } from 'fastify';
import { requireAdmin } from '../access.js';
import { audit, bodyOf, userOf, type DashboardContext } from '../context.js';
import { createDashboardUser, publicUser, removeDashboardUser, updateDashboardUser } from '../users.js';

/** Dashboard users: admin only. */
export function registerUserRoutes(api: FastifyInstance, ctx: DashboardContext): void {
  api.get('/users', async (request) => {
    requireAdmin(userOf(request));
    const users = await ctx.store.dashboard.listUsers();
    return { users: users.map((u) => ({ ...publicUser(u), createdAt: u.createdAt.toISOString() })) };
  });

  api.post('/users', async (request, reply) => {
    requireAdmin(userOf(request));
    const b = bodyOf(request);
    const u = await createDashboardUser(ctx.store, { username: b.username, password: b.password, role: b.role, accountId: b.accountId }, ctx.passwords);
    await audit(ctx, request, { action: 'user.create', target: `user:${u.id}`, accountId: u.accountId, detail: { username: u.username, role: u.role } });
    return reply.code(201).send({ user: publicUser(u) });
  });

  api.patch<{ Params: { id: string } }>('/users/:id', async (request) => {
    requireAdmin(userOf(request));
    const b = bodyOf(request);
    const u = await updateDashboardUser(ctx.store, request.params.id, { password: b.password, role: b.role, accountId: b.accountId }, ctx.passwords);
    await audit(ctx, request, {
      action: 'user.update',
      target: `user:${u.id}`,
      accountId: u.accountId,
      detail: { username: u.username, role: u.role, accountId: u.accountId, passwordChanged: b.password !== undefined },
    });
    return { user: publicUser(u) };
  });

  api.delete<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
    requireAdmin(userOf(request));
    const u = await removeDashboardUser(ctx.store, request.params.id);
    await audit(ctx, request, { action: 'user.remove', target: `user:${u.id}`, accountId: u.accountId, detail: { username: u.username } });
    return reply.code(204).send();
  });
}
