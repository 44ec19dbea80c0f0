/**
 * Makes room for one more entry in Maps used oldest first (their insertion order): when they hold `max`
 * entries in all, it deletes their first entries, the first Map's before the next one's, down to `max` less a
 * batch of 1/64 of `max` (at least one).
 *
 * Why a batch: a Map finds its first entry by stepping over the slots its earlier deletions left at the front,
 * until it next rehashes, so deleting the oldest entry once per insertion cost 16-19 µs per insertion at
 * 50,000-100,000 entries (2.9 µs at 5,000; a microbenchmark). A SIP transaction table that was always full
 * above 10,000 calls/s spent up to half its thread there (issue 17). One pass per batch pays the step-over once.
 */
export function makeRoom(maps: readonly Map<unknown, unknown>[], max: number): void {
  let size = 0;
  for (const map of maps) size += map.size;
  if (size < max) return;
  let n = size - max + Math.max(1, Math.floor(max / 64));
  for (const map of maps) {
    for (const key of map.keys()) {
      if (n === 0) return;
      map.delete(key);
      n--;
    }
  }
}
