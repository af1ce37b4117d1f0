// The proxy's exec protection (gastown internal/proxy/exec.go): a token bucket per client
// identity (golang.org/x/time/rate semantics: `rate` tokens per second, `burst` capacity,
// starting full) and a global cap on concurrent subprocesses that refuses instead of queueing.

export class TokenBuckets {
  readonly #rate: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(rate: number, burst: number) {
    this.#rate = rate;
    this.#burst = burst;
  }

  /** Takes one token for `key` when available. */
  allow(key: string, now = performance.now()): boolean {
    const b = this.#buckets.get(key) ?? { tokens: this.#burst, at: now };
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#rate);
    b.at = now;
    this.#buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

export class Semaphore {
  readonly #max: number;
  #held = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** A release function when a slot is free, else undefined (never waits). */
  tryAcquire(): (() => void) | undefined {
    if (this.#held >= this.#max) return undefined;
    this.#held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held--;
    };
  }
}
