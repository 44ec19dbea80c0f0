import { createLogger } from '../../logger.js';
import type { CommandTable } from '../command-kit.js';

/** `serve` is what `npm start` runs: the one way to start the service. */
export const SERVE_COMMANDS: CommandTable = {
  serve: {
    summary: 'Run the service (HTTP API, x5u hosting).',
    options: {},
    run: async (ctx) => {
      // Loaded here: the service's modules (fastify, gRPC, SIP) are not worth loading for any other command.
      const { serve } = await import('../../serve.js');
      // It returns once the node listens; signals end the process, and no exit code is set here.
      await serve(ctx.config, createLogger(ctx.config.logLevel));
    },
  },
};
