import { UsageError, optional, out, required, table, type CommandTable } from '../command-kit.js';
import { withPkcs11 } from '../resources.js';

export const HSM_COMMANDS: CommandTable = {
  'hsm keygen': {
    summary: 'Generate a P-256 key inside a PKCS#11 token (sensitive, never extractable) and print its key reference.',
    options: { token: { type: 'string' }, label: { type: 'string' }, id: { type: 'string' } },
    run: async (ctx) => {
      const token = required(ctx, 'token');
      const label = required(ctx, 'label');
      const idHex = optional(ctx, 'id');
      if (idHex !== undefined && !/^(?:[0-9a-fA-F]{2})+$/.test(idHex)) throw new UsageError('--id must be hex bytes, e.g. 0102');
      await withPkcs11(ctx, [token], async (hsm) => {
        const ref = await hsm.generate({ token, label, id: idHex === undefined ? undefined : Buffer.from(idHex, 'hex') });
        out(ctx, { token, label, ref }, () => `generated key "${label}" on token "${token}": ${ref}\nafter your STI-CA issues its certificate: shakenstack credential import --account <name> --chain chain.pem --key-ref '${ref}'`);
      });
    },
  },

  'hsm list': {
    summary: 'List the EC keys on PKCS#11 tokens (default: the configured ones) with the key reference of each.',
    options: { token: { type: 'string' } },
    run: (ctx) => {
      const token = optional(ctx, 'token');
      return withPkcs11(ctx, token ? [token] : undefined, async (hsm) => {
        const keys = await hsm.listKeys();
        out(ctx, keys, () =>
          table([['TOKEN', 'LABEL', 'ID', 'SENSITIVE', 'EXTRACTABLE', 'REF'], ...keys.map((k) => [k.token, k.label, k.id, String(k.sensitive), String(k.extractable), k.ref])]),
        );
      });
    },
  },
};
