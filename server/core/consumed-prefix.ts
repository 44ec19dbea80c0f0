/**
 * For a queue read from `head` onwards (taking from the front is then O(1)): cuts the items before `head` out
 * of `queue`, in place, once that is cheap per item, and returns the new head. An emptied queue is cleared at
 * once; otherwise the prefix goes when it is over 1,024 items and most of the array, so the cost stays
 * amortised O(1) per item and a queue that never quite empties under steady load does not keep every item it
 * ever held.
 */
export function dropConsumed(queue: unknown[], head: number): number {
  if (head === queue.length) {
    queue.length = 0;
    return 0;
  }
  if (head > 1024 && head * 2 > queue.length) {
    queue.splice(0, head);
    return 0;
  }
  return head;
}
