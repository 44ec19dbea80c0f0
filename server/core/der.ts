/**
 * A minimal DER reader for the few structures node:crypto does not expose (CRLs, the CRL distribution point
 * extension, raw names). Throws `DerError` on anything malformed; callers turn that into a result.
 */
export class DerError extends Error {
  constructor(detail: string) {
    super(`malformed DER: ${detail}`);
    this.name = 'DerError';
  }
}

/** One TLV: identifier octet, where its header begins, and its value as the byte range [start, end). */
export interface Tlv {
  tag: number;
  pos: number;
  start: number;
  end: number;
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  SEQUENCE: 0x30,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  CONTEXT_0: 0xa0,
  CONTEXT_3: 0xa3,
} as const;

export function readTlv(der: Uint8Array, pos: number, limit: number = der.length): Tlv {
  const tag = der[pos];
  let len = der[pos + 1];
  // DER has no indefinite length; certificates and CRLs use no high tag numbers.
  if (tag === undefined || len === undefined || pos + 2 > limit || (tag & 0x1f) === 0x1f || len === 0x80) throw new DerError('bad header');
  let start = pos + 2;
  if (len > 0x80) {
    const octets = len - 0x80;
    if (octets > 4 || start + octets > limit) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < octets; i++) len = len * 256 + der[start + i]!;
    start += octets;
  }
  if (start + len > limit) throw new DerError('value runs past its container');
  return { tag, pos, start, end: start + len };
}

export function childrenOf(der: Uint8Array, tlv: Tlv): Tlv[] {
  if ((tlv.tag & 0x20) === 0) throw new DerError('expected a constructed value');
  const out: Tlv[] = [];
  for (let pos = tlv.start; pos < tlv.end; ) {
    const child = readTlv(der, pos, tlv.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function oidOf(der: Uint8Array, tlv: Tlv): string {
  if (tlv.tag !== TAG.OID) throw new DerError('expected an OID');
  const arcs: number[] = [];
  let arc = 0;
  for (let i = tlv.start; i < tlv.end; i++) {
    const byte = der[i]!;
    arc = arc * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(arc);
      arc = 0;
    }
  }
  const head = arcs.shift() ?? 0;
  const top = head < 80 ? [Math.floor(head / 40), head % 40] : [2, head - 80];
  return [...top, ...arcs].join('.');
}

/** The whole TLV (header and value) as bytes: names are compared this way. */
export function rawOf(der: Uint8Array, tlv: Tlv): Buffer {
  return Buffer.from(der.buffer, der.byteOffset + tlv.pos, tlv.end - tlv.pos);
}

/** An INTEGER as lower-case hex without leading zero octets: the form CertInfo.serialNumber uses. */
export function serialHex(der: Uint8Array, tlv: Tlv): string {
  if (tlv.tag !== TAG.INTEGER || tlv.end === tlv.start) throw new DerError('expected an INTEGER');
  return Buffer.from(der.subarray(tlv.start, tlv.end)).toString('hex').replace(/^(?:00)+(?=.)/, '');
}

/** RFC 5280 §4.1.2.5 / §5.1.2.4: UTCTime (YY < 50 is 20YY) or GeneralizedTime, in whole seconds, Z. */
export function timeOf(der: Uint8Array, tlv: Tlv): number {
  const text = Buffer.from(der.subarray(tlv.start, tlv.end)).toString('latin1');
  let t: string;
  if (tlv.tag === TAG.UTC_TIME && /^\d{12}Z$/.test(text)) t = (Number(text.slice(0, 2)) >= 50 ? '19' : '20') + text;
  else if (tlv.tag === TAG.GENERALIZED_TIME && /^\d{14}Z$/.test(text)) t = text;
  else throw new DerError('bad time');
  const n = (a: number, b: number) => Number(t.slice(a, b));
  return Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14));
}

/** The fields of a certificate's TBSCertificate (RFC 5280 §4.1) the verifier reads itself. */
export interface CertificateFields {
  issuerRaw: Buffer;
  subjectRaw: Buffer;
  serial: string;
  /** OID → extension value (the OCTET STRING's content). */
  extensions: Map<string, Buffer>;
}

export function certificateFields(der: Uint8Array): CertificateFields {
  const cert = readTlv(der, 0);
  const tbs = childrenOf(der, cert)[0];
  if (!tbs) throw new DerError('no TBSCertificate');
  const f = childrenOf(der, tbs);
  const first = f[0]?.tag === TAG.CONTEXT_0 ? 1 : 0;
  const [serial, , issuer, , subject] = [f[first], f[first + 1], f[first + 2], f[first + 3], f[first + 4]];
  if (!serial || !issuer || !subject) throw new DerError('TBSCertificate is short');
  const extensions = new Map<string, Buffer>();
  const extField = f.slice(first + 6).find((x) => x.tag === TAG.CONTEXT_3);
  if (extField) {
    const list = childrenOf(der, extField)[0];
    if (list) {
      for (const ext of childrenOf(der, list)) {
        const parts = childrenOf(der, ext);
        const id = parts[0];
        const value = parts[parts.length - 1];
        if (id && value?.tag === TAG.OCTET_STRING) extensions.set(oidOf(der, id), Buffer.from(der.subarray(value.start, value.end)));
      }
    }
  }
  return { issuerRaw: rawOf(der, issuer), subjectRaw: rawOf(der, subject), serial: serialHex(der, serial), extensions };
}
