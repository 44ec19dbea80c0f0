import { afterEach, describe, expect, it } from 'vitest';
import { TransactionTable } from '../../server/sip/transactions.js';

// RFC 3261 §17.2.1 over UDP: Timer H is 64·T1 = 32 s for the ACK, Timer I is T4 = 5 s once it came.
describe('SIP server transaction table', () => {
  let now = 1_000_000;
  const tables: TransactionTable[] = [];
  const table = (maxEntries = 100) => {
    const t = new TransactionTable({ ttlMs: 32_000, maxEntries, now: () => now });
    tables.push(t);
    return t;
  };
  afterEach(() => {
    for (const t of tables.splice(0)) t.close();
  });

  function answered(t: TransactionTable, key: string, reliable = false) {
    const sent: Buffer[] = [];
    const tx = t.begin(key, (b) => sent.push(b), reliable);
    t.complete(tx, Buffer.from(`302 for ${key}`), true);
    return { tx, sent };
  }

  it('keeps an ACKed UDP transaction for Timer I (T4), then ends it', () => {
    const t = table();
    answered(t, 'a');
    now += 1_000;
    expect(t.ack('a')).toBe(true);
    now += 4_900;
    t.sweep(now);
    // Confirmed: a retransmitted ACK (or INVITE) still finds the transaction, and has nothing sent again.
    expect(t.get('a')?.acked).toBe(true);
    expect(t.get('a')?.response).toBeUndefined();
    now += 200;
    t.sweep(now);
    expect(t.get('a')).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('keeps a transaction without its ACK until Timer H, resending the same answer with backoff', () => {
    const t = table();
    const { sent } = answered(t, 'b');
    for (let ms = 0; ms < 31_900; ms += 50) {
      now += 50;
      t.sweep(now);
    }
    expect(t.get('b')).toBeDefined();
    // Sent at 0, then after T1 doubling up to T2 (Timer G): 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5 s.
    expect(sent.length).toBe(11);
    expect(new Set(sent.map((b) => b.toString())).size).toBe(1);
    now += 200;
    t.sweep(now);
    expect(t.get('b')).toBeUndefined();
  });

  it('stops resending at the ACK', () => {
    const t = table();
    const { sent } = answered(t, 'c');
    now += 600;
    t.sweep(now);
    expect(sent.length).toBe(2);
    t.ack('c');
    for (let i = 0; i < 40; i++) {
      now += 100;
      t.sweep(now);
    }
    expect(sent.length).toBe(2);
  });

  it('ends an ACKed TCP transaction at once (Timer I is zero on a reliable transport)', () => {
    const t = table();
    answered(t, 'd', true);
    t.ack('d');
    expect(t.get('d')).toBeUndefined();
  });

  it('when full, lets ACKed transactions go before those still waiting for their ACK', () => {
    const t = table(3);
    answered(t, 'waiting');
    answered(t, 'acked');
    t.ack('acked');
    answered(t, 'third');
    answered(t, 'fourth');
    expect(t.get('acked')).toBeUndefined();
    expect(t.get('waiting')).toBeDefined();
    expect(t.size).toBe(3);
    answered(t, 'fifth');
    // No Confirmed one is left: the oldest of the rest goes.
    expect(t.get('waiting')).toBeUndefined();
    expect(t.size).toBe(3);
  });

  it('when full, lets the oldest 1/64 of the table go at once, ACKed ones first', () => {
    // 640 entries: a batch of 10. Taken one at a time, each new call paid a scan past the Map's deleted slots.
    const t = table(640);
    for (let i = 0; i < 5; i++) answered(t, `waiting-${i}`);
    for (let i = 0; i < 635; i++) {
      answered(t, `acked-${i}`);
      t.ack(`acked-${i}`);
    }
    answered(t, 'new');
    // The 10 oldest Confirmed went (and only they), so the next 9 calls need no room made.
    expect(t.size).toBe(631);
    expect(t.get('acked-9')).toBeUndefined();
    expect(t.get('acked-10')).toBeDefined();
    expect(t.get('waiting-0')).toBeDefined();

    // Fewer Confirmed than a batch: the oldest still waiting for their ACK make up the rest.
    const few = table(640);
    for (let i = 0; i < 3; i++) {
      answered(few, `acked-${i}`);
      few.ack(`acked-${i}`);
    }
    for (let i = 0; i < 637; i++) answered(few, `waiting-${i}`);
    answered(few, 'new');
    expect(few.size).toBe(631);
    expect(few.get('acked-2')).toBeUndefined();
    expect(few.get('waiting-6')).toBeUndefined();
    expect(few.get('waiting-7')).toBeDefined();

    // Below 64 entries the batch is one: exactly the oldest goes.
    const small = table(64);
    for (let i = 0; i < 65; i++) answered(small, `w-${i}`);
    expect(small.get('w-0')).toBeUndefined();
    expect(small.get('w-1')).toBeDefined();
    expect(small.size).toBe(64);
  });

  it('an ACK for an unknown or unanswered transaction changes nothing', () => {
    const t = table();
    expect(t.ack('none')).toBe(false);
    t.begin('pending', () => undefined, false);
    expect(t.ack('pending')).toBe(true);
    expect(t.get('pending')?.acked).toBe(false);
  });
});
