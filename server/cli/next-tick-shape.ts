import { createHook } from 'node:async_hooks';

/**
 * One of Node's `process.nextTick` queue entries, held for the life of the process so that V8 keeps the hidden
 * classes (maps) those entries are built with. Imported first by the CLI (`main.ts`), before anything has run.
 *
 * Why (issue 17): Node 20 builds each entry as an object literal with computed keys (`{ [async_id_symbol]: …,
 * [trigger_async_id_symbol]: …, callback, args }`). V8 holds the map such a literal starts from only weakly, so a
 * full garbage collection at a moment when no entry is alive (nearly every moment: the queue empties each turn)
 * frees the whole chain. The next entry then starts from a new map, the literal's feedback turns megamorphic, and
 * from then on every `nextTick` defines its properties through V8's runtime instead of the optimised code: 2.4 %
 * of the event loop's samples in a paced HTTP profile. Measured in the running service (w1, 3,000 req/s, six
 * `nextTick`s per HTTP request, mostly Node's own streams; ten per gRPC unary call): 458-707 ns per `nextTick`
 * without this, 152-375 ns with it (docs/performance.md). An entry held alive keeps its map chain, and with it
 * the map every literal of that shape starts from.
 *
 * The entry is taken from a one-shot async hook (its `init` receives the entry itself as the resource), which is
 * disabled again before this module returns: no hook stays installed.
 */
export const heldTickEntry: object | undefined = holdOneTickEntry();

function holdOneTickEntry(): object | undefined {
  let entry: object | undefined;
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type === 'TickObject' && entry === undefined) entry = resource;
    },
  }).enable();
  try {
    // No arguments: an entry like most of Node's own (`args` undefined), so its map is the one they use.
    process.nextTick(() => {});
  } finally {
    hook.disable();
  }
  return entry;
}
