import { randomBytes } from 'node:crypto';

/*
 * The login flood of the login-flood scenario, in a process of its own so that its requests do not share an event
 * loop with the load generator (autocannon is a Node process too: a flood in the bench process would delay the
 * sign requests it times and inflate the p99 it reports). Prints one JSON line of counts when done.
 *
 *   node dist/bench/login-flood-client.js <base url> <real user> <loops> <min interval ms> <duration ms>
 */
const [url, realUser, loopsArg, intervalArg, durationArg] = process.argv.slice(2) as [string, string, string, string, string];
const loops = Number(loopsArg);
const minIntervalMs = Number(intervalArg);
const endAt = performance.now() + Number(durationArg);
const byStatus: Record<string, number> = {};
let total = 0;

async function loop(i: number): Promise<void> {
  while (performance.now() < endAt) {
    const started = performance.now();
    const username = i === 0 ? realUser : `nobody-${randomBytes(6).toString('hex')}`;
    let key: string;
    try {
      const res = await fetch(`${url}/dashboard/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: `guess ${randomBytes(6).toString('hex')}` }),
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      key = String(res.status);
    } catch {
      key = 'error';
    }
    total++;
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    const wait = minIntervalMs - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

await Promise.all(Array.from({ length: loops }, (_, i) => loop(i)));
console.log(JSON.stringify({ total, byStatus }));
