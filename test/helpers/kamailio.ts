import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kamailioPath, startKamailio, type RunningKamailio } from '../../bench/sip/kamailio.js';
import { sippPath } from '../../bench/sip/sipp.js';
import { findOnPath } from '../../bench/executable.js';

export { startKamailio, type RunningKamailio } from '../../bench/sip/kamailio.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KAMAILIO_CLIENT_DIR = join(ROOT, 'clients/kamailio');

/**
 * Why the SIP peer tests cannot run here, or undefined when they can. Tests skip only for a missing
 * program: CI installs all of them (test/run.sh).
 */
export function missingSipPeers(): string | undefined {
  const missing = [
    kamailioPath() ? undefined : 'kamailio (Debian packages kamailio kamailio-lua-modules kamailio-utils-modules kamailio-secsipid-modules kamailio-json-modules)',
    sippPath() ? undefined : 'sipp (Debian package sip-tester)',
  ].filter((m) => m !== undefined);
  return missing.length > 0 ? `not installed: ${missing.join(', ')}` : undefined;
}

export function missingLua(): string | undefined {
  if (!findOnPath('lua5.4')) return 'not installed: lua5.4 (Debian package lua5.4)';
  if (!findOnPath('curl')) return 'not installed: curl';
  return undefined;
}

export type GatewayVariant = 'cfg' | 'kemi';

export interface GatewayOptions {
  variant: GatewayVariant;
  serviceUrl: string;
  apiKey: string;
  /** SIP URI signed calls go to (the carrier); the Request-URI when absent. */
  carrier?: string;
  onFailure?: 'forward' | 'reject';
  /** The forwarding table (number → new target), the recipe's FORWARDS define; calls from 127.0.0.1 (FORWARD_NET) to them are forwarded. */
  forwards?: Record<string, string>;
  onPid?: (pid: number) => void;
}

/**
 * The shipped gateway (clients/kamailio/), native config or KEMI Lua, on a free loopback port. Two
 * workers: enough to show that a retransmission reaching the second one while the first waits on
 * shakenstack is absorbed.
 */
export function startGateway(opts: GatewayOptions): Promise<RunningKamailio> {
  const defines: Record<string, string | number> = {
    SHAKENSTACK_URL: opts.serviceUrl,
    SHAKENSTACK_ON_FAILURE: opts.onFailure ?? 'forward',
    CHILDREN: 2,
    // 3 s, not the shipped 1 s: on a loaded 2-core CI machine (other suites running sign floods beside this one)
    // a sign can take over a second, and the call would go on unsigned. Tests assert behaviour, not speed.
    SIGN_TIMEOUT: 3,
  };
  if (opts.carrier) defines.CARRIER = opts.carrier;
  if (opts.forwards) {
    defines.FORWARDS = Object.entries(opts.forwards).map(([from, to]) => `${from}=${to}`).join(';');
    defines.FORWARD_NET = '127.0.0.1/32';
  }
  if (opts.variant === 'kemi') defines.GATEWAY_LUA = join(KAMAILIO_CLIENT_DIR, 'gateway.lua');
  return startKamailio({
    cfg: join(KAMAILIO_CLIENT_DIR, opts.variant === 'kemi' ? 'kamailio-gateway-kemi.cfg' : 'kamailio-gateway.cfg'),
    defines,
    env: { SHAKENSTACK_API_KEY: opts.apiKey },
    onPid: opts.onPid,
  });
}
