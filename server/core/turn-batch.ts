/**
 * Collects what is pushed during one turn of the event loop and delivers it as one batch once the loop has run
 * every callback it found ready in that turn (`setImmediate`): one system call or one thread message for all of
 * it instead of one each. The request-log journal (one `writeSync` per turn) and the SIP thread's two directions
 * (calls to the core, answers back) use it.
 */
export class TurnBatch<T> {
  private items: T[] = [];

  constructor(private readonly deliver: (items: T[]) => void) {}

  /** True when this item began a new batch (the caller may attach per-batch state to it). */
  push(item: T): boolean {
    if (this.items.push(item) !== 1) return false;
    setImmediate(this.flush);
    return true;
  }

  /** Delivers what is collected now (close, shutdown); the scheduled delivery then finds nothing. */
  readonly flush = (): void => {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.deliver(items);
  };
}
