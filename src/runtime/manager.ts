// The composition root of the controller machinery, in controller-runtime's order:
//   1. caches: one informer per kind the controllers need (leader or not, so a standby is
//      warm); kinds served by CRDs start only while their CRD is Established (CrdWatcher);
//   2. leader election (optional): only the leader runs controllers;
//   3. a controller runs while we lead and every kind it needs is served and synced; it is
//      stopped (drained) when any of that stops being true, and started again when it returns.
// stop(deadlineMs): stop taking work, let in-flight reconciles finish until the deadline
// (then abort their signal), release the lease, stop the caches. The CLI maps SIGTERM/SIGINT
// to stop(); ready() and healthy() feed the probes.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import { InformerCache, kindId, type InformerDefaults } from './cache.ts';
import { realClock, type Clock } from './clock.ts';
import { Controller, kindsOf, type ControllerDefinition } from './controller.ts';
import { CrdWatcher, isBuiltinKind } from './crd-watch.ts';
import type { KubeClient, ResourceKind } from './k8s.ts';
import { LeaderElector } from './leader.ts';

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  client: KubeClient;
  /** Omit to run without election (a single replica that always leads). */
  leaderElection?: LeaderElectionConfig;
  /** This replica's name in the Lease; default `<hostname>_<uuid>` (client-go's habit). */
  identity?: string;
  /** Watch a single namespace for namespaced kinds; default all. */
  namespace?: string;
  informers?: InformerDefaults;
  /** Default deadline of stop(); default 30 s. */
  shutdownDeadlineMs?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Slot {
  definition: ControllerDefinition;
  controller?: Controller;
  abort?: AbortController;
  done?: Promise<void>;
}

/**
 * A long-running task that, like a controller, runs only while this replica leads and the
 * kinds it needs are served and synced (controller-runtime's LeaderElectionRunnable): the
 * town sync, which execs gt and creates discovered views, must not run on a standby.
 */
export interface LeaderRunnable {
  name: string;
  needs?: readonly ResourceKind[];
  /** Runs until `signal` aborts; rejections are logged, and the task is started again later. */
  run(signal: AbortSignal): Promise<void>;
}

interface RunnableSlot {
  runnable: LeaderRunnable;
  abort?: AbortController;
  done?: Promise<void>;
}

export interface StopResult {
  /** False when in-flight reconciles outlived the deadline (their signal was aborted). */
  drained: boolean;
}

export class Manager {
  readonly client: KubeClient;
  readonly cache: InformerCache;
  readonly crds: CrdWatcher;
  readonly identity: string;
  readonly #opts: ManagerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #slots: Slot[] = [];
  readonly #runnables: RunnableSlot[] = [];
  readonly #kinds = new Map<string, ResourceKind>();
  readonly #life = new AbortController();
  #elector: LeaderElector | undefined;
  #electorDone: Promise<void> = Promise.resolve();
  #leading = false;
  #state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  #queue: Promise<void> = Promise.resolve();
  #drainDeadline = 0;
  #drained = true;

  constructor(options: ManagerOptions) {
    this.#opts = options;
    this.client = options.client;
    this.#clock = options.clock ?? realClock;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'manager' });
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.cache = new InformerCache({
      client: options.client,
      namespace: options.namespace,
      defaults: options.informers,
      clock: this.#clock,
      logger: options.logger,
    });
    this.crds = new CrdWatcher(this.cache);
  }

  /** Registers a controller; its kinds are cached from start() on. */
  add(definition: ControllerDefinition): void {
    if (this.#state !== 'new') throw new Error('controllers are added before start()');
    this.#slots.push({ definition });
    for (const kind of kindsOf(definition)) this.#kinds.set(kindId(kind), kind);
  }

  /** Registers a leader-only task; the kinds it needs are cached from start() on. */
  addRunnable(runnable: LeaderRunnable): void {
    if (this.#state !== 'new') throw new Error('runnables are added before start()');
    this.#runnables.push({ runnable });
    for (const kind of runnable.needs ?? []) this.#kinds.set(kindId(kind), kind);
  }

  /** Starts caches and election; resolves at once (readiness comes later, see ready()). */
  start(): void {
    if (this.#state !== 'new') throw new Error('a manager starts once');
    this.#state = 'running';
    const gated = [...this.#kinds.values()].filter((k) => !isBuiltinKind(k));
    for (const kind of this.#kinds.values()) {
      if (isBuiltinKind(kind)) this.#startKind(kind);
    }
    if (gated.length > 0) {
      for (const kind of gated) this.crds.track(kind);
      this.crds.onChange((kind, available) => this.#onAvailability(kind, available));
      this.crds.start();
    }
    this.#startElection();
    this.#log.info({ identity: this.identity, kinds: [...this.#kinds.keys()] }, 'manager started');
  }

  #startElection(): void {
    const le = this.#opts.leaderElection;
    if (!le) {
      this.#leading = true;
      void this.#schedule();
      return;
    }
    this.#elector = new LeaderElector({
      ...le,
      client: this.client,
      identity: this.identity,
      clock: this.#clock,
      logger: this.#opts.logger,
      onStartedLeading: () => {
        this.#leading = true;
        void this.#schedule();
      },
      onStoppedLeading: () => {
        this.#leading = false;
        // A lost lease is not a graceful stop: another replica may already lead, so in-flight
        // reconciles are cancelled at once instead of drained (controller-runtime exits here).
        return this.#schedule({ cancelInFlight: this.#state === 'running' });
      },
    });
    this.#electorDone = this.#elector.run(this.#life.signal);
  }

  #startKind(kind: ResourceKind): void {
    this.cache.start(kind);
    void this.cache.informer(kind).waitForSync(this.#life.signal).then((synced) => {
      if (synced) void this.#schedule();
    });
  }

  #onAvailability(kind: ResourceKind, available: boolean): void {
    this.#log.info({ kind: kindId(kind), available }, available ? 'kind is served; starting its cache' : 'kind is gone; stopping its cache and controllers');
    if (available) {
      if (this.#state === 'running') this.#startKind(kind);
      return;
    }
    // Controllers first (they read the cache), then the cache itself.
    void this.#schedule().then(() => this.cache.drop(kind));
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** Kinds the controllers need that the API server does not serve now. */
  missingKinds(): ResourceKind[] {
    return this.crds.missing();
  }

  /** Caches synced, every needed kind served, and election running (leader or standby). */
  ready(): boolean {
    if (this.#state !== 'running') return false;
    if (this.crds.missing().length > 0) return false;
    return [...this.#kinds.values()].every((k) => this.cache.hasSynced(k));
  }

  /** The manager is running (a missing CRD is not unhealthy: restarting would not help). */
  healthy(): boolean {
    return this.#state === 'running' || this.#state === 'new';
  }

  /**
   * Enqueues keys into a running controller, for change signals from outside the API server
   * (the town sync's diff). A controller that is not running ignores them: when it starts, its
   * initial list enqueues every object anyway. Returns whether the controller took them.
   */
  enqueue(controllerName: string, keys: readonly string[]): boolean {
    const controller = this.#slots.find((s) => s.definition.name === controllerName)?.controller;
    if (!controller) return false;
    for (const key of keys) controller.enqueue(key);
    return true;
  }

  /** Controllers running now, by name. */
  runningControllers(): string[] {
    return this.#slots.filter((s) => s.done !== undefined).map((s) => s.definition.name);
  }

  /** Serializes reconciliation of the controller set; resolves when this round is done. */
  #schedule(options: { cancelInFlight?: boolean } = {}): Promise<void> {
    this.#queue = this.#queue.then(() => this.#reconcileSlots(options.cancelInFlight ?? false)).catch((error: unknown) => {
      this.#log.error({ err: error }, 'starting or stopping controllers failed');
    });
    return this.#queue;
  }

  #wanted(kinds: readonly ResourceKind[]): boolean {
    if (this.#state !== 'running' || !this.#leading) return false;
    return kinds.every((k) => this.crds.isAvailable(k) && this.cache.hasSynced(k));
  }

  async #reconcileSlots(cancelInFlight: boolean): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const slot of this.#slots) {
      const want = this.#wanted(kindsOf(slot.definition));
      if (want && !slot.done) this.#startSlot(slot);
      else if (!want && slot.done) stopping.push(this.#stopSlot(slot, cancelInFlight));
    }
    for (const slot of this.#runnables) {
      const want = this.#wanted(slot.runnable.needs ?? []);
      if (want && !slot.done) this.#startRunnable(slot);
      else if (!want && slot.done) stopping.push(this.#stopRunnable(slot));
    }
    await Promise.all(stopping);
  }

  #startSlot(slot: Slot): void {
    const controller = new Controller(slot.definition, { cache: this.cache, clock: this.#clock, logger: this.#opts.logger });
    slot.controller = controller;
    slot.abort = new AbortController();
    slot.done = controller.run(slot.abort.signal);
  }

  #startRunnable(slot: RunnableSlot): void {
    const abort = new AbortController();
    const { name } = slot.runnable;
    slot.abort = abort;
    this.#log.info({ runnable: name }, 'starting leader-only task');
    slot.done = slot.runnable.run(abort.signal).catch((error: unknown) => {
      this.#log.error({ err: error, runnable: name }, 'leader-only task failed');
    }).finally(() => {
      if (slot.abort !== abort) return;
      // It ended on its own: forget it, so the next scheduling round starts it again.
      slot.abort = undefined;
      slot.done = undefined;
      if (!abort.signal.aborted) this.#clock.setTimer(() => void this.#schedule(), 1_000);
    });
  }

  async #stopRunnable(slot: RunnableSlot): Promise<void> {
    const { abort, done } = slot;
    slot.abort = undefined;
    slot.done = undefined;
    if (!abort || !done) return;
    abort.abort();
    await done;
  }

  /** Stops taking keys, waits for in-flight reconciles until the drain deadline, then cancels them. */
  async #stopSlot(slot: Slot, cancelInFlight: boolean): Promise<void> {
    const { controller, abort, done } = slot;
    slot.controller = undefined;
    slot.abort = undefined;
    slot.done = undefined;
    if (!controller || !abort || !done) return;
    abort.abort();
    if (cancelInFlight) {
      controller.cancelInFlight();
      const ended = await this.#within(done, 5_000);
      this.#log.warn({ controller: controller.name, ended }, 'leadership lost: in-flight reconciles cancelled');
      return;
    }
    const deadline = this.#drainDeadline > 0 ? this.#drainDeadline : this.#clock.now() + (this.#opts.shutdownDeadlineMs ?? 30_000);
    const finished = await this.#within(done, deadline - this.#clock.now());
    if (!finished) {
      this.#drained = false;
      this.#log.warn({ controller: controller.name }, 'reconciles still running at the deadline; cancelling them');
      controller.cancelInFlight();
    }
  }

  #within(p: Promise<void>, ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const cancel = this.#clock.setTimer(() => resolve(false), ms);
      void p.then(() => {
        cancel();
        resolve(true);
      });
    });
  }

  /**
   * Graceful stop: no new keys, in-flight reconciles get until `deadlineMs`, then the lease is
   * released (unless `releaseLease` is false: leave it to expire, as a killed process would)
   * and the caches stop.
   */
  async stop(deadlineMs = this.#opts.shutdownDeadlineMs ?? 30_000, options: { releaseLease?: boolean } = {}): Promise<StopResult> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return { drained: this.#drained };
    this.#state = 'stopping';
    this.#drainDeadline = this.#clock.now() + deadlineMs;
    this.#elector?.setReleaseOnCancel(options.releaseLease ?? true);
    this.#log.info({ deadlineMs }, 'stopping');
    this.#life.abort();
    await this.#schedule();
    await this.#electorDone;
    this.crds.stop();
    await this.cache.stopAll();
    this.#leading = false;
    this.#state = 'stopped';
    this.#log.info({ drained: this.#drained }, 'stopped');
    return { drained: this.#drained };
  }
}
