import { useState } from 'preact/hooks';
import { formatDate } from '../../format.js';
import { useApp } from '../../session.js';
import type { Credential } from '../../types.js';
import { ErrorMessage, ExpiryBadge, Notice } from '../status.js';
import { chainProblem, keyProblem, keyRefProblem, readFiles, splitPem } from './pem-input.js';

interface Props {
  credentials: Credential[];
  base: string;
  writable: boolean;
  onChanged(): void;
}

export function CredentialsPanel({ credentials, base, writable, onChanged }: Props) {
  return (
    <section class="card wide" aria-labelledby="credentials-title">
      <h2 id="credentials-title">Credentials</h2>
      {credentials.length === 0 ? <p>No credential yet: this account cannot sign.</p> : <CredentialTable credentials={credentials} />}
      {writable && <UploadCredential base={base} onUploaded={onChanged} />}
    </section>
  );
}

function CredentialTable({ credentials }: { credentials: Credential[] }) {
  return (
    <div class="table-scroll">
      <table data-testid="credentials">
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Subject</th>
            <th scope="col">Issuer</th>
            <th scope="col">SPC</th>
            <th scope="col">Serial</th>
            <th scope="col">Valid from</th>
            <th scope="col">Valid until</th>
            <th scope="col">Days until expiry</th>
            <th scope="col">Key store</th>
          </tr>
        </thead>
        <tbody>
          {credentials.map((c) => (
            <tr key={c.id} data-credential-id={c.id}>
              <td>{c.state === 'active' ? 'Active' : `Retired ${formatDate(c.retiredAt)}`}</td>
              <td class="wrap">{c.subject}</td>
              <td class="wrap">{c.issuer}</td>
              <td>{c.spc}</td>
              <td class="mono wrap">{c.serial}</td>
              <td>{formatDate(c.notBefore)}</td>
              <td data-testid="cred-not-after">{formatDate(c.notAfter)}</td>
              <td data-testid="cred-days-left">
                <ExpiryBadge daysLeft={c.daysLeft} />
              </td>
              <td>
                {c.keyStore === 'pkcs11' ? 'HSM (PKCS#11)' : 'Software'}
                <br />
                <a href={c.x5u} target="_blank" rel="noreferrer">
                  x5u
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type KeySource = 'pem' | 'hsm';

function UploadCredential({ base, onUploaded }: { base: string; onUploaded(): void }) {
  const { api } = useApp();
  const [source, setSource] = useState<KeySource>('pem');
  const [chain, setChain] = useState('');
  const [key, setKey] = useState('');
  const [keyRef, setKeyRef] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<Credential | null>(null);
  const [busy, setBusy] = useState(false);

  // One picker for all files: certificates go to the chain, a private key to the key field, so a single
  // combined PEM file works as well as separate chain.pem and key.pem.
  const pick = async (files: FileList | null) => {
    setError(null);
    try {
      const { certificates, keys } = splitPem(await readFiles(files));
      if (certificates.length === 0 && keys.length === 0) return setError(new Error('The chosen files hold no PEM certificate or private key.'));
      if (certificates.length > 0) setChain(certificates.join('\n') + '\n');
      if (keys.length > 0) {
        setKey(keys.join('\n') + '\n');
        setSource('pem');
      }
    } catch (err) {
      setError(err);
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setDone(null);
    const problem = chainProblem(chain) ?? (source === 'pem' ? keyProblem(key) : keyRefProblem(keyRef));
    if (problem) return setError(new Error(problem));
    setBusy(true);
    setError(null);
    try {
      const body = source === 'pem' ? { certificatePem: chain, privateKeyPem: key } : { certificatePem: chain, keyRef: keyRef.trim() };
      const { credential } = await api.post<{ credential: Credential }>(`${base}/credentials`, body);
      setDone(credential);
      setChain('');
      setKey('');
      setKeyRef('');
      onUploaded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} aria-labelledby="upload-title" class="subform">
      <h3 id="upload-title">Upload a new credential</h3>
      <p class="help">The new credential signs from then on; the previous certificate stays published at its x5u for at least the token TTL.</p>
      <fieldset disabled={busy}>
        <legend>Private key</legend>
        <label class="check">
          <input type="radio" name="key-source" value="pem" checked={source === 'pem'} onChange={() => setSource('pem')} /> PEM key (pasted or from a file)
        </label>
        <label class="check">
          <input type="radio" name="key-source" value="hsm" checked={source === 'hsm'} onChange={() => setSource('hsm')} /> Key in an HSM (PKCS#11 reference)
        </label>
      </fieldset>
      <label for="cred-files">Choose PEM files (certificate chain and key; read in the browser)</label>
      <input id="cred-files" type="file" multiple accept=".pem,.crt,.cer,.key,application/x-pem-file,text/plain" onChange={(e) => pick(e.currentTarget.files)} />
      <label for="cred-chain">Certificate chain (PEM, leaf first)</label>
      <textarea id="cred-chain" rows={5} spellcheck={false} value={chain} onInput={(e) => setChain(e.currentTarget.value)} placeholder="-----BEGIN CERTIFICATE-----" />
      {source === 'pem' ? (
        <>
          <label for="cred-key">Private key (PEM, P-256)</label>
          <textarea id="cred-key" rows={4} spellcheck={false} autocomplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} placeholder="-----BEGIN PRIVATE KEY-----" />
        </>
      ) : (
        <>
          <label for="cred-keyref">HSM key reference</label>
          <input id="cred-keyref" value={keyRef} onInput={(e) => setKeyRef(e.currentTarget.value)} placeholder="pkcs11:token=sti;object=sti-2026" />
        </>
      )}
      <ErrorMessage error={error} />
      {done && (
        <Notice>
          Credential for SPC {done.spc} is now active; it expires on {formatDate(done.notAfter)} ({done.daysLeft} days).
        </Notice>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Checking…' : 'Upload credential'}
      </button>
    </form>
  );
}
