/**
 * The counting state of one log partition: exact distinct viewers of its open minutes, and the minute
 * before which everything is closed. Pure (no I/O, no clock): the embedded ingest and the cluster's
 * partition owners both drive it, deciding when to close from their own rules.
 *
 * Closing is final: `close(cutoff)` hands out the closed minutes' counts and forgets them, and heartbeats of
 * a closed minute that arrive later (a replay re-reading what was counted, or a beat that was never
 * acknowledged) are dropped and tallied, never added to a minute already written.
 */
import type { ChannelMinute } from '../store/port.js';
import { minuteOf, type Heartbeat } from './heartbeat.js';
import { MinuteAggregator } from './minute-aggregator.js';

export class PartitionCounter {
  readonly aggregator = new MinuteAggregator();
  /** heartbeats dropped because their minute had closed */
  dropped = 0;

  constructor(private closed: number) {}

  /** Minutes before this are closed. */
  get closedBefore(): number {
    return this.closed;
  }

  /** Counts the beats of open minutes; returns how many were dropped as closed. */
  add(beats: readonly Heartbeat[]): number {
    let dropped = 0;
    for (const b of beats) {
      if (minuteOf(b.ts) < this.closed) dropped++;
      else this.aggregator.add(b);
    }
    this.dropped += dropped;
    return dropped;
  }

  /** Closes every minute before `cutoff` (no-op when not later than now): their final counts, by minute. */
  close(cutoff: number): ChannelMinute[] {
    if (cutoff <= this.closed) return [];
    const rows = this.aggregator.closedRows(cutoff);
    this.aggregator.drop(cutoff);
    this.closed = cutoff;
    return rows;
  }
}
