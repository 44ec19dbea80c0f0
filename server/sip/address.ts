/** The `tag` header parameter of a From or To value (outside the angle brackets, RFC 3261 §19.3), or undefined. */
export function addressTag(value: string): string | undefined {
  const close = value.lastIndexOf('>');
  const params = close >= 0 ? value.slice(close + 1) : value.slice(value.indexOf(';') < 0 ? value.length : value.indexOf(';'));
  const m = /;\s*tag\s*=\s*([^;\s,]+)/i.exec(params);
  return m?.[1];
}
