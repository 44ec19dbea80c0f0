import { existsSync } from 'node:fs';
import { Module, type Slot } from 'graphene-pk11';
import pkcs11js from 'pkcs11js';
import { ShakenError } from '../../server/core/errors.js';
import { ckrName } from './pkcs11-errors.js';

function configError(reason: string, cause?: unknown): ShakenError {
  return new ShakenError('ERR_KEYSTORE_CONFIG', reason, { cause });
}

/**
 * One PKCS#11 library, loaded and initialised once per process: the library's state (sessions, login) is
 * process-wide, so one store owns it.
 */
export class Pkcs11Module {
  private constructor(
    readonly path: string,
    private readonly mod: Module,
  ) {}

  static load(path: string): Pkcs11Module {
    if (!existsSync(path)) throw configError(`PKCS#11 module ${path} does not exist (pkcs11.module, SHAKENSTACK_PKCS11_MODULE)`);
    let mod: Module;
    try {
      mod = Module.load(path, 'pkcs11');
    } catch (e) {
      throw configError(`PKCS#11 module ${path} cannot be loaded: ${(e as Error).message}`, e);
    }
    const m = new Pkcs11Module(path, mod);
    m.initialize();
    return m;
  }

  /**
   * CKF_OS_LOCKING_OK lets the library lock with OS mutexes. Without it, signatures running at once on libuv's
   * threads crashed Node inside the library (segfault, invalid free).
   */
  private initialize(): void {
    try {
      // pkcs11js directly: graphene's initialize() hides CKR_CRYPTOKI_ALREADY_INITIALIZED, which here means a
      // second store in this process, whose close() would finalise the library under the first.
      this.mod.lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (e) {
      if (ckrName(e) === 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
        throw configError(`PKCS#11 module ${this.path} is already initialised in this process: open one PKCS#11 key store per process`, e);
      }
      throw configError(`PKCS#11 module ${this.path} failed to initialise (${ckrName(e) ?? (e as Error).message}); for SoftHSM, check SOFTHSM2_CONF`, e);
    }
  }

  /**
   * Finalises and initialises again. Needed to see a token that was removed and came back: SoftHSM, like
   * network HSM clients, keeps failing until then. The caller must have no call in flight.
   */
  reinitialize(): void {
    try {
      this.mod.finalize();
    } catch {
      // Already finalised, or the library lost its state; initialising again is what matters.
    }
    this.initialize();
  }

  /** The slot holding the token labelled `label`; throws ERR_KEYSTORE_CONFIG naming the tokens present. */
  slotFor(label: string): Slot {
    const slots = this.mod.getSlots(true);
    const labels: string[] = [];
    const matches: Slot[] = [];
    for (let i = 0; i < slots.length; i++) {
      const slot = slots.items(i);
      const tokenLabel = slot.getToken().label;
      if (tokenLabel === label) matches.push(slot);
      else if (tokenLabel) labels.push(JSON.stringify(tokenLabel));
    }
    // Two tokens under one label would make the choice depend on slot order, which is what labels avoid.
    if (matches.length > 1) throw configError(`${matches.length} tokens are labelled "${label}" in PKCS#11 module ${this.path}; give each a distinct label`);
    if (matches.length === 1) return matches[0]!;
    throw configError(`no token labelled "${label}" in PKCS#11 module ${this.path} (tokens present: ${labels.join(', ') || 'none'})`);
  }

  close(): void {
    try {
      this.mod.finalize();
    } catch {
      // Finalised already by a failed re-initialisation.
    }
    this.mod.close();
  }
}
