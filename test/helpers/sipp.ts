import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSipp, type SippResult, type SippRun } from '../../bench/sip/sipp.js';
import { freeUdpPort } from '../../bench/sip/udp.js';

export { freeUdpPort } from '../../bench/sip/udp.js';

export const SCENARIO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../sip-peers/scenarios');

/** True once something is bound to 127.0.0.1:<port>/udp (binding it ourselves fails). */
function udpPortBound(port: number): Promise<boolean> {
  return new Promise((resolveBound) => {
    const sock = createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolveBound(true);
    });
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolveBound(false)));
  });
}

export interface Uas {
  port: number;
  run: SippRun;
  /** The lines its <log> actions wrote (-trace_logs). */
  logLines(): string[];
  /** Every SIP message it sent and received (-trace_msg), as sipp wrote them. */
  messages(): string;
}

/** A sipp UAS playing `scenario` (test/sip-peers/scenarios/) for `calls` calls on a free loopback port. */
export async function startUas(scenario: string, opts: { dir: string; calls?: number; onPid?: (pid: number) => void }): Promise<Uas> {
  // The port is free when picked but not reserved: another test may take it first, and sipp then exits.
  // A few fresh ports before giving up.
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeUdpPort();
    const logFile = join(opts.dir, `uas-${port}.log`);
    const msgFile = join(opts.dir, `uas-${port}-messages.log`);
    const run = startSipp([
      '-sf', join(SCENARIO_DIR, scenario), '-i', '127.0.0.1', '-p', String(port), '-m', String(opts.calls ?? 1),
      '-trace_logs', '-log_file', logFile, '-trace_msg', '-message_file', msgFile,
      '-recv_timeout', '15000', '-timeout', '30s', '-timeout_error',
    ], { cwd: opts.dir, timeoutMs: 40_000, onPid: opts.onPid });
    let exited: { code: number | null; output: string } | undefined;
    void run.done.then((r) => (exited = r));
    const deadline = performance.now() + 5_000;
    let bound = false;
    while (!exited && performance.now() < deadline) {
      // Bound by someone: it is sipp only if sipp is still running a moment later.
      if (await udpPortBound(port)) {
        await new Promise((r) => setTimeout(r, 100));
        bound = !exited;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!bound) {
      await run.stop();
      lastError = exited ? `sipp UAS exited (${exited.code}): ${exited.output.slice(-800)}` : `sipp UAS did not bind 127.0.0.1:${port} in 5 s`;
      continue;
    }
    return uasHandle(port, run, logFile, msgFile);
  }
  throw new Error(lastError);
}

function uasHandle(port: number, run: SippRun, logFile: string, msgFile: string): Uas {
  return {
    port,
    run,
    logLines: () => (existsSync(logFile) ? readFileSync(logFile, 'latin1').split('\n').filter((l) => l.trim() !== '') : []),
    messages: () => (existsSync(msgFile) ? readFileSync(msgFile, 'latin1') : ''),
  };
}

/**
 * A sipp UAC playing `scenario` once per CSV row (injection file, fields `;`-separated) toward
 * `target` (host:port); resolves when it exits (0: every call went as the scenario says).
 */
export async function runUac(scenario: string, target: string, opts: { dir: string; rows: string[][]; onPid?: (pid: number) => void }): Promise<SippResult & { messages: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freeUdpPort();
    const csv = join(opts.dir, `uac-${port}.csv`);
    writeFileSync(csv, ['SEQUENTIAL', ...opts.rows.map((r) => r.join(';'))].join('\n') + '\n');
    const msgFile = join(opts.dir, `uac-${port}-messages.log`);
    const run = startSipp([
      '-sf', join(SCENARIO_DIR, scenario), '-inf', csv, '-i', '127.0.0.1', '-p', String(port), '-m', String(opts.rows.length),
      '-trace_msg', '-message_file', msgFile, '-recv_timeout', '10000', '-timeout', '30s', '-timeout_error',
      target,
    ], { cwd: opts.dir, timeoutMs: 40_000, onPid: opts.onPid });
    const result = await run.done;
    // Its port taken between picking and binding (nothing was sent then): once more on a fresh one.
    if (attempt < 3 && result.code !== 0 && result.code !== 1 && /bind|in use/i.test(result.output)) continue;
    return { ...result, messages: existsSync(msgFile) ? readFileSync(msgFile, 'latin1') : '' };
  }
}

/**
 * The requests with `method` that sipp received, from its -trace_msg log: blocks that start with a
 * dashed line and a timestamp, then `UDP message received [n] bytes :`, a blank line and the message.
 */
export function receivedRequests(messages: string, method: string): string[] {
  return receivedMessages(messages).filter((msg) => msg.startsWith(`${method} `));
}

/** The final responses (not 1xx) sipp received, from its -trace_msg log, as in receivedRequests. */
export function receivedFinalResponses(messages: string): string[] {
  return receivedMessages(messages).filter((msg) => /^SIP\/2\.0 [2-6]\d\d /.test(msg));
}

function receivedMessages(messages: string): string[] {
  return messages
    .split(/^-{10,} \d{4}-\d\d-\d\d [\d:.]+$/m)
    .filter((block) => /^\s*\w+ message received/.test(block))
    .map((block) => block.replace(/^\s*\w+ message received[^\n]*\n\n?/, ''));
}
