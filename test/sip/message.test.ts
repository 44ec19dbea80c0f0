import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError, splitCommaList, splitCommaLists, viaHops, type SipRequest } from '../../server/sip/message.js';
import { partyOf } from '../../server/core/call/call-parties.js';
import { addressUri } from '../../server/core/tn.js';
import { addressTag } from '../../server/sip/address.js';
import { sipRequest } from '../helpers/sip-client.js';

const parse = (text: string) => parseMessage(Buffer.from(text, 'latin1')) as SipRequest;

describe('SIP message parser', () => {
  it('reads compact header names, folded lines and several hops in one Via line', () => {
    const text = [
      'INVITE sip:1800@h SIP/2.0',
      'v: SIP/2.0/UDP a.example:5060;branch=z9hG4bK1, SIP/2.0/UDP b.example;branch=z9hG4bK2',
      'Via: SIP/2.0/TCP c.example;branch=z9hG4bK3',
      'f: <sip:1404@h>;tag=1',
      't: <sip:1800@h>',
      'i: abc',
      'CSeq: 1 INVITE',
      'Subject: a',
      '  folded',
      'y: token;info=<https://x/y>',
      'l: 0',
      '',
      '',
    ].join('\r\n');
    const m = parse(text);
    expect(m.method).toBe('INVITE');
    expect(viaHops(m)).toHaveLength(3);
    expect(m.headers.get('from')).toEqual(['<sip:1404@h>;tag=1']);
    expect(m.headers.get('subject')).toEqual(['a folded']);
    expect(m.headers.get('identity')).toEqual(['token;info=<https://x/y>']);
  });

  it('skips keep-alive CRLFs before a message and cuts a UDP body at Content-Length', () => {
    const m = parse('\r\n\r\n' + sipRequest({ body: 'v=0\r\n' }) + 'padding');
    expect(m.body.toString()).toBe('v=0\r\n');
  });

  it.each([
    ['a start line that is not SIP/2.0', (t: string) => t.replace('SIP/2.0', 'SIP/3.0'), undefined],
    ['no blank line', (t: string) => t.replace('\r\n\r\n', '\r\n'), undefined],
    ['a header without a colon', (t: string) => t.replace('Max-Forwards: 70', 'Max-Forwards 70'), 'header line without a name and colon'],
    ['a missing Call-ID (unanswerable: nothing to mirror)', (t: string) => t.replace(/Call-ID: [^\r]+\r\n/, ''), undefined],
    ['two From headers', (t: string) => t.replace('Max-Forwards: 70', 'From: <sip:x@y>;tag=2'), 'more than one from header'],
    ['a CSeq method other than the request method', (t: string) => t.replace('CSeq: 1 INVITE', 'CSeq: 1 BYE'), 'CSeq method does not match the request method'],
    ['a body shorter than Content-Length', (t: string) => t.replace('Content-Length: 0', 'Content-Length: 10'), 'body shorter than Content-Length'],
    ['a bad Content-Length', (t: string) => t.replace('Content-Length: 0', 'Content-Length: -1'), 'malformed Content-Length'],
    ['a bare CR', (t: string) => t.replace('Max-Forwards: 70', 'Max-Forwards: 7\r0'), 'bare CR or LF in the message head'],
  ])('refuses %s', (_name, mutate, reason) => {
    const error = (() => {
      try {
        parse(mutate(sipRequest()));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SipParseError);
    if (reason) {
      expect((error as SipParseError).reason).toBe(reason);
      // Enough was read to answer with a 400.
      expect((error as SipParseError).partial).toBeDefined();
    }
  });

  it('refuses more than 100 headers and more than the size limit', () => {
    const many = sipRequest({ extra: Array.from({ length: 101 }, (_, i) => `X-H${i}: ${i}`) });
    expect(() => parse(many)).toThrow(/more than 100 header fields/);
    expect(() => parseMessage(Buffer.from(sipRequest({ body: 'x'.repeat(20_000) })))).toThrow(/larger than 16384/);
  });

  it('files a header name the same way on every sight, however many distinct names came before', () => {
    const spelt = () => parse(sipRequest({ extra: ['X-Custom: a', 'x-CUSTOM: b', 'k: 100rel'] }).replace('Via:', 'VIA:').replace('Call-ID:', 'i:'));
    const filedAlike = (m: SipRequest) => {
      expect(m.headers.get('via')).toHaveLength(1);
      expect(m.headers.get('call-id')).toHaveLength(1);
      expect(m.headers.get('x-custom')).toEqual(['a', 'b']);
      expect(m.headers.get('supported')).toEqual(['100rel']);
    };
    filedAlike(spelt());
    // 720 made-up names, past the bound on the names the parser keeps.
    for (let batch = 0; batch < 8; batch++) parse(sipRequest({ extra: Array.from({ length: 90 }, (_, i) => `X-Made-Up-${batch}-${i}: ${i}`) }));
    filedAlike(spelt());
    expect(parse(sipRequest({ extra: ['X-Late-Name: 1', 'x-late-name: 2'] })).headers.get('x-late-name')).toEqual(['1', '2']);
    expect(() => parse(sipRequest({ extra: ['X-Bad Name: 3'] }))).toThrow(/header name is not a token/);
  });

  it('cuts every name and value where trimming its part of the line would, whatever whitespace a latin1 head holds', () => {
    // The reference: the line cut at its first colon, the name trimmed at its end, the value at both.
    const pads = ['', ' ', '  ', '\t', ' \t ', '\v', '\f', '\xa0', ' \xa0\t'];
    const mirrored = [
      ['Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1'],
      ['From', '<sip:a@example.com>;tag=1'],
      ['To', '<sip:b@example.com>'],
      ['Call-ID', 'c\xa0d@example.com'],
      ['CSeq', '1 OPTIONS'],
    ];
    const extra = [
      ['X-Note', 'x: y'],
      ['Subject', ''],
      ['Via', 'SIP/2.0/TCP 192.0.2.2'],
      ['X-Note', 'a\xa0b'],
    ];
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const pad = () => pads[rand(pads.length)]!;
    for (let i = 0; i < 2000; i++) {
      const fields = [...mirrored, ...Array.from({ length: rand(5) }, () => extra[rand(extra.length)]!)];
      const lines = fields.map(([name, value]) => `${name}${pad()}:${pad()}${value}${pad()}`);
      const expected = new Map<string, string[]>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trimEnd().toLowerCase();
        expected.set(name, [...(expected.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      const head = ['OPTIONS sip:b@example.com SIP/2.0', ...lines].join('\r\n');
      expect(parseMessage(Buffer.from(`${head}\r\n\r\n`, 'latin1')).headers).toEqual(expected);
    }
  });

  it('never throws anything but SipParseError on mutated input (fuzz)', () => {
    const base = Buffer.from(sipRequest({ pai: '<tel:+14045266060>', extra: ['Identity: a.b.c;info=<https://x>'] }), 'latin1');
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 5000; i++) {
      const buf = Buffer.from(base);
      for (let k = 0, edits = 1 + rand(8); k < edits; k++) buf[rand(buf.length)] = [0, 10, 13, 32, 58, 59, 60, 62, 44, 34, rand(256)][rand(11)]!;
      const cut = rand(4) === 0 ? buf.subarray(0, rand(buf.length)) : buf;
      try {
        parseMessage(cut);
      } catch (e) {
        expect(e).toBeInstanceOf(SipParseError);
      }
    }
  });
});

describe('SIP addresses', () => {
  it.each([
    ['"Alice, A" <sip:+1404@h;user=phone>;tag=x', 'sip:+1404@h;user=phone', 'x', { tn: '+1404' }],
    ['sip:14045266060@h;tag=abc', 'sip:14045266060@h', 'abc', { tn: '14045266060' }],
    ['<tel:+1-404-526-6060;ext=1>', 'tel:+1-404-526-6060;ext=1', undefined, { tn: '+1-404-526-6060' }],
    ['"Anonymous" <sip:anonymous@anonymous.invalid>;tag=9', 'sip:anonymous@anonymous.invalid', '9', { uri: 'sip:anonymous@anonymous.invalid' }],
  ])('%s', (value, uri, tag, party) => {
    expect(addressUri(value)).toBe(uri);
    expect(addressTag(value)).toBe(tag);
    expect(partyOf(value)).toEqual(party);
  });

  it('splits lists on commas outside quotes and brackets', () => {
    expect(splitCommaList('"a,b" <sip:x@y>, <sip:z@w;p=1,2>')).toEqual(['"a,b" <sip:x@y>', '<sip:z@w;p=1,2>']);
  });

  it('drops empty entries and keeps the order of entries across a header\'s fields', () => {
    expect(splitCommaList(' a ,, b ,')).toEqual(['a', 'b']);
    expect(splitCommaList('  ')).toEqual([]);
    expect(splitCommaLists(['wps.0, ets.1', '', ' q735.2 ,'])).toEqual(['wps.0', 'ets.1', 'q735.2']);
    expect(splitCommaLists([])).toEqual([]);
  });
});
