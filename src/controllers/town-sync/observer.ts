// The town observer: the one place that reads the town, and the TownView every controller
// reconciles against.
//
// Guarantees:
// - a sync cycle reads the WHOLE town with a constant number of calls, whatever the number of
//   rigs, polecats and convoys: `gt rig list --json`, `gt status --json`, `gt polecat list
//   --all --json`, `gt convoy list --json` (in parallel), then ONE `bd show` of every bead of
//   interest (registered by controllers, hooked by polecats, tracked by open convoys), split
//   only beyond `beadBatchLimit` ids so the command line stays bounded; plus one read-only
//   read of `mayor/rigs.json` (no process);
// - a failed read yields `{ok: false, error, previous}`, never an empty town (gastown #2638);
// - cycles never overlap: a request during a cycle schedules exactly one follow-up;
// - `requestSync` is debounced (default 250 ms) and the periodic cycle (default 10 s, at most
//   the design's 30 s) catches everything no signal reports;
// - while reads fail (gt missing, breaker open, database down) cycles back off exponentially
//   (1 s doubling to 30 s) and requests cannot hurry them beyond that;
// - after each cycle, subscribers get only the keys whose observed state changed (diff.ts).
import type { GtClient } from '../../gt/index.ts';
import { GtError, isGtError } from '../../gt/index.ts';
import type { Bead, ConvoyListItem, PolecatListItem, Rig, TownStatus } from '../../gt/index.ts';
import { isBeadId } from '../../api/formats.ts';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import { realClock, type CancelTimer, type Clock } from '../../runtime/clock.ts';
import { diffTown, isEmptyChange, type TownChange } from './diff.ts';
import { beadsOfInterest } from './queries.ts';
import { polecatKey, type RigTownConfig, type TownData, type TownSnapshot, type TownView } from './snapshot.ts';
import { readRigConfigs } from './town-config.ts';

export const TOWN_SYNC_DEFAULTS = {
  intervalMs: 10_000,
  /** The design's poll period, kept as the ceiling of the interval and of the failure backoff. */
  maxIntervalMs: 30_000,
  debounceMs: 250,
  failureBackoffInitialMs: 1_000,
  beadBatchLimit: 1_000,
} as const;

export interface TownObserverOptions {
  readonly client: GtClient;
  /** The town root, for `mayor/rigs.json`. */
  readonly townRoot: string;
  /** Period of the full read when nothing asks for one; default 10 s, at most 30 s. */
  readonly intervalMs?: number;
  /** Delay that coalesces requestSync calls; default 250 ms. */
  readonly debounceMs?: number;
  /** First delay after a failed read, doubling up to the interval ceiling; default 1 s. */
  readonly failureBackoffMs?: number;
  /** Most bead ids per `bd show`; default 1000 (one call for any realistic town). */
  readonly beadBatchLimit?: number;
  /** Reads the rig registry; default `mayor/rigs.json` under townRoot. */
  readonly readRigConfigs?: (townRoot: string) => Promise<ReadonlyMap<string, RigTownConfig> | undefined>;
  /** Called after every cycle, for metrics; must not throw. */
  readonly onCycle?: (report: CycleReport) => void;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface CycleReport {
  readonly ok: boolean;
  readonly durationMs: number;
  readonly beadIds: number;
  readonly reasons: readonly string[];
}

export type TownChangeListener = (change: TownChange, snapshot: TownSnapshot) => void;

function toGtError(error: unknown): GtError {
  if (isGtError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GtError('Transient', `town sync failed: ${message}`, { command: 'town sync', cause: error });
}

function positive(name: string, value: number, max = Number.POSITIVE_INFINITY): number {
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new RangeError(`town sync setting ${name} must be in (0, ${max}] ms, got ${value}`);
  }
  return value;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class TownObserver implements TownView {
  readonly #client: GtClient;
  readonly #townRoot: string;
  readonly #intervalMs: number;
  readonly #debounceMs: number;
  readonly #backoffMs: number;
  readonly #beadBatchLimit: number;
  readonly #readRigConfigs: (townRoot: string) => Promise<ReadonlyMap<string, RigTownConfig> | undefined>;
  readonly #onCycle: ((report: CycleReport) => void) | undefined;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #interest = new Map<string, readonly string[]>();
  readonly #listeners = new Set<TownChangeListener>();
  readonly #snapshotListeners = new Set<(snapshot: TownSnapshot) => void>();
  #snapshot: TownSnapshot | undefined;
  #lastData: TownData | undefined;
  #failures = 0;
  #lastCycleEnd = 0;
  #cycle: Promise<void> | undefined;
  #followUp: number | undefined;
  #timer: CancelTimer | undefined;
  #dueAt = Number.POSITIVE_INFINITY;
  #reasons = new Set<string>();
  #waiters: ((snapshot: TownSnapshot) => void)[] = [];
  #signal: AbortSignal | undefined;
  #running = false;

  constructor(options: TownObserverOptions) {
    this.#client = options.client;
    this.#townRoot = options.townRoot;
    this.#intervalMs = positive('intervalMs', options.intervalMs ?? TOWN_SYNC_DEFAULTS.intervalMs, TOWN_SYNC_DEFAULTS.maxIntervalMs);
    this.#debounceMs = positive('debounceMs', options.debounceMs ?? TOWN_SYNC_DEFAULTS.debounceMs, TOWN_SYNC_DEFAULTS.maxIntervalMs);
    this.#backoffMs = positive('failureBackoffMs', options.failureBackoffMs ?? TOWN_SYNC_DEFAULTS.failureBackoffInitialMs);
    this.#beadBatchLimit = options.beadBatchLimit ?? TOWN_SYNC_DEFAULTS.beadBatchLimit;
    this.#readRigConfigs = options.readRigConfigs ?? readRigConfigs;
    this.#onCycle = options.onCycle;
    this.#clock = options.clock ?? realClock;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'town-sync' });
  }

  // ---- TownView ----

  current(): TownSnapshot | undefined {
    return this.#snapshot;
  }

  requestSync(reason: string): void {
    this.#reasons.add(reason);
    this.#want(this.#debounceMs);
  }

  registerBeadInterest(owner: string, beadIds: readonly string[]): void {
    const ids = [...new Set(beadIds)].sort();
    const before = this.#interest.get(owner);
    this.#interest.set(owner, ids);
    // A bead nobody read before is unknown to every view until the next cycle: ask for one.
    const known = this.#lastData;
    if (known && ids.some((id) => !before?.includes(id) && !known.beads.has(id) && !known.missingBeads.has(id))) {
      this.requestSync(`bead interest of ${owner}`);
    }
  }

  unregisterBeadInterest(owner: string): void {
    this.#interest.delete(owner);
  }

  // ---- Subscription and lifecycle ----

  /** Calls `listener` after each cycle that changed something; returns the unsubscribe function. */
  onChange(listener: TownChangeListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Calls `listener` after every cycle, changed or not (for work that must converge, e.g. discovery). */
  onSnapshot(listener: (snapshot: TownSnapshot) => void): () => void {
    this.#snapshotListeners.add(listener);
    return () => {
      this.#snapshotListeners.delete(listener);
    };
  }

  /**
   * Drops what the last run saw. A new run (a new leadership term) never serves the last term's
   * town: controllers wait for a fresh read, and its diff against nothing re-checks every view.
   */
  forget(): void {
    if (this.#running) return; // only between runs: a running observer's snapshot is current
    this.#snapshot = undefined;
    this.#lastData = undefined;
    this.#failures = 0;
  }

  /**
   * Runs cycles until `signal` aborts; resolves once the cycle in flight has finished. It may
   * be run again afterwards (a new leadership term), starting from no snapshot.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error('the town observer is already running');
    this.forget();
    this.#running = true;
    this.#signal = signal;
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.#want(0);
    await stopped;
    this.#timer?.();
    this.#timer = undefined;
    this.#dueAt = Number.POSITIVE_INFINITY;
    await this.#cycle;
    this.#running = false;
  }

  /**
   * Asks for a cycle now (no debounce) and resolves with the snapshot of the first cycle that
   * starts after this call: the town as it is from here on. Needs `run`.
   */
  syncNow(reason: string): Promise<TownSnapshot> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#reasons.add(reason);
      this.#want(0);
    });
  }

  /** The bead ids the next cycle will read, sorted (for tests and diagnostics). */
  beadInterest(): string[] {
    return beadsOfInterest([...this.#interest.values()].flat(), [], []);
  }

  // ---- Scheduling ----

  /** Wants a cycle within `delayMs` (never sooner than the failure backoff allows). */
  #want(delayMs: number): void {
    if (!this.#running || this.#signal?.aborted) return;
    const earliest = this.#failures > 0 ? this.#lastCycleEnd + this.#failureDelay() - this.#clock.now() : 0;
    const delay = Math.max(delayMs, earliest, 0);
    if (this.#cycle) {
      this.#followUp = Math.min(this.#followUp ?? delay, delay);
      return;
    }
    this.#schedule(delay);
  }

  #schedule(delayMs: number): void {
    const at = this.#clock.now() + delayMs;
    if (this.#timer && this.#dueAt <= at) return;
    this.#timer?.();
    this.#dueAt = at;
    this.#timer = this.#clock.setTimer(() => this.#startCycle(), delayMs);
  }

  #failureDelay(): number {
    return Math.min(this.#backoffMs * 2 ** Math.min(this.#failures - 1, 30), TOWN_SYNC_DEFAULTS.maxIntervalMs);
  }

  #startCycle(): void {
    this.#timer = undefined;
    this.#dueAt = Number.POSITIVE_INFINITY;
    if (this.#cycle || this.#signal?.aborted) return;
    const waiters = this.#waiters;
    const reasons = [...this.#reasons];
    this.#waiters = [];
    this.#reasons = new Set();
    this.#cycle = this.#runCycle(reasons, waiters).finally(() => {
      this.#cycle = undefined;
      const followUp = this.#followUp;
      this.#followUp = undefined;
      if (this.#signal?.aborted) return;
      const next = this.#failures > 0 ? this.#failureDelay() : this.#intervalMs;
      this.#schedule(followUp === undefined ? next : Math.max(followUp, this.#failures > 0 ? next : 0));
    });
  }

  async #runCycle(reasons: readonly string[], waiters: readonly ((s: TownSnapshot) => void)[]): Promise<void> {
    const started = this.#clock.now();
    const { snapshot, beadIds } = await this.#read(started);
    const previous = this.#snapshot;
    this.#snapshot = snapshot;
    this.#lastCycleEnd = this.#clock.now();
    this.#noteHealth(previous, snapshot);
    if (snapshot.ok) this.#lastData = snapshot;
    for (const resolve of waiters) resolve(snapshot);
    this.#report({ ok: snapshot.ok, durationMs: this.#lastCycleEnd - started, beadIds, reasons });
    const change = diffTown(previous, snapshot);
    if (!isEmptyChange(change)) this.#notify(change, snapshot);
    for (const listener of this.#snapshotListeners) this.#safely(() => listener(snapshot), 'snapshot listener');
  }

  #noteHealth(previous: TownSnapshot | undefined, snapshot: TownSnapshot): void {
    if (snapshot.ok) {
      if (this.#failures > 0) this.#log.info({ failures: this.#failures }, 'town readable again');
      this.#failures = 0;
      return;
    }
    this.#failures++;
    if (previous?.ok !== false || previous.error.kind !== snapshot.error.kind) {
      this.#log.warn({ kind: snapshot.error.kind, err: snapshot.error }, 'reading the town failed; views go Degraded, backing off');
    }
  }

  #report(report: CycleReport): void {
    this.#safely(() => this.#onCycle?.(report), 'onCycle hook');
  }

  #notify(change: TownChange, snapshot: TownSnapshot): void {
    for (const listener of this.#listeners) this.#safely(() => listener(change, snapshot), 'town change listener');
  }

  #safely(fn: () => void, what: string): void {
    try {
      fn();
    } catch (error) {
      this.#log.warn({ err: error }, `${what} threw`);
    }
  }

  // ---- The read ----

  async #read(observedAt: number): Promise<{ snapshot: TownSnapshot; beadIds: number }> {
    const opts = { signal: this.#signal };
    const [rigs, town, polecats, convoys, configs] = await Promise.allSettled([
      this.#client.rigList(opts),
      this.#client.townStatus(opts),
      this.#client.polecatListAll(opts),
      this.#client.convoyList(opts),
      this.#readRigConfigs(this.#townRoot),
    ]);
    const failed = [rigs, town, polecats, convoys].find((r) => r.status === 'rejected');
    if (failed?.status === 'rejected') return { snapshot: this.#failed(observedAt, failed.reason), beadIds: 0 };
    if (rigs.status !== 'fulfilled' || town.status !== 'fulfilled' || polecats.status !== 'fulfilled' || convoys.status !== 'fulfilled') {
      throw new Error('unreachable: every read settled');
    }
    const ids = beadsOfInterest([...this.#interest.values()].flat(), polecats.value, convoys.value).filter(isBeadId);
    try {
      const beads = await this.#showBeads(ids);
      const rigConfigs = configs.status === 'fulfilled' ? configs.value : undefined;
      const data = buildTownData(observedAt, rigs.value, town.value, polecats.value, convoys.value, beads, rigConfigs);
      return { snapshot: { ok: true, ...data }, beadIds: ids.length };
    } catch (error) {
      return { snapshot: this.#failed(observedAt, error), beadIds: ids.length };
    }
  }

  async #showBeads(ids: readonly string[]): Promise<{ found: Bead[]; missing: string[] }> {
    const found: Bead[] = [];
    const missing: string[] = [];
    for (const batch of chunk(ids, this.#beadBatchLimit)) {
      const result = await this.#client.beadShow(batch, { signal: this.#signal });
      found.push(...result.found);
      missing.push(...result.missing);
    }
    return { found, missing };
  }

  #failed(observedAt: number, error: unknown): TownSnapshot {
    const previous = this.#lastData;
    const gtError = toGtError(error);
    return previous ? { ok: false, observedAt, error: gtError, previous } : { ok: false, observedAt, error: gtError };
  }
}

/** Assembles one complete read into the snapshot's maps. */
export function buildTownData(
  observedAt: number,
  rigs: readonly Rig[],
  town: TownStatus,
  polecats: readonly PolecatListItem[],
  convoys: readonly ConvoyListItem[],
  beads: { readonly found: readonly Bead[]; readonly missing: readonly string[] },
  rigConfigs: ReadonlyMap<string, RigTownConfig> | undefined,
): TownData {
  const data: TownData = {
    observedAt,
    rigs: new Map(rigs.map((r) => [r.name, r])),
    rigRuntime: new Map(town.rigs.map((r) => [r.name, r])),
    town,
    polecats: new Map(polecats.map((p) => [polecatKey(p.rig, p.name), p])),
    openConvoys: new Map(convoys.map((c) => [c.id, c])),
    beads: new Map(beads.found.map((b) => [b.id, b])),
    missingBeads: new Set(beads.missing),
  };
  return rigConfigs ? { ...data, rigConfigs } : data;
}
