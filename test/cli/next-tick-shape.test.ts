import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileP = promisify(execFile);
const MODULE = pathToFileURL(resolve('dist/server/cli/next-tick-shape.js')).href;

/**
 * Run in a fresh node with V8's test hooks and Node's internals: imports the module, checks that no async hook is
 * left installed, lets full GCs run while no nextTick entry is queued (the moment that frees the entries' maps
 * when nothing holds one), then takes a new entry and prints whether it has the held entry's map.
 */
const PROBE = `
(async () => {
  const { heldTickEntry } = await import(${JSON.stringify(MODULE)});
  const hooksLeft = require('internal/async_hooks').initHooksExist();
  for (let i = 0; i < 1000; i++) process.nextTick(() => {});
  await new Promise((r) => setTimeout(r, 20));
  for (let i = 0; i < 3; i++) gc();
  let fresh;
  const hook = require('node:async_hooks').createHook({
    init(_id, type, _trigger, resource) { if (type === 'TickObject' && fresh === undefined) fresh = resource; },
  }).enable();
  process.nextTick(() => {});
  hook.disable();
  const sameMap = heldTickEntry !== undefined && fresh !== undefined && %HaveSameMap(heldTickEntry, fresh);
  process.stdout.write(JSON.stringify({ held: heldTickEntry !== undefined, hooksLeft, sameMap }));
})();
`;

describe('next-tick-shape', () => {
  it('holds a nextTick entry whose maps the entries made after full GCs still use, and leaves no hook installed', async () => {
    const { stdout } = await execFileP(process.execPath, ['--expose-gc', '--allow-natives-syntax', '--expose-internals', '-e', PROBE]);
    expect(JSON.parse(stdout)).toEqual({ held: true, hooksLeft: false, sameMap: true });
  });
});
