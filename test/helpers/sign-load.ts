import { processStartTime } from '../../bench/cleanup.js';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Metadata } from '@grpc/grpc-js';
import { rawClients, callUnary } from '../grpc/support.js';
import { sipRequest, UdpPeer } from './sip-client.js';

/**
 * Bounded sign load over HTTP (and optionally gRPC and SIP) that remembers the origid of every request
 * answered with a signature: what "answered" means in the request-log crash tests.
 */
export interface SignLoad {
  /** origids answered 200 / OK / 302 with Identity. */
  readonly answered: Set<string>;
  /** Requests sent, answered or not. */
  readonly sent: number;
  /** Stops sending and waits for the loops to finish (requests in flight settle or fail). */
  stop(): Promise<void>;
}

export interface SignLoadOptions {
  url: string;
  token: string;
  /** Concurrent HTTP loops. */
  http?: number;
  grpcAddress?: string;
  sipPort?: number;
  /** Total requests at most, across loops. */
  maxRequests: number;
  /** Pause between one loop's requests. */
  pauseMs?: number;
  /** Per request. */
  timeoutMs?: number;
}

export function startSignLoad(o: SignLoadOptions): SignLoad {
  const answered = new Set<string>();
  let sent = 0;
  let stopped = false;
  const more = () => !stopped && sent < o.maxRequests;
  const pause = () => (o.pauseMs ? new Promise((r) => setTimeout(r, o.pauseMs)) : Promise.resolve());
  const timeoutMs = o.timeoutMs ?? 5000;
  const body = (origid: string) => JSON.stringify({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A', origid });

  const httpLoop = async () => {
    while (more()) {
      sent++;
      const origid = randomUUID();
      try {
        const res = await fetch(`${o.url}/api/stir-shaken/sign`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${o.token}` },
          body: body(origid),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        if (res.status === 200 && JSON.parse(text).origid === origid) answered.add(origid);
      } catch {
        // Killed, refused or timed out: not answered; the loop goes on until stopped.
        await new Promise((r) => setTimeout(r, 20));
      }
      await pause();
    }
  };

  const grpcLoop = async (address: string) => {
    const { signer, close } = rawClients(address);
    const md = new Metadata();
    md.set('authorization', `Bearer ${o.token}`);
    try {
      while (more()) {
        sent++;
        const origid = randomUUID();
        const r = await callUnary<{ origid: string }>(signer, 'Sign', { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A', origid }, md, timeoutMs);
        if (r.value?.origid === origid) answered.add(origid);
        else await new Promise((res) => setTimeout(res, 20));
        await pause();
      }
    } finally {
      close();
    }
  };

  const sipLoop = async (port: number) => {
    const uac = await UdpPeer.open();
    try {
      while (more()) {
        sent++;
        try {
          const r = await uac.request(port, sipRequest(), Math.min(timeoutMs, 2000));
          const identity = r.headers.get('identity')?.[0];
          if (r.status === 302 && identity) {
            const claims = JSON.parse(Buffer.from(identity.split('.')[1]!, 'base64url').toString()) as { origid: string };
            answered.add(claims.origid);
          }
        } catch {
          // No answer in time.
        }
        await pause();
      }
    } finally {
      uac.close();
    }
  };

  const loops: Promise<void>[] = [];
  for (let i = 0; i < (o.http ?? 8); i++) loops.push(httpLoop());
  if (o.grpcAddress) for (let i = 0; i < 2; i++) loops.push(grpcLoop(o.grpcAddress));
  if (o.sipPort) for (let i = 0; i < 2; i++) loops.push(sipLoop(o.sipPort));
  return {
    answered,
    get sent() {
      return sent;
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Child processes of `pid` (Linux /proc): a cluster primary's workers. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name in parentheses, which may itself hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/**
 * A process as it was when first seen: its pid and its start time. This machine's pid_max is 32768 and a test run
 * starts thousands of processes, so a pid comes back within minutes; signalling a bare pid later could hit another
 * test's sipp or Kamailio. Signal a ProcessRef only while the pid still has the start time it had.
 */
export interface ProcessRef {
  pid: number;
  started: string | undefined;
}

export function processRef(pid: number): ProcessRef {
  return { pid, started: processStartTime(pid) };
}

/** The same process is still running (not a later one given its pid). */
export function stillRunning(ref: ProcessRef): boolean {
  return ref.started !== undefined && processStartTime(ref.pid) === ref.started;
}

/** SIGKILL, only if `ref` is still the process it was. */
export function killIfStillRunning(ref: ProcessRef): void {
  if (!stillRunning(ref)) return;
  try {
    process.kill(ref.pid, 'SIGKILL');
  } catch {
    // Gone between the check and the signal.
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
