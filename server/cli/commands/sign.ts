import { systemClock } from '../../core/ports.js';
import { createSigningService } from '../../core/sign-service.js';
import { resolvePublicUrl } from '../../config/load.js';
import { RequestLogWriter } from '../../store/request-log-writer.js';
import { optional, out, required, type CommandTable } from '../command-kit.js';
import { accountOf, withKeys } from '../resources.js';

/** `sign`: the CLI transport of the signing core, logged like any other call. */
export const SIGN_COMMANDS: CommandTable = {
  sign: {
    summary: 'Sign one call with an account\'s credential and print the Identity header.',
    options: { account: { type: 'string' }, orig: { type: 'string' }, dest: { type: 'string' }, attest: { type: 'string' }, origid: { type: 'string' } },
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
          });
          out(ctx, r, () => r.identity);
        } finally {
          await log.close();
        }
      }),
  },
};
