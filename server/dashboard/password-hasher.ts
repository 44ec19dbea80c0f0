import { Worker } from 'node:worker_threads';
import { threadScript } from '../store/thread-script.js';

export interface PasswordThreadOptions {
  /** The threads' nice value (0-19); 0 leaves them at the process's priority. */
  nice: number;
}

/**
 * The nice value of the dashboard's own threads. Logins are unauthenticated: under a flood they take what the
 * signing path leaves (CFS gives a nice-10 thread about a tenth of a core that nice-0 threads also want).
 */
export const LOGIN_THREAD_NICE = 10;

export type PasswordRequest =
  | { id: number; kind: 'hash'; password: string }
  /** `stored` undefined: an unknown user, checked against the thread's decoy hash and never a match. */
  | { id: number; kind: 'verify'; password: string; stored: string | undefined };
export type PasswordReply = { id: number; ok: true; value: string | boolean; threadId: number } | { id: number; ok: false; message: string; threadId: number };

interface Job {
  request: PasswordRequest;
  resolve(reply: PasswordReply & { ok: true }): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

/**
 * Every dashboard password hash and check (login, user create, password change, the CLI, the first admin) runs
 * here: on `threads` worker threads of its own, one scrypt at a time each, jobs waiting in order. Nothing of it
 * touches the libuv pool that ES256 signing and PKCS#11 use. Threads start with the first job and are unref'd
 * while idle, so a CLI command ends without closing the hasher. How many logins may wait is bounded by the
 * login gate (login-gate.ts), before any job gets here.
 */
export class PasswordHasher {
  private readonly slots: (Slot | undefined)[];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** The thread that served the last job, for tests that check hashing left the main thread. */
  lastThreadId: number | undefined;

  constructor(
    threads: number,
    private readonly threadOptions: PasswordThreadOptions = { nice: 0 },
  ) {
    this.slots = new Array<Slot | undefined>(Math.max(1, threads)).fill(undefined);
  }

  /** A new `scrypt$N$r$p$salt$key` hash of the password. */
  async hash(password: string): Promise<string> {
    return (await this.submit({ id: this.nextId++, kind: 'hash', password })).value as string;
  }

  /** Whether the password matches `stored`; undefined (unknown user) costs one scrypt too and never matches. */
  async verify(password: string, stored: string | undefined): Promise<boolean> {
    return (await this.submit({ id: this.nextId++, kind: 'verify', password, stored })).value as boolean;
  }

  private submit(request: PasswordRequest): Promise<PasswordReply & { ok: true }> {
    if (this.closed) return Promise.reject(new Error('the password hasher is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (let i = 0; i < this.slots.length && this.queue.length > 0; i++) {
      let slot = this.slots[i];
      if (slot?.job) continue;
      slot ??= this.slots[i] = { worker: this.spawn(i), job: undefined };
      const job = this.queue.shift()!;
      slot.job = job;
      // Held open while it works: a CLI awaiting a hash must not exit under it.
      slot.worker.ref();
      slot.worker.postMessage(job.request);
    }
  }

  private spawn(index: number): Worker {
    const worker = new Worker(threadScript('dashboard/password-thread.js'), { workerData: this.threadOptions });
    worker.unref();
    worker.on('message', (m: PasswordReply) => {
      const slot = this.slots[index];
      const job = slot?.worker === worker ? slot.job : undefined;
      if (!slot || job?.request.id !== m.id) return;
      slot.job = undefined;
      worker.unref();
      this.lastThreadId = m.threadId;
      if (m.ok) job.resolve(m);
      else job.reject(new Error(`password thread: ${m.message}`));
      this.pump();
    });
    // An 'error' event is followed by 'exit'; the job is failed there.
    worker.on('error', () => undefined);
    worker.once('exit', (code) => {
      const slot = this.slots[index];
      if (slot?.worker !== worker) return;
      this.slots[index] = undefined;
      slot.job?.reject(new Error(`the password thread stopped (exit code ${code})`));
      // The next job starts a fresh thread.
      this.pump();
    });
    return worker;
  }

  /** Fails waiting jobs and ends the threads; a running scrypt cannot be interrupted, terminate ends it after. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('the password hasher is closed');
    for (const job of this.queue.splice(0)) job.reject(err);
    await Promise.all(
      this.slots.map(async (slot, i) => {
        if (!slot) return;
        this.slots[i] = undefined;
        slot.job?.reject(err);
        await slot.worker.terminate();
      }),
    );
  }
}

let shared: PasswordHasher | undefined;

/**
 * One single-threaded hasher for callers outside a running node's dashboard: the CLI user commands, the first
 * admin at start, tests. Process-wide so that one-off callers do not each start a thread; its idle thread is
 * unref'd, so it needs no closing. Normal priority: these are a few hashes an operator waits for, not a flood.
 */
export function sharedPasswordHasher(): PasswordHasher {
  shared ??= new PasswordHasher(1);
  return shared;
}

/**
 * Ends the shared hasher's thread, if one was started; the next `sharedPasswordHasher()` makes a new one. A
 * cluster primary hashes once at start (the first admin) and never again: an idle thread is a V8 heap of its own
 * that it would otherwise keep for its whole life.
 */
export async function releaseSharedPasswordHasher(): Promise<void> {
  const hasher = shared;
  shared = undefined;
  await hasher?.close();
}
