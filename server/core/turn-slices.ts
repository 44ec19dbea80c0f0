import { dropConsumed } from './consumed-prefix.js';

/**
 * Starts the items it is given a slice per turn of the event loop: `perTurn` at once, the rest on later turns
 * (`setImmediate`), in order. Work a slice starts (its promises, its request-log records, its answers) can then
 * finish and leave while later slices wait, instead of every item of a large hand-off holding the loop until
 * the last one is done.
 */
export class TurnSlices<T> {
  private readonly queue: T[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    private readonly perTurn: number,
    private readonly start: (item: T) => void,
  ) {}

  /** Queues the items; starts a slice now unless slices are already under way. */
  push(items: readonly T[]): void {
    for (const item of items) this.queue.push(item);
    if (!this.scheduled) this.run();
  }

  private readonly run = (): void => {
    const end = Math.min(this.queue.length, this.head + this.perTurn);
    while (this.head < end) this.start(this.queue[this.head++]!);
    this.scheduled = this.head < this.queue.length;
    if (this.scheduled) setImmediate(this.run);
    // Under steady load new items can arrive before the queue ever empties: let started ones go all the same.
    this.head = dropConsumed(this.queue, this.head);
  };
}
