/**
 * The traffic generator: viewers arrive (a Poisson process shaped by a daily curve and a sudden spike),
 * watch for a random duration heartbeating every ~interval, sometimes switch pull type, sometimes send a
 * beat twice, and a few beats are stamped in a minute the server has already closed. Pure and
 * deterministic: the same options (seed included) give the same beats.
 */
import { toLocal } from '../domain/calendar.js';
import { Random } from './random.js';

export interface TrafficOptions {
  seed: number;
  channels: readonly string[];
  /** mean concurrent viewers per channel at the daily peak, before the spike */
  viewers: number;
  /** simulated time [start, end), epoch ms */
  start: number;
  end: number;
  intervalMs: number;
  /** mean watch duration */
  watchMeanMs: number;
  pullTypes: readonly string[];
  /** chance, at each beat after the first, that the viewer switches to another pull type */
  switchProbability: number;
  /** chance that a beat is sent twice */
  duplicateProbability: number;
  /** late beats added, as a fraction of the regular beats */
  lateFraction: number;
  /** start of a minute already closed: where late beats are stamped */
  lateMinute: number;
  /** arrival rate multiplier during the spike (1 = no spike) */
  spikeFactor: number;
  /** the daily curve follows local time in this zone */
  timeZone: string;
}

export type BeatKind = 'regular' | 'duplicate' | 'late';

export interface SimBeat {
  channelId: string;
  viewerId: string;
  pullType: string;
  ts: number;
  kind: BeatKind;
}

export interface Traffic {
  /** in sending order: by ts, late beats scattered among them */
  beats: SimBeat[];
  spike: { start: number; end: number };
}

/** Relative audience by local hour: lowest before dawn, highest around 21:00. */
export function dailyCurve(hour: number): number {
  return 0.3 + (0.7 * (1 + Math.cos((2 * Math.PI * (hour - 21)) / 24))) / 2;
}

/** The usual share of pull types: mostly CDN, some low-latency, a little P2P. */
function pullWeights(pullTypes: readonly string[]): number[] {
  return pullTypes.map((_, i) => (i === 0 ? 7 : i === 1 ? 2 : 1));
}

export function validateTraffic(o: TrafficOptions): void {
  const fail = (what: string) => {
    throw new Error(`invalid simulation option: ${what}`);
  };
  if (o.channels.length === 0) fail('at least one channel is required');
  if (o.pullTypes.length === 0) fail('at least one pull type is required');
  if (!(o.viewers >= 0)) fail(`viewers must be >= 0, got ${o.viewers}`);
  if (!(o.end > o.start)) fail('the simulated window is empty');
  if (!(o.intervalMs >= 1000)) fail(`heartbeat interval must be at least 1 s, got ${o.intervalMs} ms`);
  if (!(o.watchMeanMs >= 1000)) fail(`mean watch time must be at least 1 s, got ${o.watchMeanMs} ms`);
  for (const [name, p] of [
    ['switch probability', o.switchProbability],
    ['duplicate probability', o.duplicateProbability],
    ['late fraction', o.lateFraction],
  ] as const) {
    if (!(p >= 0 && p <= 1)) fail(`${name} must be between 0 and 1, got ${p}`);
  }
  if (!(o.spikeFactor >= 1)) fail(`spike factor must be >= 1, got ${o.spikeFactor}`);
}

export function generateTraffic(o: TrafficOptions): Traffic {
  validateTraffic(o);
  const rng = new Random(o.seed);
  const span = o.end - o.start;
  const spikeLength = Math.min(30_000, span / 4);
  const spikeStart = o.start + span * (0.3 + 0.4 * rng.next());
  const spike = { start: Math.round(spikeStart), end: Math.round(spikeStart + spikeLength) };
  const weights = pullWeights(o.pullTypes);
  const hourly = new Map<number, number>();
  const curve = (t: number) => {
    const hour = Math.floor(t / 3_600_000);
    let v = hourly.get(hour);
    if (v === undefined) {
      const l = toLocal(t, o.timeZone);
      v = dailyCurve(l.hh + l.mm / 60);
      hourly.set(hour, v);
    }
    return v;
  };

  const keyed: { key: number; beat: SimBeat }[] = [];
  const emit = (beat: SimBeat, key = beat.ts) => keyed.push({ key, beat });

  o.channels.forEach((channelId, ci) => {
    // channels differ in size so that sums and peaks are not all alike
    const audience = o.viewers * (0.5 + rng.next());
    const baseRate = audience / o.watchMeanMs; // arrivals per ms keeping `audience` viewers on average
    let serial = 0;
    const session = (arrival: number, watchMs: number) => {
      const viewerId = `sim${o.seed}-c${ci}-v${serial++}`;
      let pull = o.pullTypes[rng.weighted(weights)]!;
      const leave = Math.min(o.end, arrival + watchMs);
      let first = true;
      for (let t = arrival; t < leave; t += o.intervalMs * (0.9 + 0.2 * rng.next())) {
        if (!first && o.pullTypes.length > 1 && rng.chance(o.switchProbability)) {
          const others = o.pullTypes.filter((p) => p !== pull);
          pull = others[rng.int(others.length)]!;
        }
        first = false;
        const ts = Math.floor(t);
        emit({ channelId, viewerId, pullType: pull, ts, kind: 'regular' });
        if (rng.chance(o.duplicateProbability)) emit({ channelId, viewerId, pullType: pull, ts, kind: 'duplicate' });
      }
    };

    // viewers already watching when the window opens: their remaining time is exponential too
    const already = Math.round(audience * curve(o.start));
    for (let i = 0; i < already; i++) {
      session(o.start + rng.next() * o.intervalMs, rng.exp(o.watchMeanMs));
    }
    // arrivals by thinning a Poisson process at the highest possible rate
    const peakRate = baseRate * o.spikeFactor;
    if (peakRate > 0) {
      for (let t = o.start + rng.exp(1 / peakRate); t < o.end; t += rng.exp(1 / peakRate)) {
        const inSpike = t >= spike.start && t < spike.end;
        const rate = baseRate * curve(t) * (inSpike ? o.spikeFactor : 1);
        if (rng.next() * peakRate < rate) session(t, rng.exp(o.watchMeanMs));
      }
    }
  });

  const regular = keyed.length;
  const late = Math.round(regular * o.lateFraction);
  for (let i = 0; i < late; i++) {
    const victim = keyed[rng.int(regular)]!.beat;
    const ts = o.lateMinute + rng.int(60_000);
    emit({ ...victim, ts, kind: 'late' }, o.start + rng.next() * span);
  }
  keyed.sort((a, b) => a.key - b.key);
  return { beats: keyed.map((k) => k.beat), spike };
}
