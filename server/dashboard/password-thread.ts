import { randomBytes } from 'node:crypto';
import { setPriority } from 'node:os';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { hashPasswordSync, verifyPasswordSync } from './passwords.js';
import type { PasswordReply, PasswordRequest, PasswordThreadOptions } from './password-hasher.js';

/*
 * A password thread: scrypt runs synchronously here, so it occupies this thread and never the libuv pool that
 * signing shares (an async scrypt called from a worker thread would still queue on the process's one pool).
 */
const port = parentPort!;

// On Linux a thread has its own nice value and setpriority(PRIO_PROCESS, 0) sets the calling thread's only, so
// this lowers the hashing thread and nothing else: on a busy node signing gets the cores, logins wait.
// Raising one's own nice needs no privilege; where it is refused, hashing runs at normal priority.
const { nice } = workerData as PasswordThreadOptions;
if (nice > 0) {
  try {
    setPriority(nice);
  } catch {
    /* not permitted here: keep the default priority */
  }
}

/** A hash of nothing anyone knows: checking an unknown username costs as much as a known one. */
let decoy: string | undefined;

function run(m: PasswordRequest): PasswordReply {
  try {
    if (m.kind === 'hash') return { id: m.id, ok: true, value: hashPasswordSync(m.password), threadId };
    decoy ??= hashPasswordSync(randomBytes(16).toString('hex'));
    const ok = verifyPasswordSync(m.password, m.stored ?? decoy);
    return { id: m.id, ok: true, value: ok && m.stored !== undefined, threadId };
  } catch (err) {
    return { id: m.id, ok: false, message: err instanceof Error ? err.message : String(err), threadId };
  }
}

port.on('message', (m: PasswordRequest) => port.postMessage(run(m)));
