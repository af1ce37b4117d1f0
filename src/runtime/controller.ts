// The controller loop, after controller-runtime's: informer events of the primary kind, of
// owned kinds (through controller owner references) and of related kinds (through a
// mapToKeys function) become keys in a WorkQueue; `workers` loops take keys and run a
// level-based reconcile(key). Outcomes:
// - done                      -> forget the key's backoff;
// - { requeueAfterMs }        -> forget the backoff, add the key again after that delay;
// - throws a conflict (409)   -> rate-limited requeue, logged at debug only (stale cache);
// - throws TerminalError      -> no retry (a new event will bring the key back);
// - throws anything else      -> rate-limited requeue (5 ms doubling to 1000 s by default).
// Every run gets a reconcileID and a child logger {controller, key, reconcileID}; failures
// can be mirrored into the object's status.lastFailure through a FailureReporter.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import type { InformerCache } from './cache.ts';
import { realClock, type Clock } from './clock.ts';
import type { InformerHandlers } from './informer.ts';
import { apiVersionOf, isConflict, KubeApiError, objectKey, type KubeObject, type ObjectMeta, type ResourceKind } from './k8s.ts';
import type { RateLimiter } from './ratelimit.ts';
import { failureFrom, type FailureReporter } from './status.ts';
import { WorkQueue } from './workqueue.ts';

/** A permanent failure: reported, not retried. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface ReconcileContext {
  controller: string;
  key: string;
  reconcileID: string;
  logger: Logger;
  /** Aborted when the manager's shutdown deadline passes: stop early, leave state consistent. */
  signal: AbortSignal;
  /** Consecutive failed attempts before this one (0 on a first try). */
  retryCount: number;
}

export type ReconcileResult = { requeueAfterMs?: number } | undefined | void;

export interface WatchSpec {
  kind: ResourceKind;
  /** Keys of the primary kind to reconcile when `obj` changes. */
  mapToKeys(obj: KubeObject): readonly string[];
}

export type ReconcileOutcome = 'success' | 'error' | 'requeue';

export interface ReconcileReport {
  controller: string;
  result: ReconcileOutcome;
  durationMs: number;
  /** Set for failures: 'conflict', 'terminal', or the error's reason/kind/name. */
  errorType?: string;
}

export interface ControllerDefinition {
  name: string;
  for: ResourceKind;
  /** Kinds whose objects carry a controller owner reference to a `for` object. */
  owns?: readonly ResourceKind[];
  /** Other kinds whose changes map to `for` keys. */
  watches?: readonly WatchSpec[];
  reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult>;
  /** Concurrent reconciles (of different keys); default 1. */
  workers?: number;
  /** Makes the queue's limiter; default client-go's (5 ms..1000 s per key, 10 qps burst 100). */
  rateLimiter?: (clock: Clock) => RateLimiter;
  /**
   * Also reconcile on updates of the primary object that change only its status; default
   * false (kube-rs' generation predicate, widened to metadata): a controller's own status
   * writes, and lastFailure reports, must not retrigger it and defeat the backoff.
   */
  reconcileOnStatusChange?: boolean;
  /** Mirrors failures into status.lastFailure (set on failure, cleared on success). */
  failureReporter?: FailureReporter;
  onReconcile?(report: ReconcileReport): void;
}

export interface ControllerDeps {
  cache: InformerCache;
  clock?: Clock;
  logger?: Logger;
}

/** Keys of the `owner` kind named by the controller owner reference of `obj`. */
export function ownerKeys(owner: ResourceKind, obj: KubeObject): string[] {
  const apiVersion = apiVersionOf(owner);
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === owner.kind && r.apiVersion === apiVersion);
  if (!ref) return [];
  const ns = owner.namespaced ? obj.metadata?.namespace : undefined;
  return [ns ? `${ns}/${ref.name}` : ref.name];
}

/**
 * True when `newObj` differs from `oldObj` only in status (and the bookkeeping that comes with
 * any write). The same object twice is a resync, which is not status-only.
 */
export function isStatusOnlyUpdate(oldObj: KubeObject, newObj: KubeObject): boolean {
  if (oldObj === newObj) return false;
  const strip = (o: KubeObject): unknown => {
    const { status: _s, metadata = {}, ...rest } = o as KubeObject & { status?: unknown };
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata as ObjectMeta & { managedFields?: unknown };
    return { ...rest, metadata: meta };
  };
  return isDeepStrictEqual(strip(oldObj), strip(newObj));
}

/** Every kind a controller needs in the cache before it may run. */
export function kindsOf(def: ControllerDefinition): ResourceKind[] {
  return [def.for, ...(def.owns ?? []), ...(def.watches ?? []).map((w) => w.kind)];
}

export class Controller {
  readonly definition: ControllerDefinition;
  readonly queue: WorkQueue;
  readonly #deps: ControllerDeps;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #cancel = new AbortController();
  #running = false;

  constructor(definition: ControllerDefinition, deps: ControllerDeps) {
    this.definition = definition;
    this.#deps = deps;
    this.#clock = deps.clock ?? realClock;
    this.#log = (deps.logger ?? silentLogger()).child({ controller: definition.name });
    const rateLimiter = definition.rateLimiter?.(this.#clock);
    this.queue = new WorkQueue(rateLimiter ? { clock: this.#clock, rateLimiter } : { clock: this.#clock });
  }

  get name(): string {
    return this.definition.name;
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /**
   * Reconciles until `signal` aborts, then stops taking keys and resolves once the in-flight
   * reconciles have returned. One run per Controller: make a new one to start again.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running || this.queue.isShuttingDown()) throw new Error(`controller ${this.name} cannot run twice`);
    this.#running = true;
    const unregister = this.#registerHandlers();
    const stop = (): void => this.queue.shutdown();
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    const workers = Math.max(1, this.definition.workers ?? 1);
    this.#log.info({ workers }, 'controller started');
    try {
      await Promise.all(Array.from({ length: workers }, () => this.#worker()));
    } finally {
      for (const u of unregister) u();
      signal.removeEventListener('abort', stop);
      this.#running = false;
      this.#log.info('controller stopped');
    }
  }

  /** Aborts the signal of in-flight reconciles (after a shutdown deadline). */
  cancelInFlight(): void {
    this.#cancel.abort();
  }

  #registerHandlers(): (() => void)[] {
    const { cache } = this.#deps;
    const def = this.definition;
    const enqueueMapped = (map: (obj: KubeObject) => readonly string[]): InformerHandlers<KubeObject> => ({
      add: (obj) => this.#enqueueAll(map(obj)),
      update: (oldObj, newObj) => this.#enqueueAll([...map(oldObj), ...map(newObj)]),
      delete: (obj) => this.#enqueueAll(map(obj)),
    });
    const primary = enqueueMapped((obj) => [objectKey(obj)]);
    if (!def.reconcileOnStatusChange) {
      primary.update = (oldObj, newObj) => {
        if (!isStatusOnlyUpdate(oldObj, newObj)) this.queue.add(objectKey(newObj));
      };
    }
    const handlers: (() => void)[] = [cache.informer(def.for).addHandlers(primary)];
    for (const owned of def.owns ?? []) {
      handlers.push(cache.informer(owned).addHandlers(enqueueMapped((obj) => ownerKeys(def.for, obj))));
    }
    for (const w of def.watches ?? []) {
      handlers.push(cache.informer(w.kind).addHandlers(enqueueMapped((obj) => w.mapToKeys(obj))));
    }
    return handlers;
  }

  #enqueueAll(keys: readonly string[]): void {
    for (const k of keys) this.queue.add(k);
  }

  async #worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.#reconcileOne(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  async #reconcileOne(key: string): Promise<void> {
    const def = this.definition;
    const reconcileID = randomUUID();
    const logger = this.#log.child({ key, reconcileID });
    const retryCount = this.queue.numRequeues(key);
    const ctx: ReconcileContext = { controller: def.name, key, reconcileID, logger, signal: this.#cancel.signal, retryCount };
    const started = this.#clock.now();
    let report: Omit<ReconcileReport, 'controller' | 'durationMs'>;
    try {
      const result = await def.reconcile(key, ctx);
      report = this.#onSuccess(key, result);
      await this.#reportFailure(key, logger, undefined);
    } catch (error) {
      report = this.#onError(key, error, logger);
      if (report.errorType !== 'conflict') await this.#reportFailure(key, logger, error);
    }
    const durationMs = this.#clock.now() - started;
    logger.debug({ result: report.result, durationMs }, 'reconciled');
    try {
      def.onReconcile?.({ controller: def.name, durationMs, ...report });
    } catch (error) {
      logger.warn({ err: error }, 'onReconcile hook threw');
    }
  }

  #onSuccess(key: string, result: ReconcileResult): Omit<ReconcileReport, 'controller' | 'durationMs'> {
    this.queue.forget(key);
    const after = result?.requeueAfterMs;
    if (after !== undefined && after > 0) {
      this.queue.addAfter(key, after);
      return { result: 'requeue' };
    }
    return { result: 'success' };
  }

  #onError(key: string, error: unknown, logger: Logger): Omit<ReconcileReport, 'controller' | 'durationMs'> {
    if (error instanceof TerminalError) {
      this.queue.forget(key);
      logger.error({ err: error }, 'reconcile failed permanently; not retrying');
      return { result: 'error', errorType: 'terminal' };
    }
    this.queue.addRateLimited(key);
    if (isConflict(error)) {
      logger.debug({ err: error }, 'conflict; requeued');
      return { result: 'requeue', errorType: 'conflict' };
    }
    logger.error({ err: error, retryCount: this.queue.numRequeues(key) }, 'reconcile failed; requeued with backoff');
    return { result: 'error', errorType: errorTypeOf(error) };
  }

  async #reportFailure(key: string, logger: Logger, error: unknown): Promise<void> {
    const reporter = this.definition.failureReporter;
    if (!reporter) return;
    try {
      if (error === undefined) await reporter.succeeded(key);
      else await reporter.failed(key, failureFrom(error, this.#clock.now(), this.queue.numRequeues(key)));
    } catch (reportError) {
      logger.warn({ err: reportError }, 'could not write status.lastFailure');
    }
  }
}

function errorTypeOf(error: unknown): string {
  if (error instanceof KubeApiError) return error.reason ?? `HTTP${error.code}`;
  if (typeof error === 'object' && error !== null && 'kind' in error && typeof error.kind === 'string') return error.kind;
  return error instanceof Error ? error.name : typeof error;
}
