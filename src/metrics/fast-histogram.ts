/**
 * A histogram for a hot path (every store call): each label set is resolved once into a child that holds its own
 * bucket counts, so an observation costs a bucket search and three additions. prom-client's Histogram checks and
 * hashes the labels on every observation, and its timer allocates: about a microsecond a call, and a signed
 * summary makes three store calls. It registers with a prom-client registry as a metric of its own and exposes
 * the series a prom-client Histogram would (cumulative `_bucket` with `le`, `+Inf`, `_sum`, `_count`).
 */
import type { Metric, Registry } from 'prom-client';

/** One line of the exposition: what prom-client's registry reads of a metric's get(). */
interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/** One label set's observations. */
export class HistogramChild {
  /** counts[i]: observations in (bounds[i - 1], bounds[i]]; the last, those above every bound */
  private readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** The cumulative count of observations at or below each bound. */
  cumulative(): number[] {
    let acc = 0;
    return this.bounds.map((_, i) => (acc += this.counts[i]!));
  }
}

export class FastHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly children = new Map<string, HistogramChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly buckets: readonly number[],
    registers: readonly Registry[],
  ) {
    // prom-client's registry takes any object with a name and get(); its types list only its own classes
    for (const r of registers) r.registerMetric(this as unknown as Metric);
  }

  /** The child of a label set (made on first use): keep it, and observe through it. */
  child(labels: Readonly<Record<L, string>>): HistogramChild {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let child = this.children.get(key);
    if (!child) {
      child = new HistogramChild({ ...labels }, this.buckets);
      this.children.set(key, child);
    }
    return child;
  }

  reset(): void {
    this.children.clear();
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Sample[] }> {
    const values: Sample[] = [];
    for (const child of this.children.values()) {
      const cumulative = child.cumulative();
      this.buckets.forEach((le, i) => {
        values.push({ metricName: `${this.name}_bucket`, labels: { ...child.labels, le }, value: cumulative[i]! });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...child.labels, le: '+Inf' }, value: child.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...child.labels }, value: child.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...child.labels }, value: child.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
