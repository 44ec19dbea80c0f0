import { readFileSync } from 'node:fs';

/*
 * Prints the docs/out-of-band.md benchmark table and the US-peak projection from a bench run's BENCH_JSON line:
 *   npm run bench -- cps | tee /tmp/cps.txt; node dist/bench/cps-docs-table.js < /tmp/cps.txt
 * so a quiet rerun replaces the page's figures without copying numbers by hand.
 */

/** The US peak the issue sizes for (calls/s); each call that crosses TDM is one publish and one retrieval. */
const US_PEAK_CALLS_PER_SEC = 107_000;

type Figures = Record<string, number | string | boolean | null>;

const line = readFileSync(0, 'utf8').split('\n').find((l) => l.startsWith('BENCH_JSON '));
if (!line) throw new Error('no BENCH_JSON line on stdin');
const json = JSON.parse(line.slice('BENCH_JSON '.length)) as { machine: { cpu?: string; cores?: number; loadAverage?: number; load?: number }; scenarios: Record<string, Figures> };
const f = json.scenarios.cps;
if (!f || f.skipped) throw new Error('the run has no cps figures');
const n = (k: string) => Number(f[k] ?? NaN);
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');

const setups = [
  ['1n', '1 node, 1 Redis'],
  ['3n', '3 nodes, 3-shard Redis Cluster'],
] as const;
const rows = [
  '| Setup | Phase | req/s | p50 ms | p99 ms | unexpected | node CPU µs/req | Redis CPU µs/req | client CPU µs/req | req/s per node core | req/s per Redis core | req/s per core (node + Redis) | other CPU (cores) |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const [key, label] of setups) {
  for (const phase of ['publish', 'retrieve']) {
    const k = `${key}.${phase}`;
    rows.push(
      `| ${label} | ${phase} | ${int(n(`${k}.rps`))} | ${n(`${k}.p50_ms`).toFixed(1)} | ${n(`${k}.p99_ms`).toFixed(1)} | ${int(n(`${k}.unexpected`))} | ${int(n(`${k}.node_cpu_us_per_req`))} | ${int(n(`${k}.redis_cpu_us_per_req`))} | ${int(n(`${k}.client_cpu_us_per_req`))} | ${int(n(`${k}.per_node_core`))} | ${int(n(`${k}.per_redis_core`))} | ${int(n(`${k}.per_core_all`))} | ${n(`${k}.other_cores`).toFixed(2)} |`,
    );
  }
}
console.log(rows.join('\n'));

// Cores needed = calls/s × CPU seconds per request, for a publish and a retrieval of every call.
for (const [key, label] of setups) {
  const node = US_PEAK_CALLS_PER_SEC * (n(`${key}.publish.node_cpu_us_per_req`) + n(`${key}.retrieve.node_cpu_us_per_req`)) / 1e6;
  const redis = US_PEAK_CALLS_PER_SEC * (n(`${key}.publish.redis_cpu_us_per_req`) + n(`${key}.retrieve.redis_cpu_us_per_req`)) / 1e6;
  console.log(`\n${label}: ${int(US_PEAK_CALLS_PER_SEC)} calls/s × (publish + retrieval) = ${int(node)} CPS node cores (${int(node / 8)} nodes of 8 cores) + ${int(redis)} Redis cores`);
}
