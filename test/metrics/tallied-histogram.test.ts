import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TalliedHistogram } from '../../server/metrics/tallied-histogram.js';

const BUCKETS = [0.0001, 0.00025, 0.001, 0.01, 0.1, 1];
const SAMPLES: [string, number][] = [
  ['ok', 0.00005],
  ['ok', 0.0001],
  ['ok', 0.0002],
  ['error', 0.003],
  ['ok', 0.5],
  ['ok', 7],
  ['error', 0.00001],
];

function both() {
  const ours = new Registry();
  const theirs = new Registry();
  const config = { name: 'x_duration_seconds', help: 'help text', labelNames: ['kind', 'outcome'] as const, buckets: BUCKETS };
  const tallied = new TalliedHistogram({ ...config, registers: [ours] });
  const reference = new Histogram({ ...config, labelNames: [...config.labelNames], registers: [theirs] });
  const tallies = new Map<string, ReturnType<typeof tallied.tally>>();
  for (const [outcome, v] of SAMPLES) {
    let t = tallies.get(outcome);
    if (!t) tallies.set(outcome, (t = tallied.tally({ kind: 'sign', outcome })));
    tallied.observeInto(t, v);
    reference.observe({ kind: 'sign', outcome }, v);
  }
  return { ours, theirs, tallied };
}

describe('TalliedHistogram', () => {
  it('writes the same Prometheus text as a prom-client histogram given the same observations', async () => {
    const { ours, theirs } = both();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('gives the cluster primary the same JSON and the same sum over workers', async () => {
    const { ours, theirs } = both();
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    const a = ours.getMetricsAsJSON();
    const b = theirs.getMetricsAsJSON();
    const summed = await AggregatorRegistry.aggregate([await a, await a]).metrics();
    expect(summed).toBe(await AggregatorRegistry.aggregate([await b, await b]).metrics());
    expect(summed).toMatch(/^x_duration_seconds_count\{kind="sign",outcome="ok"\} 10$/m);
  });

  it('reset zeroes every series and keeps counting after it', async () => {
    const { ours, tallied } = both();
    tallied.reset();
    expect(await ours.metrics()).toMatch(/^x_duration_seconds_count\{kind="sign",outcome="ok"\} 0$/m);
    const t = tallied.tally({ kind: 'verify', outcome: 'ok' });
    tallied.observeInto(t, 0.0002);
    expect(await ours.metrics()).toMatch(/^x_duration_seconds_bucket\{le="0.00025",kind="verify",outcome="ok"\} 1$/m);
  });
});
