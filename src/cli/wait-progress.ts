/**
 * Progress of `verify --wait` on stderr while the server's minutes close: a bar on a terminal; otherwise
 * (CI logs, pipes) a line whenever the number of matching cells changes, and at least every 10 s.
 */
import cliProgress from 'cli-progress';

export interface Poll {
  matched: number;
  mismatches: number;
}

export interface WaitProgress {
  poll(p: Poll): void;
  stop(): void;
}

const QUIET_MS = 10_000;

export function waitProgress(options: {
  /** where lines go (the CLI terminal's stderr) */
  write: (text: string) => void;
  /** a terminal gets a bar, drawn on `barStream` */
  isTTY: boolean;
  barStream?: NodeJS.WritableStream;
  timeoutMs: number;
  now?: () => number;
}): WaitProgress {
  const now = options.now ?? Date.now;
  const started = now();
  const waited = () => Math.round((now() - started) / 1000);
  const limit = Math.round(options.timeoutMs / 1000);
  if (options.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream: options.barStream ?? process.stderr,
      format: 'verify |{bar}| {value}/{total} minute cells match | waited {waited} s of {limit} s',
      hideCursor: true,
    });
    let started_ = false;
    return {
      poll: (p) => {
        const total = p.matched + p.mismatches;
        if (!started_) bar.start(total, p.matched, { waited: waited(), limit });
        started_ = true;
        bar.setTotal(total);
        bar.update(p.matched, { waited: waited(), limit });
      },
      stop: () => {
        if (started_) bar.stop();
      },
    };
  }
  let lastMatched = -1;
  let lastLine = -Infinity;
  return {
    poll: (p) => {
      if (p.mismatches === 0) return; // the final report follows at once
      if (p.matched === lastMatched && now() - lastLine < QUIET_MS) return;
      lastMatched = p.matched;
      lastLine = now();
      options.write(
        `verify: waiting: ${p.matched} of ${p.matched + p.mismatches} minute cells match (${waited()} s of ${limit} s)\n`,
      );
    },
    stop: () => {},
  };
}
