import { systemClock } from '../../core/ports.js';
import { createSigningService } from '../../core/sign-service.js';
import { resolvePublicUrl } from '../../config/load.js';
import { RequestLogWriter } from '../../store/request-log-writer.js';
import { optional, out, required, type CommandTable } from '../command-kit.js';
import { accountOf, withKeys } from '../resources.js';

/** `sign`: the CLI transport of the signing core, logged like any other call. */
export const SIGN_COMMANDS: CommandTable = {
  sign: {
    summary: 'Sign one call with an account\'s credential and print the Identity header; --rcd <profile id> (and --crn) brands it (RFC 9795), printing the rcd Identity header too when the profile asks for one.',
    options: { account: { type: 'string' }, orig: { type: 'string' }, dest: { type: 'string' }, attest: { type: 'string' }, origid: { type: 'string' }, rcd: { type: 'string' }, crn: { type: 'string' } },
    run: (ctx) =>
      withKeys(ctx, async (store, keys) => {
        const account = await accountOf(ctx, store);
        const log = new RequestLogWriter(store, { flushIntervalMs: 1000, maxBatch: 100 });
        const publicUrl = resolvePublicUrl(ctx.config, ctx.config.http.port);
        const signing = createSigningService({ directory: store, keys: keys.router, clock: systemClock, log, cacheTtlMs: 1000, publicUrl: () => publicUrl });
        try {
          const r = await signing.signAs({ accountId: account.id, transport: 'cli', sourceKind: 'customer' }, {
            orig: { tn: required(ctx, 'orig') },
            dest: { tn: required(ctx, 'dest').split(',') },
            attest: optional(ctx, 'attest'),
            origid: optional(ctx, 'origid'),
            rcd: optional(ctx, 'rcd') === undefined ? undefined : { profile: optional(ctx, 'rcd'), crn: optional(ctx, 'crn') },
          });
          out(ctx, r, () => (r.rcd?.identity === undefined ? r.identity : `${r.identity}\n${r.rcd.identity}`));
        } finally {
          await log.close();
        }
      }),
  },
};
