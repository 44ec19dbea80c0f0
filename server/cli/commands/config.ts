import { redactedConfig } from '../../config/load.js';
import { out, type CommandTable } from '../command-kit.js';

export const CONFIG_COMMANDS: CommandTable = {
  config: {
    summary: 'Print the effective configuration (secrets masked).',
    options: {},
    run: async (ctx) => out(ctx, redactedConfig(ctx.config), () => JSON.stringify(redactedConfig(ctx.config), null, 2)),
  },
};
