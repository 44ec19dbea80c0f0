import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { Call } from '../../server/core/call/call.js';
import { decodeAnswer, decodeCall, encodeAnswer, encodeCall } from '../../server/sip/sip-thread-protocol.js';
import type { ResponseParts } from '../../server/sip/response.js';

/** Through a real MessagePort, as the SIP thread and the main thread exchange them (a structured clone). */
function crossed<T>(value: T): T {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(value);
  const received = receiveMessageOnPort(port2)!.message as T;
  port1.close();
  return received;
}

/** Every field of Call set, each to a value no other field has: a field read from the wrong position shows. */
const FULL: Required<Call> = {
  token: 'token-1',
  sourceAddress: '192.0.2.7',
  transport: 'sip',
  from: '"Alice" <sip:+12025550100@example.com>;tag=f1',
  pai: '<sip:+12025550101@example.com>',
  to: '<sip:+12025550102@example.net>',
  requestUri: 'sip:+12025550102@example.net',
  date: { readable: true, sec: 1_796_000_000 },
  identities: ['eyJh.eyJi.c2ln;info=<https://cr.example/a.pem>'],
  attest: 'B',
  attestationInfo: 'A',
  origid: '0c5a8f3e-2b7d-4c1a-9e6f-1a2b3c4d5e6f',
  historyInfo: ['<sip:+12025550103@example.net>;index=1'],
  diversion: ['<sip:+12025550104@example.net>;reason=unconditional'],
  resourcePriority: ['ets.0', 'wps.1'],
  priority: 'psap-callback',
  callInfo: ['<https://rcd.example/logo.png>;purpose=icon'],
};

describe('the SIP thread protocol', () => {
  it('carries every field of a call across a port, each in its place', () => {
    const wire = crossed(encodeCall(41, FULL));
    expect(wire[0]).toBe(41);
    expect(decodeCall(wire)).toEqual(FULL);
  });

  it('carries a call whose optional fields are absent as undefined, in the same shape', () => {
    const sparse: Call = { token: undefined, sourceAddress: '127.0.0.1', transport: 'sip', from: '<sip:a@b>', to: '<sip:c@d>' };
    const call = decodeCall(crossed(encodeCall(7, sparse)));
    expect(call).toEqual(sparse);
    // One shape whatever the INVITE had: the same keys, in the same order, as the full call's.
    expect(Object.keys(call)).toEqual(Object.keys(decodeCall(encodeCall(0, FULL))));
  });

  it('carries an answer with and without extra header lines', () => {
    const redirect: ResponseParts = { code: 302, phrase: 'Moved Temporarily', headers: ['Contact: <sip:+12025550102@example.net>', 'Identity: eyJh.eyJi.c2ln'] };
    const bare: ResponseParts = { code: 503, phrase: 'Service Unavailable' };
    const [a, b] = crossed([encodeAnswer(3, redirect), encodeAnswer(4, bare)]);
    expect([a![0], b![0]]).toEqual([3, 4]);
    expect(decodeAnswer(a!)).toEqual(redirect);
    expect(decodeAnswer(b!)).toEqual({ ...bare, headers: undefined });
  });
});
