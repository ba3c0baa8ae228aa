/**
 * The process's metrics: one prom-client registry and its named instruments. Modules record with one-line
 * calls (`metrics.heartbeats.inc(...)`, `metrics.httpSeconds.observe(...)`), so the
 * instrumentation survives changes around it; state that lives in objects (open minutes, cache bytes, the
 * last closed minute) is read at scrape time from the sources that `track()` registered, so nothing has to
 * keep a gauge in step with the object it describes.
 *
 * Label values are always from small fixed sets (route patterns, reason categories, operation names),
 * never ids or free text, so the number of series stays bounded whatever the traffic.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MINUTE_MS } from '../domain/calendar.js';
import { version } from '../version.js';
import { FastHistogram } from './fast-histogram.js';
import { heartbeatReason } from './reasons.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'live_ccv_' });
// prom-client exports these gauges with a counter's `_total` suffix, which promtool rejects; the same numbers
// remain as the per-type gauges (live_ccv_nodejs_active_handles{type=...} and the like).
for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
  registry.removeSingleMetric(`live_ccv_nodejs_${name}`);
}

/** What a long-lived object reports at scrape time, read from the object passed in; every field is optional. */
export interface MetricSource<T> {
  /** minutes still open (not yet closed and written) held in memory */
  openMinutes?(owner: T): number;
  /** distinct-viewer entries held for the open minutes */
  heldViewers?(owner: T): number;
  /** seconds from the end of the last closed (stored) minute to now, by the owner's clock; undefined when unknown */
  freshnessLag?(owner: T): number | undefined | Promise<number | undefined>;
  /** bytes of decoded curves cached */
  cacheBytes?(owner: T): number;
  /** cache lookups answered / not answered so far (monotonic) */
  cacheHits?(owner: T): number;
  cacheMisses?(owner: T): number;
}

interface Tracked {
  owner: WeakRef<object>;
  source: MetricSource<never>;
}
// The owner is held weakly and the source's readers take it as an argument instead of closing over it, so a
// store or ingest that is dropped without untrack (tests build hundreds) is collected, not kept alive here.
const tracked = new Set<Tracked>();

/** Registers an object whose state is read at every scrape; returns the function that removes it. */
export function track<T extends object>(owner: T, source: MetricSource<T>): () => void {
  const entry: Tracked = { owner: new WeakRef(owner), source: source as MetricSource<never> };
  tracked.add(entry);
  return () => {
    tracked.delete(entry);
  };
}

/** Each live owner's reading of one field. */
function read<R>(field: keyof MetricSource<never>): R[] {
  const out: R[] = [];
  for (const entry of tracked) {
    const owner = entry.owner.deref();
    if (!owner) {
      tracked.delete(entry);
      continue;
    }
    const reader = entry.source[field] as ((o: object) => R) | undefined;
    if (reader) out.push(reader(owner));
  }
  return out;
}

const sum = (field: keyof MetricSource<never>) => read<number>(field).reduce((n, v) => n + v, 0);

/** Request latency buckets: a signed call from the cache is sub-millisecond, a 92-day summary may take a second. */
const LATENCY = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** fsync and store writes: tens of microseconds on tmpfs to hundreds of milliseconds on a busy disk. */
const IO = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const registers = [registry];

export const metrics = {
  buildInfo: new Gauge({
    name: 'live_ccv_build_info',
    help: 'Always 1; the labels say which version and Node.js runtime this process runs',
    labelNames: ['version', 'node'] as const,
    registers,
  }),
  httpRequests: new Counter({
    name: 'live_ccv_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status code',
    labelNames: ['route', 'method', 'code'] as const,
    registers,
  }),
  httpSeconds: new Histogram({
    name: 'live_ccv_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its answer, by route pattern, method and status code',
    labelNames: ['route', 'method', 'code'] as const,
    buckets: LATENCY,
    registers,
  }),
  signedRefusals: new Counter({
    name: 'live_ccv_signed_refusals_total',
    help: 'Signed API calls refused, by reason: the catalogue code without CCV_ERR_, lower case (invalid_signature, invalid_timestamp, nonce_reused, rate_limited, param, illegal_user, ...)',
    labelNames: ['reason'] as const,
    registers,
  }),
  heartbeatsAccepted: new Counter({
    name: 'live_ccv_heartbeats_accepted_total',
    help: 'Heartbeats accepted (durable in the log) by the ingest endpoints',
    labelNames: ['endpoint'] as const,
    registers,
  }),
  heartbeatsRejected: new Counter({
    name: 'live_ccv_heartbeats_rejected_total',
    help: 'Heartbeats refused by the ingest endpoints, by reason',
    labelNames: ['endpoint', 'reason'] as const,
    registers,
  }),
  logAppendSeconds: new Histogram({
    name: 'live_ccv_segment_log_append_seconds',
    help: 'Heartbeat log: time from queueing a frame to it being written (and fsynced), group commit wait included',
    buckets: IO,
    registers,
  }),
  logFsyncSeconds: new Histogram({
    name: 'live_ccv_segment_log_fsync_seconds',
    help: 'Heartbeat log: duration of one fdatasync of the active segment',
    buckets: IO,
    registers,
  }),
  minutesClosed: new Counter({
    name: 'live_ccv_closed_minute_windows_total',
    help: 'Minutes closed by the minute closer (their counts written to the store)',
    registers,
  }),
  minuteRowsWritten: new Counter({
    name: 'live_ccv_minute_rows_written_total',
    help: 'Closed (channel, pull type, minute) counts written to the store',
    registers,
  }),
  // every store call observes it (three per signed summary): labels resolved once per operation (fast-histogram.ts)
  storeSeconds: new FastHistogram(
    'live_ccv_store_operation_seconds',
    'Store operations by kind (read or write) and operation',
    ['kind', 'operation'] as const,
    IO,
    registers,
  ),
  storeErrors: new Counter({
    name: 'live_ccv_store_errors_total',
    help: 'Store operations that failed, by operation',
    labelNames: ['operation'] as const,
    registers,
  }),
  // Counted by the caches themselves (a plain increment on the query path) and copied here at scrape time.
  curveCacheHits: new Counter({
    name: 'live_ccv_curve_cache_hits_total',
    help: 'Day-curve cells answered from the in-memory curve cache',
    registers,
    collect() {
      this.reset();
      this.inc(sum('cacheHits'));
    },
  }),
  curveCacheMisses: new Counter({
    name: 'live_ccv_curve_cache_misses_total',
    help: 'Day-curve cells not in the curve cache (read from the database)',
    registers,
    collect() {
      this.reset();
      this.inc(sum('cacheMisses'));
    },
  }),
  curveCacheBytes: new Gauge({
    name: 'live_ccv_curve_cache_bytes',
    help: 'Bytes of decoded day curves held by the curve cache',
    registers,
    collect() {
      this.set(sum('cacheBytes'));
    },
  }),
  openMinutes: new Gauge({
    name: 'live_ccv_open_minute_windows',
    help: 'Minutes still open (accepting heartbeats) held in memory by the ingest',
    registers,
    collect() {
      this.set(sum('openMinutes'));
    },
  }),
  heldViewers: new Gauge({
    name: 'live_ccv_open_minute_viewers',
    help: 'Distinct (channel, pull type, minute, viewer) entries held in memory for the open minutes',
    registers,
    collect() {
      this.set(sum('heldViewers'));
    },
  }),
  freshnessLag: new Gauge({
    name: 'live_ccv_freshness_lag_seconds',
    help: 'Now minus the end of the last closed minute in the store: how old the newest final CCV is (NaN when unknown)',
    registers,
    async collect() {
      const lags = await Promise.all(read<number | undefined | Promise<number | undefined>>('freshnessLag'));
      const known = lags.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      // The freshest source wins: an API process and the ingest of the same store agree anyway.
      this.set(known.length === 0 ? Number.NaN : Math.min(...known));
    },
  }),
};

metrics.buildInfo.set({ version, node: process.versions.node }, 1);

/** Seconds from the end of the last closed minute (the one before `closedBefore`) to `now`. */
export function freshnessLagSeconds(closedBefore: number, now: number): number {
  return (now - closedBefore * MINUTE_MS) / 1000;
}

/** Runs `work`, observing its duration (success or failure) on an unlabelled histogram. */
export async function timed<T>(histogram: Histogram, work: () => Promise<T>): Promise<T> {
  const done = histogram.startTimer();
  try {
    return await work();
  } finally {
    done();
  }
}

/** Counts one ingest answer: its accepted heartbeats and each refusal by reason category. */
export function recordHeartbeats(endpoint: 'batch' | 'beacon', accepted: number, rejected: readonly { reason: string }[]): void {
  if (accepted > 0) metrics.heartbeatsAccepted.inc({ endpoint }, accepted);
  for (const r of rejected) metrics.heartbeatsRejected.inc({ endpoint, reason: heartbeatReason(r.reason) });
}

/** The exposition text of every metric, and its content type. */
export async function scrape(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
