// The circuit breaker shared by every gt/bd call.
//
// Guarantees: `closed` until `failureThreshold` *counted* failures happen in a row; then
// `open` and every call is refused at once for `halfOpenAfterMs`; then the next call is let
// through alone as a probe (`half-open`, other calls still refused). A probe that succeeds
// closes the breaker, a probe that fails with a counted failure opens it again for another
// full period. Time comes from an injected clock so tests need no sleeps.
//
// What counts is decided by the caller (see runner.ts); an outcome that proves the CLI
// answered (a success, a NotFound, a refusal) resets the run of failures, because the point
// of the breaker is to stop storming a town whose gt/bd or database is not answering
// (gastown #4028), not to punish callers for asking about things that do not exist.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive counted failures that open the breaker. Default 5. */
  readonly failureThreshold?: number;
  /** How long the breaker stays open before one probe is let through. Default 30 000 ms. */
  readonly halfOpenAfterMs?: number;
  /** Milliseconds since some epoch; default `Date.now`. */
  readonly now?: () => number;
  /** Called on every state change (for logs and metrics). */
  readonly onStateChange?: (from: BreakerState, to: BreakerState) => void;
}

/** What a call got from `admit`: run it and report back with `settle`, or refused. */
export type Admission = { readonly admitted: true; readonly probe: boolean } | { readonly admitted: false };

/** How a call ended, from the breaker's point of view. */
export type BreakerOutcome = 'success' | 'failure' | 'neutral';

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #halfOpenAfterMs: number;
  readonly #now: () => number;
  readonly #onStateChange: ((from: BreakerState, to: BreakerState) => void) | undefined;
  #state: BreakerState = 'closed';
  #consecutiveFailures = 0;
  #openedAt = 0;
  #probeInFlight = false;

  constructor(options: BreakerOptions = {}) {
    this.#threshold = options.failureThreshold ?? 5;
    this.#halfOpenAfterMs = options.halfOpenAfterMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    this.#onStateChange = options.onStateChange;
    if (!Number.isInteger(this.#threshold) || this.#threshold < 1) {
      throw new RangeError(`breaker failureThreshold must be a positive integer, got ${this.#threshold}`);
    }
  }

  /** Current state; an open breaker whose period elapsed reads as `half-open`. */
  get state(): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#halfOpenAfterMs) {
      return 'half-open';
    }
    return this.#state;
  }

  /** Asks to run one call. A half-open breaker admits exactly one probe at a time. */
  admit(): Admission {
    const state = this.state;
    if (state === 'closed') return { admitted: true, probe: false };
    if (state === 'open' || this.#probeInFlight) return { admitted: false };
    this.#transition('half-open');
    this.#probeInFlight = true;
    return { admitted: true, probe: true };
  }

  /**
   * Reports how an admitted call ended. `neutral` (cancelled by the caller) is no evidence
   * either way: a neutral probe frees the probe slot and leaves the breaker half-open.
   */
  settle(admission: Admission, outcome: BreakerOutcome): void {
    if (!admission.admitted) return;
    if (admission.probe) this.#probeInFlight = false;
    if (outcome === 'neutral') return;
    if (outcome === 'success') {
      this.#consecutiveFailures = 0;
      if (this.#state !== 'closed') this.#transition('closed');
      return;
    }
    this.#consecutiveFailures += 1;
    if (admission.probe || this.#consecutiveFailures >= this.#threshold) {
      this.#openedAt = this.#now();
      if (this.#state !== 'open') this.#transition('open');
    }
  }

  #transition(to: BreakerState): void {
    const from = this.#state;
    this.#state = to;
    if (from !== to) this.#onStateChange?.(from, to);
  }
}
