// A rate-limited, delaying work queue of string keys with client-go's guarantees:
// - a key is queued at most once however often it is added (the `dirty` set);
// - a key handed to a worker is `processing`; adding it again only marks it dirty, and done()
//   puts it back in the queue, so no two workers ever hold the same key at the same time;
// - addAfter() keeps the earliest pending deadline per key; addRateLimited() asks the limiter;
// - shutdown() stops handing out keys (get() resolves undefined) and drops pending delays;
//   drain() resolves once every key handed out has been marked done.
// Unlike client-go's ShutDownWithDrain, keys still queued at shutdown are not handed out: on
// stop the operator hands over to another replica, whose relist will enqueue everything anyway.
import { realClock, type CancelTimer, type Clock } from './clock.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimit.ts';

export interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiter;
}

interface Waiting {
  readyAt: number;
  cancel: CancelTimer;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  /** FIFO of keys ready to be handed out; `#head` avoids O(n) shifts. */
  #queue: string[] = [];
  #head = 0;
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiting = new Map<string, Waiting>();
  readonly #getters: ((key: string | undefined) => void)[] = [];
  readonly #drainers: (() => void)[] = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#limiter = options.rateLimiter ?? defaultControllerRateLimiter({ clock: this.#clock });
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Adds `key` once `delayMs` has passed; an earlier pending deadline for it wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.#clock.now() + delayMs;
    const existing = this.#waiting.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    existing?.cancel();
    const cancel = this.#clock.setTimer(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.#waiting.set(key, { readyAt, cancel });
  }

  /** Adds `key` after the rate limiter's delay (one more failure for it). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.#limiter.when(key));
  }

  /** Ends the failure streak of `key`: its next addRateLimited starts from the base delay. */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /** The next key to work on; undefined once the queue shuts down. Call done(key) afterwards. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#pop();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  done(key: string): void {
    if (!this.#processing.delete(key)) return;
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
    if (this.#processing.size === 0) this.#resolveDrainers();
  }

  /** Keys ready to be handed out (not counting delayed or in-flight ones). */
  len(): number {
    return this.#queue.length - this.#head;
  }

  /** Keys handed out and not yet done. */
  inFlight(): number {
    return this.#processing.size;
  }

  /** Keys waiting for a delay (addAfter / addRateLimited). */
  delayed(): number {
    return this.#waiting.size;
  }

  isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  shutdown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const w of this.#waiting.values()) w.cancel();
    this.#waiting.clear();
    for (const resolve of this.#getters.splice(0)) resolve(undefined);
    if (this.#processing.size === 0) this.#resolveDrainers();
  }

  /** Shuts down and resolves when no key is in flight. */
  drain(): Promise<void> {
    this.shutdown();
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainers.push(resolve));
  }

  #push(key: string): void {
    const getter = this.#getters.shift();
    if (getter) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      getter(key);
      return;
    }
    this.#queue.push(key);
  }

  #pop(): string | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const key = this.#queue[this.#head++]!;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #resolveDrainers(): void {
    for (const resolve of this.#drainers.splice(0)) resolve();
  }
}
