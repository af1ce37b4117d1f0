// A FIFO counting semaphore: the concurrency limit shared by every gt/bd call.
//
// Guarantees: never more than `limit` holders at once; waiters are served in arrival order;
// a waiter whose AbortSignal fires leaves the queue and rejects with the signal's reason
// without ever taking a slot. The limit exists so the operator can never storm the town's
// single Dolt server with parallel `bd` processes (gastown #4028).

export type Release = () => void;

interface Waiter {
  readonly grant: (release: Release) => void;
}

export class ConcurrencyLimiter {
  readonly limit: number;
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
    }
    this.limit = limit;
  }

  /** Calls holding a slot right now. */
  get active(): number {
    return this.#active;
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves with a release function once a slot is free; call it exactly once. */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(toError(signal.reason));
    if (this.#active < this.limit) {
      this.#active += 1;
      return Promise.resolve(this.#releaser());
    }
    return new Promise<Release>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(toError(signal?.reason));
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      this.#queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      // Hand the slot straight to the next waiter so a newcomer cannot overtake the queue.
      if (next) next.grant(this.#releaser());
      else this.#active -= 1;
    };
  }
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error('aborted');
}
