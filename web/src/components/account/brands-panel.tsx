import { useState } from 'preact/hooks';
import { useApp } from '../../session.js';
import type { RcdProfile } from '../../types.js';
import { ErrorMessage } from '../status.js';

interface Props {
  profiles: RcdProfile[];
  base: string;
  /** Vetting a brand is the signing service's job: only an admin adds, refreshes or removes one. */
  admin: boolean;
  onChanged(): void;
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * The jCard field: empty (none), the https URL of a jCard (`jcl`), or an inline jCard (`jcd`) checked here for the
 * RFC 7095 §3.2 shape, `["vcard", [[name, {params}, type, value…], …]]`, so a typo is named before the server is
 * asked; the server checks the rest (the links it must fetch and digest).
 */
export function jcardField(text: string): { ok: true; value: { jcd?: unknown[]; jcl?: string } } | { ok: false; message: string } {
  const t = text.trim();
  if (t === '') return { ok: true, value: {} };
  if (/^https:\/\//i.test(t)) return { ok: true, value: { jcl: t } };
  let card: unknown;
  try {
    card = JSON.parse(t);
  } catch {
    return { ok: false, message: 'The jCard is neither JSON nor an https URL.' };
  }
  if (!Array.isArray(card) || card.length !== 2 || card[0] !== 'vcard' || !Array.isArray(card[1])) {
    return { ok: false, message: 'The jCard must be ["vcard", [properties]] (RFC 7095).' };
  }
  const bad = (card[1] as unknown[]).findIndex(
    (p) => !Array.isArray(p) || p.length < 4 || typeof p[0] !== 'string' || typeof p[1] !== 'object' || p[1] === null || Array.isArray(p[1]) || typeof p[2] !== 'string',
  );
  if (bad >= 0) return { ok: false, message: `jCard property ${bad + 1} must be [name, {params}, type, value] (RFC 7095 §3.3).` };
  return { ok: true, value: { jcd: card } };
}

/** Branded calls: the brands (name, logo, call reasons) vetted for this account and the numbers they cover. */
export function BrandsPanel({ profiles, base, admin, onChanged }: Props) {
  const { api } = useApp();
  const [nam, setNam] = useState('');
  const [icn, setIcn] = useState('');
  const [numbers, setNumbers] = useState('');
  const [reasons, setReasons] = useState('');
  const [card, setCard] = useState('');
  const [separate, setSeparate] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const all = list(numbers);
    // A number ending in * is a prefix; anything else a number.
    const tns = all.filter((n) => !n.endsWith('*'));
    const prefixes = all.filter((n) => n.endsWith('*')).map((n) => n.slice(0, -1));
    const rcd: Record<string, unknown> = { nam: nam.trim() };
    if (icn.trim() !== '') rcd.icn = icn.trim();
    const jcard = jcardField(card);
    if (!jcard.ok) {
      setError(new Error(jcard.message));
      return;
    }
    Object.assign(rcd, jcard.value);
    try {
      await api.post(`${base}/rcd-profiles`, { rcd, tns, prefixes, crn: list(reasons), placement: separate ? 'rcd' : 'shaken' });
      setNam('');
      setIcn('');
      setNumbers('');
      setReasons('');
      setCard('');
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section class="card" aria-labelledby="brands-title">
      <h2 id="brands-title">Branded calls</h2>
      {profiles.length === 0 ? (
        <p>No vetted brands: this account signs no Rich Call Data.</p>
      ) : (
        <table data-testid="brands">
          <thead>
            <tr>
              <th scope="col">Logo</th>
              <th scope="col">Name</th>
              <th scope="col">Numbers</th>
              <th scope="col">Call reasons</th>
              <th scope="col">PASSporT</th>
              {admin && <th scope="col"><span class="sr-only">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {profiles.map((p) => (
              <tr key={p.id}>
                <td>{p.logo ? <img src={p.logo} alt={`Logo of ${p.rcd.nam}`} width={40} height={40} data-testid="brand-logo" /> : '—'}</td>
                <td>
                  {p.rcd.nam}
                  <div class="muted">
                    <code>{p.id}</code>
                  </div>
                </td>
                <td class="wrap">{[...p.tns, ...p.prefixes.map((x) => `${x}*`)].join(', ')}</td>
                <td class="wrap">{p.crn.length === 0 ? '(none)' : p.crn.join(', ')}</td>
                <td>{p.placement === 'rcd' ? 'separate rcd' : 'in shaken'}</td>
                {admin && (
                  <td>
                    {(p.rcd.icn || p.rcd.jcl || Object.keys(p.nestedDigests ?? {}).length > 0) && (
                      <button type="button" class="small" onClick={() => act(() => api.post(`${base}/rcd-profiles/${encodeURIComponent(p.id)}/refresh`, {}))} aria-label={`Fetch the logo of ${p.rcd.nam} again`}>
                        Refresh
                      </button>
                    )}
                    <button type="button" class="danger small" onClick={() => act(() => api.delete(`${base}/rcd-profiles/${encodeURIComponent(p.id)}`))} aria-label={`Remove brand ${p.rcd.nam}`}>
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {admin && (
        <form onSubmit={add} class="form-row" aria-label="Vet a brand">
          <span class="field">
            <label for="brand-nam">Brand name</label>
            <input id="brand-nam" required maxLength={64} value={nam} onInput={(e) => setNam(e.currentTarget.value)} placeholder="Example Bank" />
          </span>
          <span class="field">
            <label for="brand-icn">Logo URL</label>
            <input id="brand-icn" type="url" value={icn} onInput={(e) => setIcn(e.currentTarget.value)} placeholder="https://brand.example.com/logo-256.png" />
          </span>
          <span class="field">
            <label for="brand-numbers">Numbers (prefix*)</label>
            <input id="brand-numbers" required value={numbers} onInput={(e) => setNumbers(e.currentTarget.value)} placeholder="12025550100, 1303555*" />
          </span>
          <span class="field">
            <label for="brand-crn">Call reasons</label>
            <input id="brand-crn" value={reasons} onInput={(e) => setReasons(e.currentTarget.value)} placeholder="Fraud alert, Delivery" />
          </span>
          <span class="field">
            <label for="brand-jcard">jCard (JSON or https URL)</label>
            <textarea id="brand-jcard" rows={2} value={card} onInput={(e) => setCard(e.currentTarget.value)} placeholder='["vcard",[["fn",{},"text","Example Bank"]]]' aria-describedby="brand-jcard-help" />
            <small id="brand-jcard-help">An inline jCard (RFC 7095) or the https URL of one; its photo and logo URLs are fetched and digested.</small>
          </span>
          <label>
            <input type="checkbox" checked={separate} onChange={(e) => setSeparate(e.currentTarget.checked)} /> separate rcd PASSporT
          </label>
          <button type="submit">Add</button>
        </form>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}
