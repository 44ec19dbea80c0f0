import { readFile } from 'node:fs/promises';
import { explainIdentity, type HeaderExplanation } from '../../core/verify/explain.js';
import { SIP_REASON_PHRASE, type VerifyChecks, type VerifyResult } from '../../core/verify/verify-result.js';
import { createConfiguredVerifier } from '../../verify-fetch/node-verifier.js';
import { UsageError, optional, out, type CommandContext, type CommandTable } from '../command-kit.js';

async function identityArg(ctx: CommandContext): Promise<string[]> {
  const file = optional(ctx, 'file');
  if (file) return (await readFile(file, 'utf8')).split(/\r?\n/).filter((l) => l.trim() !== '');
  if (ctx.positionals.length === 0) throw new UsageError("give the Identity header value: shakenstack verify '<header>' (or --file)");
  return ctx.positionals;
}

function checksLine(checks: VerifyChecks): string {
  return Object.entries(checks)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k} ${v ? 'ok' : 'FAILED'}`)
    .join(', ');
}

/** A forwarded call's headers, one line each in the order given, and the chain (RFC 8946). */
function callLines(r: VerifyResult): string[] {
  if (r.call === undefined) return [];
  const lines = r.call.passports.map((p) => {
    const hop = p.hop === undefined ? '' : `, hop ${p.hop}`;
    const verdict = p.ok === null ? `not judged (${p.reasonText ?? ''})` : p.ok ? 'passed' : `${p.verstat}: ${p.sip} (${p.reason})`;
    return `  header ${p.index + 1} ${p.kind}${hop}: ${verdict}`;
  });
  lines.push(`  chain: ${r.call.chain.map((i) => i + 1).join(' -> ') || '(none)'}`);
  for (const p of r.call.problems) lines.push(`  problem ${p.reason}: ${p.detail}`);
  return lines;
}

function resultText(r: VerifyResult): string {
  if (r.ok) {
    const lines = [
      `${r.verstat}: attestation ${r.attest}, orig ${'tn' in r.claims.orig ? r.claims.orig.tn : r.claims.orig.uri}, dest ${[...(r.claims.dest.tn ?? []), ...(r.claims.dest.uri ?? [])].join(',')}`,
      `  origid ${r.origid}, iat ${new Date(r.claims.iat * 1000).toISOString()}`,
      `  certificate ${r.cert.subject} (SPC ${r.cert.spc}), issuer ${r.cert.issuer}, expires ${r.cert.notAfter.toISOString()}${r.cert.fromCache ? ', from cache' : ''}`,
      `  revocation ${r.cert.revocation}`,
      `  checks: ${checksLine(r.checks)}`,
    ];
    for (const w of r.warnings) lines.push(`  warning: ${w}`);
    return [...lines, ...callLines(r)].join('\n');
  }
  return [`${r.verstat}: ${r.sip} ${SIP_REASON_PHRASE[r.sip]} (${r.reason})`, `  ${r.reasonText}`, `  checks: ${checksLine(r.checks)}`, ...callLines(r)].join('\n');
}

function explanationText(list: HeaderExplanation[]): string {
  return list
    .map((e) => {
      const lines = [`Identity header ${e.index + 1}${e.selected ? ' (the SHAKEN one)' : ''}: ${e.form} form`];
      const params = Object.entries(e.params).map(([k, v]) => `${k}=${v}`);
      if (params.length) lines.push(`  parameters: ${params.join('; ')}`);
      if (e.header) lines.push(`  header: ${JSON.stringify(e.header)}`);
      if (e.claims) lines.push(`  claims: ${JSON.stringify(e.claims)}`);
      if (e.iat) lines.push(`  iat: ${e.iat.time} (${e.iat.ageSec >= 0 ? `${e.iat.ageSec} s ago` : `${-e.iat.ageSec} s in the future`})`);
      if (e.signatureBytes !== undefined) lines.push(`  signature: ${e.signatureBytes} bytes`);
      lines.push(e.problems.length ? `  problems:\n${e.problems.map((p) => `    - ${p}`).join('\n')}` : '  problems: none visible without fetching the certificate');
      return lines.join('\n');
    })
    .join('\n\n');
}

/** `verify` and `decode`: the CLI transport of the verification core. */
export const VERIFY_COMMANDS: CommandTable = {
  verify: {
    summary: 'Verify a call\'s Identity header(s), a forwarded call\'s div chain included (fetches the certificates); exit 0 when it passes, 1 when not.',
    args: "'<identity header>' ...",
    options: { from: { type: 'string' }, pai: { type: 'string' }, to: { type: 'string' }, ruri: { type: 'string' }, date: { type: 'string' }, trust: { type: 'string' }, file: { type: 'string' } },
    run: async (ctx) => {
      const identity = await identityArg(ctx);
      const input: Record<string, unknown> = { identity };
      const [pai, from, to, ruri, date] = [optional(ctx, 'pai'), optional(ctx, 'from'), optional(ctx, 'to'), optional(ctx, 'ruri'), optional(ctx, 'date')];
      if (pai) input.pai = pai;
      if (from) input.from = from;
      if (to) input.to = to.split(',');
      // A forwarded call's headers (shaken and div) are judged as one chain ending at --ruri, else --to.
      if (ruri) input.ruri = ruri;
      if (date) input.date = date;
      const verifier = createConfiguredVerifier(ctx.config, { trustAnchors: optional(ctx, 'trust') });
      const result = await verifier.handle({ token: undefined, transport: 'cli', input });
      out(ctx, result, () => resultText(result));
      return result.ok ? 0 : 1;
    },
  },
  decode: {
    summary: 'Explain an Identity header without any network: parameters, PASSporT header and claims, iat as a time.',
    args: "'<identity header>' ...",
    options: { file: { type: 'string' } },
    run: async (ctx) => {
      const list = explainIdentity(await identityArg(ctx), Date.now());
      out(ctx, list, () => explanationText(list));
    },
  },
};
