/**
 * Deterministic synthetic CCV: N users x M channels x D local days of per-minute concurrency. Pure: the
 * same spec and seed give the same numbers on every machine, and every channel's curve is derived from
 * its own seed, so consumers may read channels in any order or only some of them.
 */
import { DAY_MINUTES, dayRangeMinutes, type Ymd } from '../src/domain/calendar.js';

export type SizeName = 'small' | 'medium' | 'large';

export interface DatasetSpec {
  name: string;
  users: number;
  channelsPerUser: number;
  days: number;
  /** first local day */
  start: Ymd;
  timeZone: string;
  /** true: a 24/7 audience every minute; false: most accounts live a few hours a day */
  dense: boolean;
  /** share of channels that also serve a low-latency rtc pull beside cdn */
  rtcShare: number;
  seed: number;
}

const START: Ymd = { y: 2024, m: 1, d: 1 };
const ZONE = 'Asia/Shanghai';

export const SIZES: Record<SizeName, DatasetSpec> = {
  small: {
    name: 'small',
    users: 5,
    channelsPerUser: 2,
    days: 2,
    start: START,
    timeZone: ZONE,
    dense: false,
    rtcShare: 0.5,
    seed: 5,
  },
  medium: {
    name: 'medium',
    users: 100,
    channelsPerUser: 1,
    days: 31,
    start: START,
    timeZone: ZONE,
    dense: true,
    rtcShare: 0.2,
    seed: 100,
  },
  large: {
    name: 'large',
    users: 1000,
    channelsPerUser: 1,
    days: 92,
    start: START,
    timeZone: ZONE,
    dense: false,
    rtcShare: 0.2,
    seed: 1000,
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
  return String(1_000_000 + spec.seed * 100_000 + u * spec.channelsPerUser + c);
}

export function minuteRange(spec: DatasetSpec): { from: number; to: number } {
  const end = new Date(Date.UTC(spec.start.y, spec.start.m - 1, spec.start.d + spec.days - 1));
  return dayRangeMinutes(spec.start, { y: end.getUTCFullYear(), m: end.getUTCMonth() + 1, d: end.getUTCDate() }, spec.timeZone);
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

/** Audience sizes are heavy-tailed: a few big streamers, many small ones. */
function audience(r: () => number): number {
  const normal = Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  return Math.max(3, Math.round(Math.exp(4 + 1.5 * normal)));
}

/**
 * Evening-heavy daily rhythm in local time (peak near 21:00, trough near 05:00), between 0.15 and 1.
 * The offset is the zone's (fixed) offset so local hours line up with the summary's local days.
 */
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
  const cdn = new Uint32Array(length);
  const rtc = hasRtc ? new Uint32Array(length) : undefined;
  for (let day = 0; day < spec.days; day++) {
    const dr = rng(mix(spec.seed, u, c, day + 1));
    const dayBase = base * (0.6 + 0.8 * dr());
    // A live session: sparse accounts broadcast one stretch of 1-6 hours starting in the afternoon or
    // evening, with an audience that ramps up, plateaus and drains; dense ones stream around the clock.
    const sessionStart = spec.dense ? 0 : Math.floor((12 + 10 * dr()) * 60);
    const sessionLength = spec.dense ? DAY_MINUTES : Math.floor((1 + 5 * dr() * dr()) * 60);
    const onAir = spec.dense || dr() < 0.85;
    if (!onAir) continue;
    const ramp = Math.min(20, Math.floor(sessionLength / 4));
    let drift = 1;
    for (let k = 0; k < sessionLength; k++) {
      const local = sessionStart + k;
      const i = day * DAY_MINUTES + local;
      if (i >= length) break;
      drift = Math.min(1.3, Math.max(0.7, drift + (dr() - 0.5) * 0.02));
      const edge = spec.dense ? 1 : Math.min(1, (k + 1) / ramp, (sessionLength - k) / ramp);
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
    for (let c = 0; c < spec.channelsPerUser; c++) yield* channelCurves(spec, u, c);
  }
}

/** Non-zero minute count: the number of rows a row-per-minute table holds. */
export function countRows(curve: ChannelCurve): number {
  let n = 0;
  for (const v of curve.values) if (v !== 0) n++;
  return n;
}
