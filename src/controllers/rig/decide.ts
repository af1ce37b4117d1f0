// The Rig controller's decision: a pure function of (the Rig, the check of its local path, the
// latest town snapshot, now) to (the new status, the Events to record). No I/O, table-tested.
//
// Checks run in order and the first failing one gives the reason (cert-manager's policy
// chain): the path on the town host, the town read, the rig's presence in gt, the spec against
// the town's registry, then gt's own state of the rig. Conditions:
// - Synced   True while the last town read succeeded; False with the gt failure otherwise;
// - Degraded True with the reason of the first failing check; False (Synced) when none fails;
// - Ready    True only for an operational rig with no failing check.
// - ExecutionWired  Pod mode and gt's exec_wrapper agree (execution-wiring.ts); absent for a
//   rig that uses neither. It does not degrade the rig: Local sessions still work.
// During a gt failure the last observed figures stay (the view never invents state; it only
// says it is stale); for a rig gt no longer knows they are removed.
import { ConditionType, Reason, RigPhase, type Rig, type RigStatus, type MergeQueueStatus } from '../../api/index.ts';
import { MQ_HEALTHS, MQ_STATES, RIG_STATES, isRecognized } from '../../gt/index.ts';
import { removeCondition, setCondition, type Condition, type ConditionStatus } from '../../runtime/conditions.ts';
import { reasonForGtError } from '../shared/gt-failure.ts';
import type { ViewEvent } from '../shared/sinks.ts';
import { observeRig, type RigObservation } from '../town-sync/queries.ts';
import type { TownSnapshot } from '../town-sync/snapshot.ts';
import { executionWiring, type ExecutionWiring, type WrapperCheck } from './execution-wiring.ts';

/** What a stat of `spec.localPath` found on the town host. */
export type PathCheck =
  | { readonly kind: 'directory' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'not-directory' }
  | { readonly kind: 'error'; readonly message: string };

export interface RigInput {
  readonly rig: Rig;
  /** The gt rig name (last segment of spec.localPath). */
  readonly gtName: string;
  readonly path: PathCheck;
  /** Latest town snapshot (never undefined here: the reconciler waits for the first one). */
  readonly town: TownSnapshot;
  readonly now: number;
  /** The rig's gt `runtime.exec_wrapper`; omitted = not read (no ExecutionWired condition). */
  readonly wrapper?: WrapperCheck;
}

export type RigEvent = ViewEvent;

export interface RigDecision {
  readonly status: RigStatus;
  readonly events: readonly RigEvent[];
}

/** The reason and message of a failing check. */
interface Problem {
  readonly reason: Reason;
  readonly message: string;
}

function pathProblem(rig: Rig, path: PathCheck): Problem | undefined {
  const where = rig.spec.localPath;
  switch (path.kind) {
    case 'directory':
      return undefined;
    case 'missing':
      return { reason: Reason.PathNotFound, message: `spec.localPath ${where} does not exist on the town host` };
    case 'not-directory':
      return { reason: Reason.PathNotDirectory, message: `spec.localPath ${where} is not a directory` };
    case 'error':
      return { reason: Reason.PathNotFound, message: `spec.localPath ${where} cannot be checked: ${path.message}` };
  }
}

/** `https://x/y.git/` and `https://x/y` are the same repository. */
export function normaliseGitUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\.git$/, '');
}

function specMismatch(rig: Rig, seen: RigObservation): Problem | undefined {
  const config = seen.config;
  if (!config) return undefined;
  const diffs: string[] = [];
  const { beadsPrefix, gitURL } = rig.spec;
  if (beadsPrefix !== undefined && config.beadsPrefix !== undefined && beadsPrefix !== config.beadsPrefix) {
    diffs.push(`spec.beadsPrefix is ${beadsPrefix} but the town's is ${config.beadsPrefix}`);
  }
  if (gitURL !== undefined && config.gitURL !== undefined && normaliseGitUrl(gitURL) !== normaliseGitUrl(config.gitURL)) {
    diffs.push(`spec.gitURL is ${gitURL} but the town's is ${config.gitURL}`);
  }
  return diffs.length === 0 ? undefined : { reason: Reason.SpecMismatch, message: `${diffs.join('; ')} (mayor/rigs.json)` };
}

/** gt's state of the rig as phase and Ready condition. */
function operational(seen: RigObservation, gtName: string): { phase: RigPhase; ready: ConditionStatus; problem?: Problem; reason: Reason; message: string } {
  const state = seen.rig?.status;
  switch (state?.kind) {
    case 'operational':
      return { phase: RigPhase.Operational, ready: 'True', reason: Reason.RigOperational, message: `rig ${gtName} is operational` };
    case 'parked':
      return { phase: RigPhase.Parked, ready: 'False', reason: Reason.RigParked, message: `rig ${gtName} is parked (gt rig park)` };
    case 'docked':
      return { phase: RigPhase.Docked, ready: 'False', reason: Reason.RigDocked, message: `rig ${gtName} is docked (gt rig dock)` };
    case 'error': {
      const problem = { reason: Reason.GTError, message: `gt reports rig ${gtName} in state error (its configuration cannot be read)` };
      return { phase: RigPhase.Degraded, ready: 'False', problem, ...problem };
    }
    default:
      return { phase: RigPhase.Unknown, ready: 'Unknown', reason: Reason.RigStateUnknown, message: `gt reports rig ${gtName} in state ${JSON.stringify(state?.raw ?? '')}` };
  }
}

function mergeQueueOf(seen: RigObservation): MergeQueueStatus | undefined {
  const mq = seen.runtime?.mq;
  if (!mq) return undefined;
  return {
    pending: mq.pending, inFlight: mq.inFlight, blocked: mq.blocked,
    state: mq.state.raw, stateKnown: isRecognized(mq.state, MQ_STATES),
    health: mq.health.raw, healthKnown: isRecognized(mq.health, MQ_HEALTHS),
  };
}

/**
 * Whether the rig's witness / refinery session runs: `gt rig list`'s `running`/`stopped`, else
 * the `running` of the agent with that role in `gt status` `rigs[].agents[]`; unknown when
 * neither says. `has_witness` / `has_refinery` are never read: in gt they only say that the
 * witness directory / refinery clone exists (internal/rig/manager.go), not that it runs.
 */
function serviceRunning(seen: RigObservation, role: 'witness' | 'refinery'): boolean | undefined {
  const listed = seen.rig?.[role];
  if (listed?.kind === 'running') return true;
  if (listed?.kind === 'stopped') return false;
  return seen.runtime?.agents.find((a) => a.role === role)?.running;
}

/** The figures gt reports for the rig (status fields other than phase and conditions). */
export function observedFigures(seen: RigObservation): Partial<RigStatus> {
  const rig = seen.rig;
  if (!rig) return {};
  const figures: Partial<RigStatus> = {
    operationalState: rig.status.raw,
    operationalStateKnown: isRecognized(rig.status, RIG_STATES),
    polecatCount: seen.runtime?.polecatCount ?? rig.polecatCount,
    activeConvoys: seen.activeConvoys,
    witnessRunning: serviceRunning(seen, 'witness'),
    refineryRunning: serviceRunning(seen, 'refinery'),
  };
  const mergeQueue = mergeQueueOf(seen);
  return mergeQueue ? { ...figures, mergeQueue } : figures;
}

const FIGURE_FIELDS = ['operationalState', 'operationalStateKnown', 'polecatCount', 'activeConvoys', 'witnessRunning', 'refineryRunning', 'mergeQueue'] as const;

function lastFigures(status: RigStatus | undefined): Partial<RigStatus> {
  const out: Partial<RigStatus> = {};
  for (const field of FIGURE_FIELDS) if (status?.[field] !== undefined) Object.assign(out, { [field]: status[field] });
  return out;
}

interface Outcome {
  phase: RigPhase;
  figures: Partial<RigStatus>;
  synced: { status: ConditionStatus; reason: Reason; message: string };
  problem: Problem | undefined;
  ready: { status: ConditionStatus; reason: Reason; message: string };
}

function outcomeOf(input: RigInput): Outcome {
  const { rig, town, gtName } = input;
  const path = pathProblem(rig, input.path);
  if (!town.ok) {
    const problem = { reason: reasonForGtError(town.error.kind), message: `reading the town failed: ${town.error.message}` };
    const first = path ?? problem;
    return { phase: RigPhase.Degraded, figures: lastFigures(rig.status), synced: { status: 'False', ...problem }, problem: first, ready: { status: 'False', ...first } };
  }
  const synced = { status: 'True' as const, reason: Reason.Synced, message: 'the last town read succeeded' };
  const seen = observeRig(town, gtName);
  if (!seen.rig) {
    const problem = path ?? { reason: Reason.RigNotInTown, message: `gt does not list a rig named ${gtName} (gt rig list)` };
    return { phase: RigPhase.Degraded, figures: {}, synced, problem, ready: { status: 'False', ...problem } };
  }
  const figures = observedFigures(seen);
  const state = operational(seen, gtName);
  const problem = path ?? specMismatch(rig, seen) ?? state.problem;
  const phase = path ? RigPhase.Degraded : state.phase;
  const ready = problem ? { status: 'False' as const, ...problem } : { status: state.ready, reason: state.reason, message: state.message };
  return { phase, figures, synced, problem, ready };
}

function conditionsOf(previous: readonly Condition[] | undefined, o: Outcome, generation: number | undefined, now: number): Condition[] {
  const gen = generation === undefined ? {} : { observedGeneration: generation };
  const degraded = o.problem
    ? { status: 'True' as const, reason: o.problem.reason, message: o.problem.message }
    : { status: 'False' as const, reason: Reason.Synced, message: 'no problem found' };
  let conditions = setCondition(previous, { type: ConditionType.Ready, ...o.ready, ...gen }, now);
  conditions = setCondition(conditions, { type: ConditionType.Synced, ...o.synced, ...gen }, now);
  return setCondition(conditions, { type: ConditionType.Degraded, ...degraded, ...gen }, now);
}

function eventsOf(before: RigStatus | undefined, after: RigStatus, o: Outcome): RigEvent[] {
  const readyBefore = before?.conditions?.find((c) => c.type === ConditionType.Ready);
  if (before?.phase === after.phase && readyBefore?.reason === o.ready.reason) return [];
  const type = o.problem ? 'Warning' : 'Normal';
  return [{ type, reason: o.ready.reason, message: o.ready.message }];
}

/** The Rig's new status and the Events of its transitions. */
export function decideRig(input: RigInput): RigDecision {
  const { rig, now } = input;
  const o = outcomeOf(input);
  const generation = rig.metadata.generation;
  const status: RigStatus = {
    phase: o.phase,
    ...o.figures,
    // Written by the session controller (controllers/session): carried over untouched.
    ...(rig.status?.execution === undefined ? {} : { execution: rig.status.execution }),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions: conditionsOf(rig.status?.conditions, o, generation, now),
  };
  const wiring = input.wrapper === undefined ? undefined : executionWiring(rig, input.wrapper);
  const gen = generation === undefined ? {} : { observedGeneration: generation };
  status.conditions = wiring
    ? setCondition(status.conditions, { ...wiring, ...gen }, now)
    : removeCondition(status.conditions, ConditionType.ExecutionWired);
  return { status, events: [...eventsOf(rig.status, status, o), ...wiringEvents(rig.status, wiring)] };
}

/** A Warning when ExecutionWired turns False or changes reason; Normal when it turns True. */
function wiringEvents(before: RigStatus | undefined, wiring: ExecutionWiring | undefined): RigEvent[] {
  if (!wiring) return [];
  const previous = before?.conditions?.find((c) => c.type === ConditionType.ExecutionWired);
  if (previous?.status === wiring.status && previous.reason === wiring.reason) return [];
  return [{ type: wiring.status === 'True' ? 'Normal' : 'Warning', reason: wiring.reason, message: wiring.message }];
}
