/**
 * Rich Call Data a SIP call asks to have signed, read from the signalling (RFC 9796): the calling name is the
 * display name of the calling party (P-Asserted-Identity, else From; RFC 9796), the logo a Call-Info entry with
 * `purpose=icon`, the jCard one with `purpose=jcard` (the token RFC 9796 registers; `rcd-jcard`, its drafts'
 * name, is still read from older SBCs; the null `<data:>` URI carries no jCard), and
 * the reason its `call-reason` parameter (§5). Only a call whose Call-Info carries one of these asks for RCD: a
 * display name alone is every call's and asks for nothing. The signer then checks the fields against the
 * account's profiles exactly as a request body's (rcd-policy.ts).
 */

/** The jCard purpose: `jcard` in RFC 9796 as published, `rcd-jcard` in its drafts up to 2024. */
const JCARD_PURPOSES: ReadonlySet<string> = new Set(['jcard', 'rcd-jcard']);

/** SIP text arrives as latin1 (one char per byte); a display name or reason in UTF-8 is decoded here. */
function utf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

function unquote(value: string): string {
  const v = value.trim();
  return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
}

/** The display name of a name-addr (`"Example Bank" <sip:…>` or `Example <sip:…>`), or undefined. */
export function displayNameOf(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const quoted = /^\s*"((?:[^"\\]|\\.)*)"\s*</.exec(address);
  if (quoted) return utf8(quoted[1]!.replace(/\\(.)/g, '$1')) || undefined;
  const token = /^\s*([^<"]+?)\s*</.exec(address);
  return token ? utf8(token[1]!) : undefined;
}

interface CallInfoEntry {
  uri: string;
  params: Map<string, string>;
}

/** One Call-Info entry, `<uri>;name=value;…` (RFC 3261 §20.9), or undefined when it does not read as one. */
function parseEntry(entry: string): CallInfoEntry | undefined {
  const m = /^\s*<([^>]*)>(.*)$/s.exec(entry);
  if (!m) return undefined;
  const params = new Map<string, string>();
  // Parameters are split on `;` outside quotes.
  const rest = m[2]!;
  let current = '';
  let inQuotes = false;
  const flush = () => {
    const p = current.trim();
    if (p !== '') {
      const eq = p.indexOf('=');
      params.set((eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase(), eq < 0 ? '' : unquote(p.slice(eq + 1)));
    }
    current = '';
  };
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i]!;
    if (inQuotes && ch === '\\') {
      current += ch + (rest[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') inQuotes = !inQuotes;
    if (ch === ';' && !inQuotes) flush();
    else current += ch;
  }
  flush();
  return { uri: m[1]!.trim(), params };
}

/** The RCD a call's Call-Info entries ask for, as a sign request's `rcd` member; undefined when none. */
export function rcdOfCallInfo(entries: readonly string[] | undefined, callingAddress: string | undefined): Record<string, unknown> | undefined {
  if (entries === undefined) return undefined;
  const rcd: Record<string, unknown> = {};
  let asked = false;
  for (const raw of entries) {
    const e = parseEntry(raw);
    if (!e) continue;
    const purpose = e.params.get('purpose')?.toLowerCase();
    if (purpose === 'icon') {
      rcd.icn = e.uri;
      asked = true;
    } else if (purpose !== undefined && JCARD_PURPOSES.has(purpose)) {
      if (!e.uri.toLowerCase().startsWith('data:')) rcd.jcl = e.uri;
      asked = true;
    }
    const reason = e.params.get('call-reason');
    if (reason !== undefined && purpose !== undefined && (purpose === 'icon' || JCARD_PURPOSES.has(purpose))) rcd.crn = utf8(reason);
  }
  if (!asked) return undefined;
  const nam = displayNameOf(callingAddress);
  if (nam !== undefined) rcd.nam = nam;
  return rcd;
}
