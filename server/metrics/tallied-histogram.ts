import { Histogram, type Aggregator } from 'prom-client';

/** One label set's counts: per bucket (not cumulative), their sum and the total. */
export interface Tally {
  labels: Record<string, string>;
  buckets: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  /** prom-client writes null on bucket series without exemplars; kept so the JSON is the same. */
  exemplar?: null;
}

/**
 * A prom-client histogram whose observations are plain array increments, read when scraped. prom-client's own
 * `observe` (even on a `labels()` child) validates and hashes the label set on every call; this one is handed the
 * tally once per label set (`tally()`), and a request then costs a bucket search and three additions.
 *
 * The exported series are the ones prom-client writes for a histogram (cumulative `_bucket` series with `le` first,
 * `+Inf`, `_sum`, `_count`), in its text and JSON forms, so a scrape and the cluster primary's `aggregate` read it
 * as any other histogram. Observations go through `observeInto`: what prom-client's own `observe` records is not
 * exported.
 */
export class TalliedHistogram<T extends string> extends Histogram<T> {
  /** One tally per label set, keyed by its values in `keyOrder`. */
  private readonly tallies = new Map<string, Tally>();
  private readonly keyOrder: readonly T[];
  private readonly bounds: readonly number[];
  private readonly metricName: string;

  constructor(config: { name: string; help: string; labelNames: readonly T[]; buckets: readonly number[]; registers: ConstructorParameters<typeof Histogram>[0]['registers']; aggregator?: Aggregator }) {
    super({ ...config, buckets: [...config.buckets] });
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    this.metricName = config.name;
    this.keyOrder = config.labelNames;
  }

  /** The tally of one label set, to keep and `observeInto` per request: the same one for the same labels, one series. */
  tally(labels: Record<T, string>): Tally {
    const key = this.keyOrder.map((n) => labels[n]).join('\u0000');
    let t = this.tallies.get(key);
    if (t === undefined) {
      t = { labels: { ...labels }, buckets: new Float64Array(this.bounds.length), sum: 0, count: 0 };
      this.tallies.set(key, t);
    }
    return t;
  }

  override reset(): void {
    // prom-client's constructor calls reset() before this class's fields exist.
    for (const t of (this.tallies as Map<string, Tally> | undefined)?.values() ?? []) {
      t.buckets.fill(0);
      t.sum = 0;
      t.count = 0;
    }
  }

  /** `value` in the histogram's unit (seconds here). */
  observeInto(t: Tally, value: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        t.buckets[i]!++;
        break;
      }
    }
    t.sum += value;
    t.count++;
  }

  private exported(): ExportedValue[] {
    const out: ExportedValue[] = [];
    const bucketName = `${this.metricName}_bucket`;
    for (const t of this.tallies.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += t.buckets[i]!;
        out.push({ labels: { le: this.bounds[i]! }, sharedLabels: t.labels, value: acc, metricName: bucketName, exemplar: null });
      }
      out.push({ labels: { le: '+Inf' }, sharedLabels: t.labels, value: t.count, metricName: bucketName, exemplar: null });
      out.push({ labels: {}, sharedLabels: t.labels, value: t.sum, metricName: `${this.metricName}_sum` });
      out.push({ labels: {}, sharedLabels: t.labels, value: t.count, metricName: `${this.metricName}_count` });
    }
    return out;
  }

  /** What the registry writes as text: labels, then the series' own labels (as prom-client orders them). */
  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: ExportedValue[]; aggregator: Aggregator }> {
    const self = this as unknown as { help: string; aggregator: Aggregator };
    return { name: this.metricName, help: self.help, type: 'histogram', values: this.exported(), aggregator: self.aggregator };
  }

  /** The JSON form (cluster workers send it to the primary): each series' labels in one object. */
  override async get(): Promise<Awaited<ReturnType<Histogram<T>['get']>>> {
    const data = await this.getForPromString();
    const values = data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } }));
    return { ...data, values } as unknown as Awaited<ReturnType<Histogram<T>['get']>>;
  }
}
