/**
 * Time units, named in the types: per-minute CCV is keyed by epoch minutes, everything on the wire and in heartbeats
 * is epoch milliseconds. A field says which in its type (and its name when both could be meant: `minuteMs`).
 */
/** Whole minutes since 1970-01-01T00:00Z (epoch ms / 60000). */
export type EpochMinute = number;
/** Milliseconds since 1970-01-01T00:00Z. */
export type EpochMs = number;
