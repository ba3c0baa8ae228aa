/** Periodic background work whose failures are reported, not thrown: a failed round is retried by the next one. */
export class Background {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly onError: (err: unknown, what: string) => void) {}

  every(ms: number, what: string, work: () => Promise<void> | void): void {
    const t = setInterval(() => {
      Promise.resolve()
        .then(work)
        .catch((err: unknown) => this.onError(err, what));
    }, ms);
    t.unref(); // background work never keeps the process alive
    this.timers.push(t);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }
}
