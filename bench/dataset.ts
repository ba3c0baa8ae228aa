/**
 * Deterministic synthetic CCV: N users x D local days of per-minute concurrency over a realistic mix of
 * channels. Pure: the same spec gives the same numbers on every machine, and every channel's curve is derived
 * from its own seed, so consumers may read channels in any order or only some of them.
 *
 * The mix: each user owns one or more channels (a few big accounts own many); a channel is either a 24/7
 * stream (every minute populated, following an evening-heavy daily rhythm) or a sparse one, live one session
 * of 1-6 hours on most days, starting in the afternoon or evening, ramping up and draining at the edges.
 * Audiences are heavy-tailed (a few big streamers, many small ones); some channels also serve rtc.
 */
import { DAY_MINUTES, dayRangeMinutes, type Ymd } from '../src/domain/calendar.js';

export type SizeName = 'small' | 'medium' | 'large';

export interface DatasetSpec {
  name: string;
  users: number;
  days: number;
  /** first local day */
  start: Ymd;
  timeZone: string;
  /** mean channels per user above the first (geometric-like tail, at most 12 per user) */
  extraChannels: number;
  /** share of channels that stream 24/7; the others are sparse (one session on most days) */
  share247: number;
  /** share of channels that also serve a low-latency rtc pull beside cdn */
  rtcShare: number;
  seed: number;
  /** one line for reports */
  description: string;
}

const START: Ymd = { y: 2024, m: 1, d: 1 };
const ZONE = 'Asia/Shanghai';

export const SIZES: Record<SizeName, DatasetSpec> = {
  small: {
    name: 'small',
    users: 5,
    days: 2,
    start: START,
    timeZone: ZONE,
    extraChannels: 1,
    share247: 0.3,
    rtcShare: 0.5,
    seed: 5,
    description: 'mixed: sparse and 24/7 channels',
  },
  medium: {
    name: 'medium',
    users: 300,
    days: 62,
    start: START,
    timeZone: ZONE,
    extraChannels: 3.2,
    share247: 0.08,
    rtcShare: 0.2,
    seed: 300,
    description: 'mixed: several channels per user, 8% of them 24/7, the rest sparse',
  },
  large: {
    name: 'large',
    users: 1000,
    days: 92,
    start: START,
    timeZone: ZONE,
    extraChannels: 0.2,
    share247: 0.01,
    rtcShare: 0.2,
    seed: 1000,
    description: 'sparse: about one channel per user, a few live hours a day, 1% of channels 24/7',
  },
};

export interface ChannelCurve {
  userId: string;
  channelId: string;
  pullType: string;
  /** epoch minute of values[0]: local 00:00 of the spec's first day */
  from: number;
  /** one value per minute of the whole range; zero where the channel was off air */
  values: Uint32Array;
}

export function userId(spec: DatasetSpec, u: number): string {
  return `${spec.name}u${String(u).padStart(5, '0')}`;
}

export function channelId(spec: DatasetSpec, u: number, c: number): string {
  return String(1_000_000_000 + spec.seed * 1_000_000 + u * 100 + c);
}

/** mulberry32: small, fast and good enough for synthetic audiences. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) h = Math.imul(h ^ (p >>> 0), 0x01000193) ^ (h >>> 13);
  return h >>> 0;
}

/** How many channels user u owns: 1 plus a geometric-like tail with the spec's mean, at most 12. */
export function channelCount(spec: DatasetSpec, u: number): number {
  const r = rng(mix(spec.seed, u, 0x5eed));
  return Math.min(12, 1 + Math.floor(-Math.log(1 - r()) * spec.extraChannels));
}

/** Whether channel c of user u streams 24/7. */
export function isAllDay(spec: DatasetSpec, u: number, c: number): boolean {
  return rng(mix(spec.seed, u, c, 0x247))() < spec.share247;
}

/** A user is sparse when none of its channels streams 24/7. */
export function isSparseUser(spec: DatasetSpec, u: number): boolean {
  for (let c = 0; c < channelCount(spec, u); c++) if (isAllDay(spec, u, c)) return false;
  return true;
}

export function minuteRange(spec: DatasetSpec): { from: number; to: number } {
  const end = new Date(Date.UTC(spec.start.y, spec.start.m - 1, spec.start.d + spec.days - 1));
  return dayRangeMinutes(spec.start, { y: end.getUTCFullYear(), m: end.getUTCMonth() + 1, d: end.getUTCDate() }, spec.timeZone);
}

/** Audience sizes are heavy-tailed: a few big streamers, many small ones. */
function audience(r: () => number): number {
  const normal = Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  return Math.max(3, Math.round(Math.exp(4 + 1.5 * normal)));
}

/** Evening-heavy daily rhythm in local time (peak near 21:00, trough near 05:00), between 0.15 and 1. */
function rhythm(localMinuteOfDay: number): number {
  const phase = ((localMinuteOfDay - 21 * 60) / DAY_MINUTES) * 2 * Math.PI;
  return 0.575 + 0.425 * Math.cos(phase);
}

/** The curves of one channel (cdn, and rtc for some channels), deterministic from spec.seed, u and c. */
export function channelCurves(spec: DatasetSpec, u: number, c: number): ChannelCurve[] {
  const { from, to } = minuteRange(spec);
  const length = to - from;
  const r = rng(mix(spec.seed, u, c));
  const base = audience(r);
  const hasRtc = r() < spec.rtcShare;
  const rtcShare = 0.05 + 0.25 * r();
  const allDay = isAllDay(spec, u, c);
  const cdn = new Uint32Array(length);
  const rtc = hasRtc ? new Uint32Array(length) : undefined;
  for (let day = 0; day < spec.days; day++) {
    const dr = rng(mix(spec.seed, u, c, day + 1));
    const dayBase = base * (0.6 + 0.8 * dr());
    const sessionStart = allDay ? 0 : Math.floor((12 + 10 * dr()) * 60);
    const sessionLength = allDay ? DAY_MINUTES : Math.floor((1 + 5 * dr() * dr()) * 60);
    const onAir = allDay || dr() < 0.85;
    if (!onAir) continue;
    const ramp = Math.min(20, Math.floor(sessionLength / 4));
    let drift = 1;
    for (let k = 0; k < sessionLength; k++) {
      const local = sessionStart + k;
      const i = day * DAY_MINUTES + local;
      if (i >= length) break;
      drift = Math.min(1.3, Math.max(0.7, drift + (dr() - 0.5) * 0.02));
      const edge = allDay ? 1 : Math.min(1, (k + 1) / ramp, (sessionLength - k) / ramp);
      const noise = 0.95 + 0.1 * dr();
      const total = Math.max(1, Math.round(dayBase * rhythm(local % DAY_MINUTES) * drift * edge * noise));
      if (rtc) {
        const low = Math.round(total * rtcShare);
        rtc[i] = low;
        cdn[i] = total - low;
      } else cdn[i] = total;
    }
  }
  const curves: ChannelCurve[] = [
    { userId: userId(spec, u), channelId: channelId(spec, u, c), pullType: 'cdn', from, values: cdn },
  ];
  if (rtc) curves.push({ userId: userId(spec, u), channelId: channelId(spec, u, c), pullType: 'rtc', from, values: rtc });
  return curves;
}

/** Every channel curve of the dataset, user by user. */
export function* curves(spec: DatasetSpec): Generator<ChannelCurve> {
  for (let u = 0; u < spec.users; u++) {
    for (let c = 0; c < channelCount(spec, u); c++) yield* channelCurves(spec, u, c);
  }
}

/** Every (user, channel) of the dataset. */
export function* channels(spec: DatasetSpec): Generator<{ userId: string; channelId: string }> {
  for (let u = 0; u < spec.users; u++) {
    for (let c = 0; c < channelCount(spec, u); c++) yield { userId: userId(spec, u), channelId: channelId(spec, u, c) };
  }
}

/** Non-zero minute count: the number of rows a row-per-minute table holds. */
export function countRows(curve: ChannelCurve): number {
  let n = 0;
  for (const v of curve.values) if (v !== 0) n++;
  return n;
}
