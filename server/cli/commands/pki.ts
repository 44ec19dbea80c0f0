import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { optional, out, required, type CommandTable } from '../command-kit.js';

export const PKI_COMMANDS: CommandTable = {
  'pki init': {
    summary: 'Create a test PKI (root, intermediate, SHAKEN leaf with TNAuthList) in a folder. Not for production.',
    options: { out: { type: 'string' }, spc: { type: 'string' }, org: { type: 'string' } },
    run: async (ctx) => {
      const dir = resolve(required(ctx, 'out'));
      // Loaded here: the X.509 builder takes about a second to import and no other command needs it.
      const { createLabPki } = await import('../../pki/lab-pki.js');
      const pki = await createLabPki({ spc: optional(ctx, 'spc'), organization: optional(ctx, 'org') });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const files: [string, string, number][] = [
        ['root.pem', pki.root.certPem, 0o644],
        ['root.key', pki.root.keyPem, 0o600],
        ['intermediate.pem', pki.intermediate.certPem, 0o644],
        ['intermediate.key', pki.intermediate.keyPem, 0o600],
        ['leaf.pem', pki.leaf.certPem, 0o644],
        ['leaf.key', pki.leaf.keyPem, 0o600],
        ['chain.pem', pki.chainPem, 0o644],
      ];
      for (const [name, text, mode] of files) await writeFile(join(dir, name), text, { mode });
      out(ctx, { dir, files: files.map((f) => f[0]) }, () =>
        `wrote ${files.map((f) => f[0]).join(', ')} to ${dir}\nimport with: shakenstack credential import --account <name> --chain ${join(dir, 'chain.pem')} --key ${join(dir, 'leaf.key')}`,
      );
    },
  },
};
