// The one runner every gt/bd call goes through.
//
// Guarantees, per call: arguments go to the binary as argv (no shell); cwd and
// GT_TOWN_ROOT are the town root, NO_COLOR=1, and the variables that change gt/bd output are
// stripped; at most `concurrency` processes run at once across all callers (FIFO); a call
// that outlives `timeoutMs`, overflows `maxOutputBytes` or is aborted has its whole process
// group killed. Every failure rejects with a GtError; every call, successful or not, is
// reported once to the `onCall` observer and logged at debug.
//
// The circuit breaker counts only evidence that gt/bd or the town is not answering:
// timeouts and `Unavailable` (binary missing, crash, database down). It does not count
// NotFound, ordinary refusals (CLIError: "bead is closed"), ParseError or cancellations:
// those calls reached a working CLI that answered, so they reset the failure run. Counting
// them would let one controller asking about a deleted polecat five times cut the whole
// operator off from a healthy town, and a breaker exists to protect the town, not to judge
// questions.
import { existsSync } from 'node:fs';
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import { CircuitBreaker, type Admission, type BreakerOutcome, type BreakerState } from './breaker.ts';
import { classifyFailure } from './classify.ts';
import { callEnvironment, resolveGtConfig, type CallEvent, type GtClientConfig, type ResolvedGtConfig } from './config.ts';
import { GtError, excerptOf, isGtError } from './errors.ts';
import { ContractViolation } from './parse/json.ts';
import { ConcurrencyLimiter } from './limiter.ts';
import { runProcess, type ProcessEnding } from './process.ts';

/** Output of a process that ran to completion, handed to the command's interpreter. */
export interface CompletedCall {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Invocation {
  readonly bin: 'gt' | 'bd';
  readonly args: readonly string[];
  /** Label without ids, e.g. `gt polecat list`: used in errors, logs and metrics. */
  readonly label: string;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Reads a completed call: returns the value, or throws a GtError (or a ContractViolation,
 * which becomes a ParseError). Exit codes are the interpreter's business because some
 * commands answer with exit 1 on purpose (bd show with no match, nuke refusals).
 */
export type Interpreter<T> = (call: CompletedCall, invocation: Invocation) => T;

export class GtRunner {
  readonly config: ResolvedGtConfig;
  readonly #env: Record<string, string>;
  readonly #limiter: ConcurrencyLimiter;
  readonly #breaker: CircuitBreaker;
  readonly #logger: Logger;
  readonly #onCall: ((event: CallEvent) => void) | undefined;

  constructor(config: GtClientConfig = {}) {
    this.config = resolveGtConfig(config);
    this.#env = callEnvironment(this.config);
    this.#logger = (config.logger ?? silentLogger()).child({ component: 'gt-runner' });
    this.#limiter = new ConcurrencyLimiter(this.config.concurrency);
    this.#onCall = config.onCall;
    this.#breaker = new CircuitBreaker({
      failureThreshold: this.config.breakerFailureThreshold,
      halfOpenAfterMs: this.config.breakerHalfOpenAfterMs,
      ...(config.now ? { now: config.now } : {}),
      onStateChange: (from, to) => this.#logger.warn({ from, to }, 'gt circuit breaker state change'),
    });
  }

  breakerState(): BreakerState {
    return this.#breaker.state;
  }

  /** Calls in flight and waiting for a slot (for tests and health). */
  load(): { readonly active: number; readonly waiting: number } {
    return { active: this.#limiter.active, waiting: this.#limiter.waiting };
  }

  async run<T>(invocation: Invocation, interpret: Interpreter<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await this.#admitAndRun(invocation, interpret);
      this.#report(invocation, started, undefined);
      return value;
    } catch (err) {
      const error = this.#asGtError(invocation, err);
      this.#report(invocation, started, error);
      throw error;
    }
  }

  async #admitAndRun<T>(invocation: Invocation, interpret: Interpreter<T>): Promise<T> {
    // Fail fast without queueing while the breaker is open.
    if (this.#breaker.state === 'open') throw this.#breakerOpen(invocation);
    const release = await this.#limiter.acquire(invocation.signal).catch(() => {
      throw transient(invocation, `${invocation.label} cancelled while waiting for a slot`, true);
    });
    try {
      // Checked again: the breaker may have opened while this call waited in the queue.
      const admission = this.#breaker.admit();
      if (!admission.admitted) throw this.#breakerOpen(invocation);
      return await this.#execute(invocation, interpret, admission);
    } finally {
      release();
    }
  }

  async #execute<T>(invocation: Invocation, interpret: Interpreter<T>, admission: Admission): Promise<T> {
    const ending = await runProcess({
      file: invocation.bin === 'gt' ? this.config.gtPath : this.config.bdPath,
      args: invocation.args,
      cwd: this.config.townRoot,
      env: this.#env,
      timeoutMs: this.config.timeoutMs,
      maxOutputBytes: this.config.maxOutputBytes,
      ...(invocation.signal ? { signal: invocation.signal } : {}),
    });
    if (ending.type !== 'exited') {
      const error = this.#endingError(invocation, ending);
      this.#breaker.settle(admission, ending.type === 'aborted' ? 'neutral' : breakerOutcome(error, ending));
      throw error;
    }
    try {
      const value = interpret(ending, invocation);
      this.#breaker.settle(admission, 'success');
      return value;
    } catch (err) {
      const error = this.#asGtError(invocation, err);
      this.#breaker.settle(admission, breakerOutcome(error, ending));
      throw error;
    }
  }

  #endingError(invocation: Invocation, ending: Exclude<ProcessEnding, { type: 'exited' }>): GtError {
    const { label } = invocation;
    switch (ending.type) {
      case 'timeout':
        return transient(invocation, `${label} timed out after ${this.config.timeoutMs} ms; its process group was killed`);
      case 'aborted':
        return transient(invocation, `${label} cancelled; its process group was killed`);
      case 'overflow':
        return new GtError('ParseError',
          `${label} printed more than ${this.config.maxOutputBytes} bytes; the process was killed`,
          { command: label, excerpt: excerptOf(ending.stdout) });
      case 'spawn-error':
        return this.#spawnError(invocation, ending.code, ending.message);
    }
  }

  #spawnError(invocation: Invocation, code: string, message: string): GtError {
    const { bin, label } = invocation;
    const file = bin === 'gt' ? this.config.gtPath : this.config.bdPath;
    const envVar = bin === 'gt' ? 'GT_PATH' : 'BD_PATH';
    // Node reports a missing cwd as ENOENT of the binary: tell the two apart.
    if (code === 'ENOENT' && !existsSync(this.config.townRoot)) {
      return new GtError('Unavailable',
        `town root ${this.config.townRoot} does not exist; set GT_TOWN_ROOT to the town root`,
        { command: label, notStarted: true });
    }
    if (code === 'ENOENT' || code === 'EACCES') {
      return new GtError('Unavailable',
        `cannot run ${bin} at "${file}" (${code}); set ${envVar} to the path of the ${bin} binary`,
        { command: label, notStarted: true });
    }
    return new GtError('Unavailable', `cannot run ${bin} at "${file}": ${message}`, { command: label, notStarted: true });
  }

  #breakerOpen(invocation: Invocation): GtError {
    return transient(invocation,
      `${invocation.label} refused: the gt circuit breaker is open after repeated failures ` +
      `(retrying after ${this.config.breakerHalfOpenAfterMs} ms)`, true);
  }

  #asGtError(invocation: Invocation, err: unknown): GtError {
    if (isGtError(err)) return err;
    if (err instanceof ContractViolation) {
      return new GtError('ParseError', `${invocation.label}: ${err.message}`,
        { command: invocation.label, excerpt: err.excerpt, cause: err });
    }
    return new GtError('ParseError', `${invocation.label}: unexpected output handling failure: ${String(err)}`,
      { command: invocation.label, cause: err });
  }

  #report(invocation: Invocation, started: number, error: GtError | undefined): void {
    const durationMs = performance.now() - started;
    const event: CallEvent = error
      ? { command: invocation.label, durationMs, result: 'error', errorKind: error.kind }
      : { command: invocation.label, durationMs, result: 'success' };
    this.#logger.debug({ ...event, args: invocation.args, ...(error ? { err: error.message } : {}) }, 'gt call');
    if (!this.#onCall) return;
    try {
      this.#onCall(event);
    } catch (observerError) {
      this.#logger.warn({ err: String(observerError) }, 'gt onCall observer threw; ignored');
    }
  }
}

function transient(invocation: Invocation, message: string, notStarted = false): GtError {
  return new GtError('Transient', message, { command: invocation.label, notStarted });
}

function breakerOutcome(error: GtError, ending: ProcessEnding): BreakerOutcome {
  if (ending.type === 'timeout' || error.kind === 'Unavailable') return 'failure';
  return 'success';
}

/** Interpreter helper: the call must have exited 0, else it is classified. */
export function requireSuccess(call: CompletedCall, invocation: Invocation): void {
  if (call.exitCode === 0 && call.signal === null) return;
  throw classifyFailure({
    command: invocation.label,
    binName: invocation.bin,
    exitCode: call.exitCode,
    signal: call.signal,
    stdout: call.stdout,
    stderr: call.stderr,
  });
}
