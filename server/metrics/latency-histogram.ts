/**
 * Latency distribution in constant memory and O(1) per sample, so recording stays on the request path:
 * log-linear buckets (exact below 32, then 32 per power of two), so any percentile is within 1/32 (about
 * 3 %) of the true value whatever the spread. Values are whole microseconds; anything from 2^32 µs (71 min)
 * up lands in the top bucket.
 */
const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;
const MAX_VALUE = 2 ** 32 - 1;
const BUCKETS = SUB + (32 - SUB_BITS) * SUB;

function bucketOf(v: number): number {
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v);
  return SUB + (e - SUB_BITS) * SUB + ((v >>> (e - SUB_BITS)) - SUB);
}

/** The middle of a bucket: what a percentile that falls in it reports. */
function midpointOf(index: number): number {
  if (index < SUB) return index;
  const k = index - SUB;
  const shift = Math.floor(k / SUB);
  const width = 2 ** shift;
  return ((k % SUB) + SUB) * width + (width - 1) / 2;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private maxSeen = 0;

  record(us: number): void {
    const v = us >= MAX_VALUE ? MAX_VALUE : us > 0 ? Math.floor(us) : 0;
    this.counts[bucketOf(v)]!++;
    this.total++;
    this.sum += v;
    if (v > this.maxSeen) this.maxSeen = v;
  }

  get count(): number {
    return this.total;
  }

  /** The value below which a fraction `q` (0 to 1) of the samples lie; 0 without samples. */
  percentile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      // The bucket's middle can lie above the largest sample; never report more than was seen.
      if (seen >= rank) return Math.min(midpointOf(i), this.maxSeen);
    }
    return this.maxSeen;
  }

  summary(): LatencySummary {
    return {
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
      p999: this.percentile(0.999),
      max: this.maxSeen,
      mean: this.total === 0 ? 0 : this.sum / this.total,
    };
  }
}
