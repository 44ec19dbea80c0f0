/**
 * How long a response may be reused, from its Cache-Control and Expires headers (RFC 9111 §5.2.2.1,
 * §5.3, §4.2.1): `no-store`/`no-cache` → 0, `s-maxage` or `max-age` in seconds, else Expires minus the
 * response's Date (or now). Undefined when the response says nothing, so the caller applies its default.
 */
export function maxAgeMs(cacheControl: string | undefined, expires: string | undefined, date: string | undefined, nowMs: number): number | undefined {
  if (cacheControl) {
    const directives = new Map<string, string>();
    for (const part of cacheControl.split(',')) {
      const [name, value = ''] = part.trim().split('=', 2) as [string, string | undefined];
      if (name) directives.set(name.toLowerCase(), value.replace(/^"|"$/g, ''));
    }
    if (directives.has('no-store') || directives.has('no-cache')) return 0;
    for (const name of ['s-maxage', 'max-age']) {
      const v = directives.get(name);
      if (v !== undefined && /^\d+$/.test(v)) return Math.min(Number(v), 2 ** 31) * 1000;
    }
  }
  if (expires !== undefined) {
    const at = Date.parse(expires);
    // RFC 9111 §5.3: an invalid Expires (often "0") means already expired.
    if (!Number.isFinite(at)) return 0;
    const base = date !== undefined && Number.isFinite(Date.parse(date)) ? Date.parse(date) : nowMs;
    return Math.max(0, at - base);
  }
  return undefined;
}
