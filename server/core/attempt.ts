import { isShakenError, type ShakenError } from './errors.js';
import type { CallerContext } from './types.js';

/**
 * A core request's outcome as data, naming the caller whenever it was identified, on a refusal too: what a
 * call-level service needs to route a refused call without asking the core again (STYLE.md §10).
 */
export type Attempt<T> =
  | { ok: true; value: T; caller: CallerContext | undefined }
  | { ok: false; error: ShakenError; caller: CallerContext | undefined };

/**
 * Runs `work`, which reports its caller through `identified` once it knows it, and returns a ShakenError as a
 * refusal instead of throwing it. Anything else is a fault and is thrown.
 */
export async function attempt<T>(work: (identified: (caller: CallerContext) => void) => Promise<T>): Promise<Attempt<T>> {
  let caller: CallerContext | undefined;
  try {
    const value = await work((c) => (caller = c));
    return { ok: true, value, caller };
  } catch (e) {
    if (!isShakenError(e)) throw e;
    return { ok: false, error: e, caller };
  }
}
