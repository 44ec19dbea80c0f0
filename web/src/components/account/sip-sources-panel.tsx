import { useState } from 'preact/hooks';
import { useApp } from '../../session.js';
import type { SbcDialect, SipSource, SourceKind } from '../../types.js';
import { ErrorMessage } from '../status.js';

interface Props {
  sources: SipSource[];
  base: string;
  writable: boolean;
  onChanged(): void;
}

/** The SBC dialect quirks, each off unless ticked (docs/sip-redirect-server.md#sbc-dialects). */
const QUIRKS: { key: keyof SbcDialect; label: string }[] = [
  { key: 'identityInContact', label: 'Identity in Contact' },
  { key: 'multipleChoices', label: '300 instead of 302' },
  { key: 'attestationHeaders', label: 'P-Attestation-Indicator / P-Origination-ID' },
];

/** Addresses SIP requests for this account come from (the SIP transport has no API key), and each one's SBC dialect. */
export function SipSourcesPanel({ sources, base, writable, onChanged }: Props) {
  const { api } = useApp();
  const [cidr, setCidr] = useState('');
  const [sourceKind, setSourceKind] = useState<SourceKind>('customer');
  const [error, setError] = useState<unknown>(null);

  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.post(`${base}/sip-sources`, { cidr: cidr.trim(), sourceKind });
      setCidr('');
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  const remove = async (s: SipSource) => {
    setError(null);
    try {
      await api.delete(`${base}/sip-sources?cidr=${encodeURIComponent(s.cidr)}`);
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  // The dialect is replaced as a whole: the quirk ticked or cleared, the others as they are.
  const setQuirk = async (s: SipSource, key: keyof SbcDialect, on: boolean) => {
    setError(null);
    try {
      await api.patch(`${base}/sip-sources?cidr=${encodeURIComponent(s.cidr)}`, { dialect: { ...s.dialect, [key]: on } });
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section class="card" aria-labelledby="sip-title">
      <h2 id="sip-title">SIP source addresses</h2>
      {sources.length === 0 ? (
        <p>None: SIP requests are not accepted for this account.</p>
      ) : (
        <ul class="plain" data-testid="sip-sources">
          {sources.map((s) => (
            <li key={s.cidr}>
              <code>{s.cidr}</code> ({s.sourceKind}){' '}
              {writable && (
                <button type="button" class="danger small" onClick={() => remove(s)} aria-label={`Remove SIP source ${s.cidr}`}>
                  Remove
                </button>
              )}
              <span class="form-row" role="group" aria-label={`SBC dialect of ${s.cidr}`}>
                {QUIRKS.map((q) => (
                  <label key={q.key} class="check">
                    <input type="checkbox" checked={s.dialect[q.key]} disabled={!writable} onChange={(e) => setQuirk(s, q.key, e.currentTarget.checked)} /> {q.label}
                  </label>
                ))}
              </span>
            </li>
          ))}
        </ul>
      )}
      {writable && (
        <form onSubmit={add} class="form-row" aria-label="Add a SIP source">
          <span class="field">
            <label for="sip-cidr">Address or CIDR</label>
            <input id="sip-cidr" required value={cidr} onInput={(e) => setCidr(e.currentTarget.value)} placeholder="192.0.2.0/24" />
          </span>
          <span class="field">
            <label for="sip-kind">Source</label>
            <select id="sip-kind" value={sourceKind} onChange={(e) => setSourceKind(e.currentTarget.value as SourceKind)}>
              <option value="customer">customer</option>
              <option value="gateway">gateway</option>
            </select>
          </span>
          <button type="submit">Add</button>
        </form>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}
