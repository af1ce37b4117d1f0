// The operator's Prometheus metrics: one registry per operator (never prom-client's global
// one, so each test gets a fresh set) and typed recorders that plug straight into the hooks
// of the parts that do the work:
//   - recordGtCall      = GtClientConfig.onCall              (src/gt/config.ts CallEvent)
//   - recordReconcile   = ControllerDefinition.onReconcile  (src/runtime/controller.ts ReconcileReport)
//   - observeBreaker    = GtClient.breakerState, read at scrape time
//   - setPhase / setPolecatStuck / forgetResource           from the controllers' status writes
//   - recordMerge / setQueueLength                          from the rig controller (see refinery.ts)
//
// Conventions (Prometheus naming and kube-state-metrics' enum encoding):
//   - durations in seconds, counters end in `_total`;
//   - enums are state sets: one series per known value, 1 for the current one, 0 for the
//     others (`gastown_rig_phase{phase="Parked"} == 1`, `gastown_gt_circuit_breaker_state
//     {state="open"} == 1`), so alerts and dashboards need no magic numbers;
//   - `rig` is always the gt rig name (Polecat.spec.rig, the last segment of
//     Rig.spec.localPath), so rig, polecat and refinery series join on it; `name` of a
//     polecat is the Polecat object's name (stable for the object's life, so forgetResource
//     on deletion removes exactly its series);
//   - series of deleted resources are removed (forgetResource), so cardinality follows the
//     resources that exist, not every resource ever seen.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConvoyPhase, PolecatPhase, RigPhase } from '../api/constants.ts';
import type { BreakerState } from '../gt/index.ts';
import type { CallEvent } from '../gt/index.ts';
import type { ReconcileReport } from '../runtime/controller.ts';

export const METRIC_PREFIX = 'gastown_';

/** gt/bd calls take from ~50 ms (a cached read) to the 30 s default timeout. */
export const GT_CLI_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30] as const;
/** A reconcile is one or a few gt calls plus API writes. */
export const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
/** From merge request creation to merge: minutes to a day. */
export const MERGE_BUCKETS = [30, 60, 120, 300, 600, 1_200, 1_800, 3_600, 7_200, 14_400, 43_200, 86_400] as const;

export const BREAKER_STATES: readonly BreakerState[] = ['closed', 'half-open', 'open'];

/** Outcomes of a merge request, as derived in refinery.ts. */
export type MergeResult = 'success' | 'conflict' | 'failure';
export const MERGE_RESULTS: readonly MergeResult[] = ['success', 'conflict', 'failure'];

/** The labels that identify one resource's series, per kind. */
export interface ResourceLabels {
  readonly rig: { readonly rig: string };
  readonly polecat: { readonly rig: string; readonly name: string };
  readonly convoy: { readonly namespace: string; readonly name: string };
}
export type ResourceKindName = keyof ResourceLabels;

/** The phases each kind is known to have: each gets a 0 series besides the current one. */
export const KNOWN_PHASES: { readonly [K in ResourceKindName]: readonly string[] } = {
  rig: Object.values(RigPhase),
  polecat: Object.values(PolecatPhase),
  convoy: Object.values(ConvoyPhase),
};

export interface MergeRecord {
  readonly rig: string;
  readonly result: MergeResult;
  /** Creation to close of the merge request; observed for successful merges only. */
  readonly durationSeconds?: number;
}

export interface OperatorMetrics {
  readonly registry: Registry;
  /** Plug into `GtClientConfig.onCall`. */
  readonly recordGtCall: (event: CallEvent) => void;
  /** Plug into `ControllerDefinition.onReconcile`. */
  readonly recordReconcile: (report: ReconcileReport) => void;
  /**
   * Sets the phase state set of one resource: 1 for `phase`, 0 for the kind's other known
   * phases. An unknown phase gets its own series (removed when the phase changes);
   * undefined (not reconciled yet) leaves every known phase at 0.
   */
  readonly setPhase: <K extends ResourceKindName>(kind: K, labels: ResourceLabels[K], phase: string | undefined) => void;
  /** 1 while a polecat's Stuck condition is True. */
  readonly setPolecatStuck: (labels: ResourceLabels['polecat'], stuck: boolean) => void;
  /**
   * Removes every series of a deleted resource: its phases, a polecat's stuck gauge, a rig's
   * refinery series.
   */
  readonly forgetResource: <K extends ResourceKindName>(kind: K, labels: ResourceLabels[K]) => void;
  /** Sets the breaker state set now (prefer observeBreaker, which is read at scrape time). */
  readonly setBreakerState: (state: BreakerState) => void;
  /** Reads the breaker on every scrape, e.g. `observeBreaker(() => client.breakerState())`. */
  readonly observeBreaker: (read: () => BreakerState) => void;
  /** Counts one finished merge request (once: refinery.ts dedups). */
  readonly recordMerge: (merge: MergeRecord) => void;
  readonly setQueueLength: (rig: string, length: number) => void;
}

export interface MetricsOptions {
  /** Default: a new Registry. */
  readonly registry?: Registry;
  /** Register prom-client's process_* and nodejs_* metrics; default true. */
  readonly defaultMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): OperatorMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  let readBreaker: (() => BreakerState) | undefined;
  const m = defineMetrics(registry, () => {
    if (readBreaker) setBreakerState(readBreaker());
  });
  const phaseGauges: Record<ResourceKindName, Gauge<string>> = { rig: m.rigPhase, polecat: m.polecatPhase, convoy: m.convoyPhase };
  /** Phase values with a series, per resource (to remove unknown ones and to forget all). */
  const emitted = new Map<string, Set<string>>();
  /**
   * The phase (and stuck value) each resource's series show: every status decided is reported,
   * changed or not, and setting a phase touches one series per known phase, label hashing
   * included (2 % of a 10,000-view start-up's CPU), so an unchanged value sets nothing.
   */
  const shownPhase = new Map<string, string | undefined>();
  const shownStuck = new Map<string, boolean>();

  function setBreakerState(state: BreakerState): void {
    for (const s of BREAKER_STATES) m.breakerState.set({ state: s }, s === state ? 1 : 0);
  }

  return {
    registry,
    recordGtCall: (event) => {
      m.gtCalls.inc({ command: event.command, result: event.result });
      m.gtDuration.observe({ command: event.command }, event.durationMs / 1000);
      if (event.result === 'error') m.gtErrors.inc({ command: event.command, kind: event.errorKind ?? 'Unknown' });
    },
    recordReconcile: (report) => {
      m.reconcileTotal.inc({ controller: report.controller, result: report.result });
      m.reconcileDuration.observe({ controller: report.controller }, report.durationMs / 1000);
      if (report.errorType !== undefined) m.reconcileErrors.inc({ controller: report.controller, error_type: report.errorType });
    },
    setPhase: (kind, labels, phase) => {
      const gauge = phaseGauges[kind];
      const key = seriesKey(kind, labels);
      if (emitted.has(key) && shownPhase.has(key) && shownPhase.get(key) === phase) return;
      shownPhase.set(key, phase);
      const wanted = new Set(KNOWN_PHASES[kind]);
      if (phase !== undefined) wanted.add(phase);
      for (const old of emitted.get(key) ?? []) if (!wanted.has(old)) gauge.remove({ ...labels, phase: old });
      for (const p of wanted) gauge.set({ ...labels, phase: p }, p === phase ? 1 : 0);
      emitted.set(key, wanted);
    },
    setPolecatStuck: (labels, stuck) => {
      const key = seriesKey('polecat', labels);
      if (shownStuck.get(key) === stuck) return;
      shownStuck.set(key, stuck);
      m.polecatStuck.set({ ...labels }, stuck ? 1 : 0);
    },
    forgetResource: (kind, labels) => {
      const key = seriesKey(kind, labels);
      for (const p of emitted.get(key) ?? []) phaseGauges[kind].remove({ ...labels, phase: p });
      emitted.delete(key);
      shownPhase.delete(key);
      shownStuck.delete(key);
      if (kind === 'polecat') m.polecatStuck.remove({ ...labels });
      if (kind === 'rig') forgetRefinery(m, (labels as ResourceLabels['rig']).rig);
    },
    setBreakerState,
    observeBreaker: (read) => {
      readBreaker = read;
    },
    recordMerge: (merge) => {
      m.mergeTotal.inc({ rig: merge.rig, result: merge.result });
      if (merge.result === 'conflict') m.conflicts.inc({ rig: merge.rig });
      if (merge.result === 'success' && merge.durationSeconds !== undefined && merge.durationSeconds >= 0) {
        m.mergeDuration.observe({ rig: merge.rig }, merge.durationSeconds);
      }
    },
    setQueueLength: (rig, length) => m.queueLength.set({ rig }, length),
  };
}

function seriesKey(kind: ResourceKindName, labels: object): string {
  return `${kind}\u0000${Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${String(v)}`).join('\u0000')}`;
}

function forgetRefinery(m: ReturnType<typeof defineMetrics>, rig: string): void {
  for (const result of MERGE_RESULTS) m.mergeTotal.remove({ rig, result });
  m.mergeDuration.remove({ rig });
  m.conflicts.remove({ rig });
  m.queueLength.remove({ rig });
}

function defineMetrics(registry: Registry, collectBreaker: () => void) {
  const registers = [registry];
  const n = (name: string): string => `${METRIC_PREFIX}${name}`;
  return {
    reconcileTotal: new Counter({ name: n('reconcile_total'), help: 'Reconciles per controller and result (success, error, requeue).', labelNames: ['controller', 'result'] as const, registers }),
    reconcileErrors: new Counter({ name: n('reconcile_errors_total'), help: 'Failed reconciles per controller and error type (conflict, terminal, a gt error kind, an API reason).', labelNames: ['controller', 'error_type'] as const, registers }),
    reconcileDuration: new Histogram({ name: n('reconcile_duration_seconds'), help: 'Time of one reconcile.', labelNames: ['controller'] as const, buckets: [...RECONCILE_BUCKETS], registers }),
    gtCalls: new Counter({ name: n('gt_cli_calls_total'), help: 'gt/bd calls per command (without ids) and result (success, error).', labelNames: ['command', 'result'] as const, registers }),
    gtErrors: new Counter({ name: n('gt_cli_errors_total'), help: 'Failed gt/bd calls per command and error kind (NotFound, Transient, CLIError, ParseError, Unavailable, InvalidArgument).', labelNames: ['command', 'kind'] as const, registers }),
    gtDuration: new Histogram({ name: n('gt_cli_duration_seconds'), help: 'Time of one gt/bd call, process start to exit.', labelNames: ['command'] as const, buckets: [...GT_CLI_BUCKETS], registers }),
    breakerState: new Gauge({ name: n('gt_circuit_breaker_state'), help: 'State of the circuit breaker shared by all gt/bd calls: 1 for the current state (closed, half-open, open), 0 for the others.', labelNames: ['state'] as const, registers, collect: collectBreaker }),
    rigPhase: new Gauge({ name: n('rig_phase'), help: 'Rig phase: 1 for the current phase, 0 for the other known phases.', labelNames: ['rig', 'phase'] as const, registers }),
    polecatPhase: new Gauge({ name: n('polecat_phase'), help: 'Polecat phase: 1 for the current phase, 0 for the other known phases.', labelNames: ['rig', 'name', 'phase'] as const, registers }),
    polecatStuck: new Gauge({ name: n('polecat_stuck'), help: 'Whether the Polecat has condition Stuck=True (gt reports it stuck, stalled or zombie, or it has been silent too long).', labelNames: ['rig', 'name'] as const, registers }),
    convoyPhase: new Gauge({ name: n('convoy_phase'), help: 'Convoy phase: 1 for the current phase, 0 for the other known phases.', labelNames: ['namespace', 'name', 'phase'] as const, registers }),
    mergeTotal: new Counter({ name: n('refinery_merge_total'), help: 'Merge requests the refinery finished, per result (success, conflict, failure).', labelNames: ['rig', 'result'] as const, registers }),
    mergeDuration: new Histogram({ name: n('refinery_merge_duration_seconds'), help: 'Time from merge request creation to its merge (successful merges).', labelNames: ['rig'] as const, buckets: [...MERGE_BUCKETS], registers }),
    conflicts: new Counter({ name: n('refinery_conflicts_total'), help: 'Merge requests closed because of a merge conflict.', labelNames: ['rig'] as const, registers }),
    queueLength: new Gauge({ name: n('refinery_queue_length'), help: 'Merge requests waiting in the refinery queue.', labelNames: ['rig'] as const, registers }),
  };
}
