import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/load.js';
import type { Clock } from '../core/ports.js';
import { emptyTrustAnchors, parseTrustAnchors, type TrustAnchors } from '../core/verify/trust-anchors.js';
import type { TrustAnchorSource } from '../core/verify/verify-ports.js';

const PEM_FILE = /\.(pem|crt|cer)$/i;

interface Files {
  stamp: string;
  texts: { name: string; text: string }[];
}

function listFiles(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => PEM_FILE.test(f))
    .sort()
    .map((f) => join(path, f));
}

/** What changes when an anchor file is added, removed, replaced or edited: names, sizes and mtimes. */
function stampOf(path: string): string {
  return listFiles(path)
    .map((f) => {
      const s = statSync(f);
      return `${f}:${s.size}:${s.mtimeMs}`;
    })
    .join('|');
}

function readAll(path: string): Files {
  const stamp = stampOf(path);
  return { stamp, texts: listFiles(path).map((f) => ({ name: f, text: readFileSync(f, 'utf8') })) };
}

/**
 * `verify.trustAnchors`: a PEM bundle or a folder of PEM files (`*.pem`, `*.crt`, `*.cer`), read at start
 * (a missing, unreadable or empty bundle stops the service; a folder may start empty) and re-read when a file's mtime or size changes. The check
 * runs on use, at most once per `reloadMs`, with a synchronous stat: a few microseconds once a second costs
 * less than a timer to own and stop, and the next verification after a change already sees the new anchors.
 * A bundle that fails to parse on reload leaves the previous anchors in force and is reported to `onError`.
 */
export class FileTrustAnchorSource implements TrustAnchorSource {
  private anchors: TrustAnchors;
  private stamp: string;
  private checkedAt: number;
  private generation = 1;
  private failedStamp: string | undefined;

  constructor(
    private readonly path: string,
    private readonly reloadMs: number,
    private readonly clock: Clock,
    private readonly onError: (e: Error) => void = () => undefined,
  ) {
    let files: Files;
    try {
      files = readAll(path);
      this.anchors = parseTrustAnchors(files.texts, this.generation);
    } catch (e) {
      throw new ConfigError('verify.trustAnchors', `cannot load ${path}: ${(e as Error).message}`);
    }
    // An empty folder is a valid start (anchors are dropped in later); an empty bundle file is a mistake.
    if (this.anchors.anchors.length === 0 && !statSync(path).isDirectory()) throw new ConfigError('verify.trustAnchors', `${path} holds no CERTIFICATE block`);
    this.stamp = files.stamp;
    this.checkedAt = clock.now();
  }

  current(): TrustAnchors {
    const now = this.clock.now();
    if (now - this.checkedAt >= this.reloadMs) {
      this.checkedAt = now;
      this.reloadIfChanged();
    }
    return this.anchors;
  }

  /** Re-reads now if anything changed; true when the anchors were replaced. */
  reloadIfChanged(): boolean {
    let stamp = '';
    try {
      stamp = stampOf(this.path);
      // A bad version is reported once, not once per check, and retried when the files change again.
      if (stamp === this.stamp || stamp === this.failedStamp) return false;
      const files = readAll(this.path);
      const next = parseTrustAnchors(files.texts, this.generation + 1);
      if (next.anchors.length === 0 && !statSync(this.path).isDirectory()) throw new Error(`${this.path} holds no CERTIFICATE block`);
      this.generation++;
      this.anchors = next;
      this.stamp = files.stamp;
      return true;
    } catch (e) {
      this.failedStamp = stamp;
      this.onError(e as Error);
      return false;
    }
  }
}

/** The source for `verify.trustAnchors`; unset means no anchors (every chain is untrusted, and results say why). */
export function trustAnchorSource(path: string | undefined, reloadMs: number, clock: Clock, onError?: (e: Error) => void): TrustAnchorSource {
  if (path === undefined) {
    const none = emptyTrustAnchors();
    return { current: () => none };
  }
  return new FileTrustAnchorSource(path, reloadMs, clock, onError);
}
