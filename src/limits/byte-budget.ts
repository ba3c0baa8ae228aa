/**
 * Bounds the memory that request bodies in flight may take: each request holds a lease on a shared budget
 * of bytes and grows it as its body arrives; a request that would overrun the budget is refused (the
 * caller answers 503 with Retry-After) instead of queueing or swapping. A request alone in the budget
 * is never refused, so one batch up to the body limit always gets through, whatever the budget.
 */
export class ByteBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  /** Bytes held by every lease now. */
  inUse(): number {
    return this.used;
  }

  lease(): ByteLease {
    return new ByteLease(this);
  }

  /** @internal */ tryTake(lease: ByteLease, bytes: number): boolean {
    const others = this.used - lease.held;
    if (others > 0 && this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }

  /** @internal */ give(bytes: number): void {
    this.used -= bytes;
  }
}

export class ByteLease {
  held = 0;
  private released = false;

  constructor(private readonly budget: ByteBudget) {}

  /** Grows the lease by `bytes`; false (and unchanged) when the budget cannot take them. */
  take(bytes: number): boolean {
    if (this.released) return false;
    if (!this.budget.tryTake(this, bytes)) return false;
    this.held += bytes;
    return true;
  }

  /** Returns every byte to the budget; later calls do nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.held);
    this.held = 0;
  }
}
