// Rate limiters for the work queue, after client-go's workqueue package. A limiter answers
// "how long should this key wait before its next attempt?" and remembers failures per key:
// - ExponentialFailureRateLimiter: base * 2^failures, capped (client-go: 5 ms .. 1000 s);
// - TokenBucketRateLimiter: an overall qps with a burst, shared by all keys (client-go: 10/100);
// - MaxOfRateLimiter: the longest wait of several (client-go's DefaultControllerRateLimiter).
// forget(key) ends a key's failure streak; it is called after a successful reconcile.
import { realClock, type Clock } from './clock.ts';

export interface RateLimiter {
  /** Delay before `key` may be retried; counts one more failure for it. */
  when(key: string): number;
  /** Clears the failure history of `key`. */
  forget(key: string): void;
  /** How many times `key` has been retried since it was last forgotten. */
  numRequeues(key: string): number;
}

export class ExponentialFailureRateLimiter implements RateLimiter {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #failures = new Map<string, number>();

  constructor(baseMs = 5, maxMs = 1_000_000) {
    if (!(baseMs > 0) || !(maxMs >= baseMs)) throw new RangeError('need 0 < baseMs <= maxMs');
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^failures overflows to Infinity long after it passed the cap, so min() is enough.
    return Math.min(this.#baseMs * 2 ** failures, this.#maxMs);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/**
 * A token bucket refilled at `qps` tokens per second up to `burst`. Like golang.org/x/time/rate's
 * Reserve(): every call takes a token, possibly going into debt, and waits until it is paid back.
 */
export class TokenBucketRateLimiter implements RateLimiter {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(qps = 10, burst = 100, clock: Clock = realClock) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError('need qps > 0 and burst >= 1');
    this.#qps = qps;
    this.#burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  when(_key: string): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#qps) * 1000;
  }

  forget(_key: string): void {
    // The bucket is shared; there is no per-key state to clear.
  }

  numRequeues(_key: string): number {
    return 0;
  }
}

export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    if (limiters.length === 0) throw new RangeError('MaxOfRateLimiter needs at least one limiter');
    this.#limiters = limiters;
  }

  when(key: string): number {
    // Every limiter must see the call (each counts it), so no short-circuit.
    return Math.max(...this.#limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    return Math.max(...this.#limiters.map((l) => l.numRequeues(key)));
  }
}

export interface ControllerRateLimitOptions {
  /** First retry delay; default 5 ms. */
  baseDelayMs?: number;
  /** Longest retry delay; default 1000 s. */
  maxDelayMs?: number;
  /** Overall retries per second; default 10. */
  qps?: number;
  /** Overall burst; default 100. */
  burst?: number;
  clock?: Clock;
}

/** client-go's DefaultControllerRateLimiter: per-key exponential backoff and an overall bucket. */
export function defaultControllerRateLimiter(options: ControllerRateLimitOptions = {}): RateLimiter {
  const { baseDelayMs = 5, maxDelayMs = 1_000_000, qps = 10, burst = 100, clock = realClock } = options;
  return new MaxOfRateLimiter(
    new ExponentialFailureRateLimiter(baseDelayMs, maxDelayMs),
    new TokenBucketRateLimiter(qps, burst, clock),
  );
}
