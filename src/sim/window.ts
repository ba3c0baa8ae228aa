/**
 * Which simulated time a run may cover. A batch run compresses several minutes into seconds by sending
 * explicit `ts` values, so it must stay inside what the server still accepts: a minute closes
 * `allowedLatenessMs` after its end (older beats are refused as late) and a ts more than 60 s ahead of
 * server time is refused as future. Pure: `now` is passed in.
 */
export const MINUTE_MS = 60_000;
/** the server refuses beats more than 60 s ahead; stay clear of that edge */
export const MAX_AHEAD_MS = 55_000;
/** room for a run's own duration before the oldest planned minute closes */
const SENDING_ROOM_MS = 10_000;

export interface SimWindow {
  /** first simulated instant (epoch ms, a minute start for batch runs) */
  start: number;
  /** simulated time ends before this instant */
  end: number;
  /** start of a minute already closed at `now` (with a minute to spare): deliberately late beats go here */
  lateMinute: number;
}

const floorMinute = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** Minutes a batch run can fill at `now`: the current one plus the past minutes that stay open long enough. */
export function defaultBatchMinutes(now: number, allowedLatenessMs: number): number {
  const intoMinute = now - floorMinute(now);
  const spare = allowedLatenessMs - intoMinute - SENDING_ROOM_MS;
  return 1 + Math.max(0, Math.floor(spare / MINUTE_MS) + 1);
}

/** Whole minutes ending with the current one (cut MAX_AHEAD_MS after now). */
export function batchWindow(now: number, allowedLatenessMs: number, minutes?: number): SimWindow {
  const count = minutes ?? defaultBatchMinutes(now, allowedLatenessMs);
  if (!Number.isInteger(count) || count < 1) throw new Error(`minutes must be a positive integer, got ${count}`);
  const current = floorMinute(now);
  return {
    start: current - (count - 1) * MINUTE_MS,
    end: Math.min(current + MINUTE_MS, now + MAX_AHEAD_MS),
    lateMinute: lateMinute(now, allowedLatenessMs),
  };
}

/** Beacon runs use server time, so simulated time is real time from now on. */
export function beaconWindow(now: number, allowedLatenessMs: number, minutes: number): SimWindow {
  if (!(minutes > 0)) throw new Error(`minutes must be positive, got ${minutes}`);
  return { start: now, end: now + Math.round(minutes * MINUTE_MS), lateMinute: lateMinute(now, allowedLatenessMs) };
}

function lateMinute(now: number, allowedLatenessMs: number): number {
  // closed when its end + lateness < now; one more minute back absorbs clock skew between hosts
  return floorMinute(now - allowedLatenessMs) - 2 * MINUTE_MS;
}
