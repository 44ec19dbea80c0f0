/**
 * RFC 8225 §9 deterministic JSON for any claim value: object members in lexicographic order of their names (by
 * UTF-16 code units, as JavaScript sorts strings), at every level, no white space; arrays keep their order.
 * `JSON.stringify` of a string or number gives RFC 8259 text. The fixed SHAKEN claim sets are written directly
 * (passport.ts); this is for the open-ended RCD values (`rcd`, `rcdi`, a jCard), whose members vary.
 * For the values RCD carries (strings, whole numbers, arrays, objects) this is also the output of the JSON
 * Canonicalization Scheme (RFC 8785), which orders members the same way and differs only for non-integer numbers.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('a PASSporT claim cannot hold a non-finite number');
      return JSON.stringify(value);
    case 'object': {
      const record = value as Record<string, unknown>;
      const names = Object.keys(record).filter((k) => record[k] !== undefined).sort();
      return `{${names.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`a PASSporT claim cannot hold a ${typeof value}`);
  }
}
