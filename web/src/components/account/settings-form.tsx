import { useEffect, useState } from 'preact/hooks';
import { AttestOptions } from '../../pages/accounts.js';
import { isAdmin, useApp } from '../../session.js';
import type { Account, Attest } from '../../types.js';
import { ErrorMessage, Notice } from '../status.js';

const RANK: Record<Attest, number> = { A: 3, B: 2, C: 1 };
/** The namespaces the service grants (server/core/rph/rph-namespaces.ts), with what each is for. */
const RPH_NAMESPACES: [string, string][] = [
  ['ets', 'ets — Government Emergency Telecommunications Service'],
  ['wps', 'wps — Wireless Priority Service'],
  ['esnet', 'esnet — emergency-services networks (RFC 9027)'],
];
const TTL_MAX = 86_400;

/** The checks the backend also makes, so that a mistake is explained before a round trip. */
function validate(s: Draft): string | null {
  if (!/^\d+$/.test(s.tokenTtlSec) || Number(s.tokenTtlSec) < 1 || Number(s.tokenTtlSec) > TTL_MAX)
    return `Token TTL must be a whole number of seconds from 1 to ${TTL_MAX}.`;
  if (RANK[s.defaultAttest] > RANK[s.maxAttest]) return `The default attestation (${s.defaultAttest}) cannot be above the maximum (${s.maxAttest}).`;
  if (s.oobPublish && !/^\s*(\d{1,15}\s*(,\s*\d{1,15}\s*)*)?$/.test(s.oobPrefixes))
    return 'Out-of-band prefixes must be called-number prefixes of digits, separated by commas (empty: every destination).';
  return null;
}

interface Draft {
  defaultAttest: Attest;
  maxAttest: Attest;
  tokenTtlSec: string;
  policyMode: string;
  nonNumericOrig: string;
  rphNamespaces: string[];
  oobPublish: boolean;
  /** Comma-separated called-number prefixes; empty: every destination. */
  oobPrefixes: string;
  enabled: boolean;
}

const draftOf = (a: Account): Draft => ({
  defaultAttest: a.defaultAttest,
  maxAttest: a.maxAttest,
  tokenTtlSec: String(a.tokenTtlSec),
  policyMode: a.policyMode,
  nonNumericOrig: a.nonNumericOrig,
  rphNamespaces: a.rphNamespaces ?? [],
  oobPublish: a.oobPublish != null,
  oobPrefixes: (a.oobPublish?.destPrefixes ?? []).join(', '),
  enabled: a.enabled,
});

export function SettingsForm({ account, base, writable, onSaved }: { account: Account; base: string; writable: boolean; onSaved(): void }) {
  const { api, user } = useApp();
  // Only an admin grants the priority-call right or turns out-of-band publishing on or off; others see them read-only.
  const grants = isAdmin(user);
  const toggleRph = (ns: string, on: boolean) =>
    set('rphNamespaces', RPH_NAMESPACES.map(([n]) => n).filter((n) => (n === ns ? on : draft.rphNamespaces.includes(n))));
  const [draft, setDraft] = useState<Draft>(() => draftOf(account));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => setDraft(draftOf(account)), [account]);

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setDraft((d) => ({ ...d, [k]: v }));
    setSaved(false);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const problem = validate(draft);
    if (problem) return setError(new Error(problem));
    setBusy(true);
    setError(null);
    try {
      const { oobPrefixes, ...rest } = draft;
      const destPrefixes = oobPrefixes.split(',').map((p) => p.trim()).filter((p) => p !== '');
      await api.patch(base, { ...rest, tokenTtlSec: Number(draft.tokenTtlSec), oobPublish: draft.oobPublish ? { destPrefixes } : null });
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <fieldset disabled={!writable || busy}>
        <div class="form-grid">
          <label for="set-default">Default attestation</label>
          <select id="set-default" value={draft.defaultAttest} onChange={(e) => set('defaultAttest', e.currentTarget.value as Attest)}>
            <AttestOptions />
          </select>
          <label for="set-max">Maximum attestation</label>
          <select id="set-max" value={draft.maxAttest} onChange={(e) => set('maxAttest', e.currentTarget.value as Attest)}>
            <AttestOptions />
          </select>
          <label for="set-ttl">Token TTL (seconds)</label>
          <input id="set-ttl" inputMode="numeric" value={draft.tokenTtlSec} onInput={(e) => set('tokenTtlSec', e.currentTarget.value)} aria-describedby="set-ttl-help" />
          <span id="set-ttl-help" class="help">
            How far a caller's iat may be from now; a retired certificate stays published at least this long.
          </span>
          <label for="set-policy">Policy mode</label>
          <select id="set-policy" value={draft.policyMode} onChange={(e) => set('policyMode', e.currentTarget.value)}>
            <option value="enforce">enforce — A only for numbers in the TN inventory</option>
            <option value="trust">trust — the caller's level, capped at the maximum</option>
          </select>
          <label for="set-nonnumeric">Non-numeric caller</label>
          <select id="set-nonnumeric" value={draft.nonNumericOrig} onChange={(e) => set('nonNumericOrig', e.currentTarget.value)}>
            <option value="B">sign with B</option>
            <option value="C">sign with C</option>
            <option value="refuse">refuse</option>
          </select>
          <span id="set-rph-label">Priority calls (rph)</span>
          <div role="group" aria-labelledby="set-rph-label" aria-describedby="set-rph-help">
            {RPH_NAMESPACES.map(([ns, label]) => (
              <label class="check" key={ns}>
                <input type="checkbox" name={`rph-${ns}`} checked={draft.rphNamespaces.includes(ns)} disabled={!grants} onChange={(e) => toggleRph(ns, e.currentTarget.checked)} /> {label}
              </label>
            ))}
            <span id="set-rph-help" class="help">
              Resource-Priority namespaces this account may sign rph PASSporTs for (RFC 8443).{grants ? '' : ' Only an admin may change them.'}
            </span>
          </div>
          <span id="set-oob-label">Out-of-band SHAKEN</span>
          <div role="group" aria-labelledby="set-oob-label" aria-describedby="set-oob-help">
            <label class="check">
              <input type="checkbox" name="oob-publish" checked={draft.oobPublish} disabled={!grants} onChange={(e) => set('oobPublish', e.currentTarget.checked)} /> Publish signed PASSporTs to the STI-CPS
            </label>
            <input id="set-oob-prefixes" aria-label="Out-of-band destination prefixes" placeholder="every destination" value={draft.oobPrefixes} disabled={!grants || !draft.oobPublish} onInput={(e) => set('oobPrefixes', e.currentTarget.value)} />
            <span id="set-oob-help" class="help">
              For calls that cross TDM (ATIS-1000096): called-number prefixes separated by commas, empty for every destination.
              {grants ? '' : ' Only an admin may change it: it sends this account\'s calls to a third party.'}
            </span>
          </div>
          <span />
          <label class="check">
            <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} /> Enabled (calls are signed)
          </label>
        </div>
        <ErrorMessage error={error} />
        {saved && <Notice>Settings saved.</Notice>}
        {writable && <button type="submit">Save settings</button>}
      </fieldset>
    </form>
  );
}
