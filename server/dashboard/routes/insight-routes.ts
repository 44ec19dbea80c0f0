import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Transport } from '../../core/types.js';
import type { LogRowFilter } from '../../store/dashboard-store.js';
import { PASSPORT_FILTERS, isPassportFilter } from '../../store/passport-filter.js';
import { accountScope } from '../access.js';
import { sessionOf, userOf, type DashboardContext } from '../context.js';
import { invalid } from '../errors.js';
import { certificateWarnings } from '../expiry.js';
import { reportCsv } from '../report-csv.js';
import { buildReport } from '../report.js';
import { StatsCache, parseWindow } from '../stats.js';
import { auditView, logRowView } from '../views.js';

const TRANSPORTS: readonly Transport[] = ['http', 'grpc', 'sip', 'cli'];

type FilterQuery = { account?: string; transport?: string; outcome?: string; passport?: string; number?: string; limit?: string; before?: string };

function intParam(v: string | undefined, field: string, min: number, max: number, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalid(`${field} must be a whole number from ${min} to ${max}`, field);
  return n;
}

/** The log filters of the list and the live tail, scoped to what the user may see. */
async function logFilter(ctx: DashboardContext, request: FastifyRequest<{ Querystring: FilterQuery }>): Promise<Omit<LogRowFilter, 'limit'>> {
  const q = request.query;
  const f: Omit<LogRowFilter, 'limit'> = { accountId: await accountScope(ctx.store, userOf(request), q.account) };
  if (q.transport) {
    if (!(TRANSPORTS as readonly string[]).includes(q.transport)) throw invalid(`transport must be one of ${TRANSPORTS.join(', ')}`, 'transport');
    f.transport = q.transport as Transport;
  }
  if (q.outcome) {
    if (q.outcome !== 'ok' && q.outcome !== 'error') throw invalid('outcome must be ok or error', 'outcome');
    f.outcome = q.outcome;
  }
  if (q.passport) {
    // `forwarded`: calls carrying a div or div-o only (RFC 8946); otherwise one kind.
    if (!isPassportFilter(q.passport)) throw invalid(`passport must be one of ${PASSPORT_FILTERS.join(', ')}`, 'passport');
    f.passport = q.passport;
  }
  if (q.number) {
    // The log keeps canonical numbers (RFC 8224 §8.3): the same visual separators are dropped here.
    const canonical = q.number.replace(/[\s\-.()/]/g, '').replace(/^\+/, '');
    if (!/^[0-9*#]{1,15}$/.test(canonical)) throw invalid('number must be a telephone number (up to 15 digits)', 'number');
    f.number = canonical;
  }
  return f;
}

/** Logs (list and live tail), stats, certificate warnings, reports and the audit log. */
export function registerInsightRoutes(api: FastifyInstance, ctx: DashboardContext): void {
  const { store, insights } = ctx;
  const stats = new StatsCache(insights);

  api.get<{ Querystring: FilterQuery }>('/logs', async (request) => {
    const filter = await logFilter(ctx, request);
    const limit = intParam(request.query.limit, 'limit', 1, 1000, 100);
    const before = request.query.before === undefined || request.query.before === '' ? undefined : intParam(request.query.before, 'before', 1, Number.MAX_SAFE_INTEGER, 0);
    const rows = await store.dashboard.logRows({ ...filter, beforeId: before, limit });
    return { rows: rows.map(logRowView) };
  });

  api.get<{ Querystring: FilterQuery }>('/logs/stream', async (request, reply) => {
    const filter = await logFilter(ctx, request);
    const cookie = request.headers.cookie;
    const { session } = sessionOf(request);
    await ctx.tails.stream(request, reply, {
      store,
      filter,
      stillAllowed: async () => (await ctx.sessions.resolve(cookie))?.session.idHash === session.idHash,
    });
  });

  api.get<{ Querystring: { window?: string; account?: string } }>('/stats', async (request) => {
    const window = parseWindow(request.query.window);
    const accountId = await accountScope(store, userOf(request), request.query.account);
    return stats.get({ window, accountId, nowMs: ctx.clock.now() });
  });

  api.get<{ Querystring: { account?: string } }>('/warnings', async (request) => {
    const accountId = await accountScope(store, userOf(request), request.query.account);
    return { warnings: await certificateWarnings(store, ctx.clock.now(), accountId) };
  });

  api.get<{ Querystring: { from?: string; to?: string; account?: string; format?: string } }>('/reports', async (request, reply) => {
    const { from, to, format = 'json' } = request.query;
    if (format !== 'json' && format !== 'csv' && format !== 'pdf') throw invalid('format must be json, csv or pdf', 'format');
    const accountId = await accountScope(store, userOf(request), request.query.account);
    const report = await buildReport(store, insights, { from, to, accountId, nowMs: ctx.clock.now() });
    const name = `shakenstack-report-${report.from}-to-${report.to}${accountId ? `-${accountId}` : ''}.${format}`;
    reply.header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store');
    if (format === 'csv') return reply.header('content-type', 'text/csv; charset=utf-8').send(reportCsv(report));
    if (format === 'pdf') {
      // pdfkit (its fonts) costs each worker about 11 MB of RSS: loaded by the first PDF report, not at start.
      const { reportPdf } = await import('../report-pdf.js');
      return reply.header('content-type', 'application/pdf').send(await reportPdf(report));
    }
    return reply.header('content-type', 'application/json; charset=utf-8').send(report);
  });

  api.get<{ Querystring: { limit?: string } }>('/audit', async (request) => {
    const user = userOf(request);
    const limit = intParam(request.query.limit, 'limit', 1, 1000, 100);
    // A bound user (operator, scoped viewer) sees its own account's entries; an admin and unbound viewer all.
    const entries = await store.dashboard.listAudit({ accountId: user.role === 'admin' ? undefined : (user.accountId ?? undefined), limit });
    return { entries: entries.map(auditView) };
  });
}
