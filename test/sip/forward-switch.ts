import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSipp } from '../../bench/sip/sipp.js';
import { parseReply, type SipReply } from '../helpers/sip-client.js';
import { freeUdpPort, SCENARIO_DIR } from '../helpers/sipp.js';

/** One INVITE of a forwarding switch: the number called now, extra header lines, and where it comes from. */
export interface ForwardInvite {
  ruri: string;
  to?: string;
  from?: string;
  lines: string[];
  /** The switch's loopback address (its SIP source); 127.0.0.1 by default. */
  source?: string;
}

/** The final answer sipp received, from its -trace_msg log. */
export function finalAnswer(messages: string): SipReply {
  const answers = messages
    .split(/^-{10,} \d{4}-\d\d-\d\d [\d:.]+$/m)
    .filter((block) => /^\s*\w+ message received/.test(block))
    .map((block) => block.replace(/^\s*\w+ message received[^\n]*\n\n?/, ''))
    .filter((msg) => /^SIP\/2\.0 [2-6]\d\d /.test(msg));
  if (answers.length === 0) throw new Error(`sipp received no final answer:\n${messages.slice(-2000)}`);
  return parseReply(answers[answers.length - 1]!.replace(/\r?\n/g, '\r\n'));
}

/**
 * A forwarding switch played by sipp (test/sip-peers/scenarios/uac-forward.xml): one INVITE from `source` to
 * the redirect server, to `ruri`, first dialled `to`, with `lines` as extra header lines (at most 8).
 */
export async function forwardInvite(dir: string, serverPort: number, o: ForwardInvite & { to: string; from: string }): Promise<SipReply> {
  if (o.lines.length > 8) throw new Error('the scenario carries at most 8 extra header lines');
  const keys = [['ruri', o.ruri], ['to', o.to], ['from', o.from], ...Array.from({ length: 8 }, (_, i) => [`h${i + 1}`, o.lines[i] ?? ''])];
  for (let attempt = 1; ; attempt++) {
    const port = await freeUdpPort();
    const msgFile = join(dir, `fwd-${port}-messages.log`);
    const run = startSipp(
      [
        '-sf', join(SCENARIO_DIR, 'uac-forward.xml'), '-i', o.source ?? '127.0.0.1', '-p', String(port), '-m', '1',
        ...keys.flatMap(([k, v]) => ['-key', k!, v!]),
        '-trace_msg', '-message_file', msgFile, '-recv_timeout', '10000', '-timeout', '30s', '-timeout_error',
        `127.0.0.1:${serverPort}`,
      ],
      { cwd: dir, timeoutMs: 40_000 },
    );
    const result = await run.done;
    // Its port taken between picking and binding (nothing was sent then): once more on a fresh one.
    if (attempt < 3 && result.code !== 0 && /bind|in use/i.test(result.output)) continue;
    if (result.code !== 0) throw new Error(`sipp failed (${result.code}): ${result.output.slice(-1500)}`);
    return finalAnswer(existsSync(msgFile) ? readFileSync(msgFile, 'latin1') : '');
  }
}

