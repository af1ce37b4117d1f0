// The Polecat decision: a pure function of (the Polecat, the town snapshot, the targeted gt
// reads reconcile made for it, the sling this process has in flight, now, config) to
// (actions, the status to write, events, when to look again). The checks run in order and
// the first that applies decides, as cert-manager's policy chains do:
//
//   deleting, on-delete "orphan"          -> release the finalizer, no gt call (deletePolicy)
//   deleting, orphan AND force-terminate  -> refuse to guess: CleanupBlocked, finalizer kept
//   no snapshot yet / snapshot failed     -> wait; Synced=False with the gt error's reason
//   terminating (spec or deletion)        -> (no name: a polecat holding our bead, if any)
//                                            check-recovery verdict -> nuke | CleanupBlocked;
//                                            never a polecat gt reused for other work
//   Working + bead not dispatched yet     -> adopt a polecat of the rig holding the bead,
//     (status.dispatchedBeadID)              else wait for a fresher snapshot after our own
//                                            sling (or for our scheduled sling to be
//                                            recorded), else sling (never twice)
//   a gt polecat name known               -> follow it (phase, Stuck, escalation); Idle/
//                                            PolecatReassigned once gt reused it for another
//                                            bead; Terminated/NukedOutsideKubernetes once gone
//   otherwise                             -> Pending (waiting for sling / scheduled)
//
// Outcomes of the actions are folded back by outcome.ts, also pure.
import {
  Annotation, ConditionType, DesiredState, Label, ON_DELETE_ORPHAN, PolecatPhase, Reason, TRUE_VALUE, type Polecat, type PolecatStatus,
} from '../../api/index.ts';
import type { GtError } from '../../gt/errors.ts';
import type { GitState, PolecatListItem, PolecatStatus as GtPolecatStatus, RecoveryCheck } from '../../gt/types.ts';
import { DEFAULT_RETRY_DELAYS, gtFailure, type RetryDelays } from '../shared/gt-failure.ts';
import type { Probe } from '../shared/probe.ts';
import type { ViewEvent } from '../shared/sinks.ts';
import { baseStatus, withCondition, withoutCondition, withSynced, withSyncFailure } from '../shared/status.ts';
import { polecatAddress, polecatKey, type TownData, type TownSnapshot } from '../town-sync/snapshot.ts';
import { cleanupRemedy, followedFields, followedPhase, gitStateSummary, mergeQueueUnknown, recoveryBlockReason, safeToNukeProven, withPhase } from './status.ts';
import { DEFAULT_ESCALATION, escalate, stuckVerdict, type EscalationConfig, type EscalationMail } from './stuck.ts';

export interface PolecatConfig {
  readonly escalation: EscalationConfig;
  readonly retry: RetryDelays;
  /** Retry of a termination held back by unsaved work. */
  readonly cleanupRetryMs: number;
  /** Wait for the first snapshot, or for one newer than our own sling. */
  readonly townWaitMs: number;
  /** Look again at a bead gt only scheduled (scheduler mode), besides snapshot changes. */
  readonly scheduledPollMs: number;
}

export const DEFAULT_POLECAT_CONFIG: PolecatConfig = {
  escalation: DEFAULT_ESCALATION,
  retry: DEFAULT_RETRY_DELAYS,
  cleanupRetryMs: 60_000,
  townWaitMs: 1_000,
  scheduledPollMs: 15_000,
};

/** A sling this process ran whose effect a snapshot older than `at` cannot show yet. */
export interface SlingInFlight {
  readonly beadID: string;
  /** When the sling returned (ms). */
  readonly at: number;
  /**
   * gt only queued the bead (scheduler mode): no snapshot can show this sling, so only the
   * view's own status (dispatchedBeadID) proves it; until then the bead is not slung again.
   */
  readonly scheduled?: boolean;
}

export interface PolecatObservation {
  readonly polecat: Polecat;
  readonly deleting: boolean;
  readonly snapshot: TownSnapshot | undefined;
  /** `gt polecat check-recovery`, gathered when termination is wanted (see probesFor). */
  readonly recovery?: Probe<RecoveryCheck>;
  /** `gt polecat git-state`, gathered when check-recovery says "not safe" without a reason (needsGitState). */
  readonly gitState?: Probe<GitState>;
  /** `gt polecat status`, gathered when the polecat might be silent too long (see probesFor). */
  readonly activity?: Probe<GtPolecatStatus>;
  readonly slingInFlight?: SlingInFlight;
}

export type PolecatAction =
  | { readonly type: 'sling'; readonly bead: string; readonly rig: string }
  | { readonly type: 'nuke'; readonly rig: string; readonly name: string; readonly force: boolean }
  | EscalationMail;

export type PolecatEvent = ViewEvent;

export interface PolecatDecision {
  readonly status: PolecatStatus;
  readonly actions: readonly PolecatAction[];
  readonly events: readonly PolecatEvent[];
  readonly requeueAfterMs?: number;
  /** Deletion only: the gt polecat is gone, the finalizer may be removed. */
  readonly released: boolean;
}

// ---- What to gather ----

export interface Probes {
  readonly recovery: boolean;
  readonly activity: boolean;
}

/** True when the user (spec) or Kubernetes (deletion) wants the gt polecat gone. */
export function isTerminating(polecat: Polecat, deleting: boolean): boolean {
  return deleting || polecat.spec.desiredState === DesiredState.Terminated;
}

export function isDiscovered(polecat: Polecat): boolean {
  return polecat.metadata.labels?.[Label.Discovered] === TRUE_VALUE;
}

/** The gt polecat this view follows: recorded in status, or named by town sync's label. */
export function followedName(polecat: Polecat): string | undefined {
  return polecat.status?.gtName ?? polecat.metadata.labels?.[Label.Polecat];
}

/**
 * The bead this view dispatched (slung or adopted), which following never changes. Objects
 * written before `dispatchedBeadID` existed fall back to `beadID`; discovered views dispatch
 * nothing.
 */
export function dispatchedBead(status: PolecatStatus | undefined, discovered: boolean): string | undefined {
  if (status?.dispatchedBeadID !== undefined) return status.dispatchedBeadID;
  return discovered ? undefined : status?.beadID;
}

/** Whether gt now lists the followed polecat with another bead than the one this view dispatched. */
export function reassignedTo(status: PolecatStatus | undefined, discovered: boolean, item: PolecatListItem | undefined): string | undefined {
  const dispatched = dispatchedBead(status, discovered);
  const issue = item?.issue;
  return dispatched !== undefined && issue !== undefined && issue !== dispatched ? issue : undefined;
}

/**
 * A polecat of the rig holding a bead this view dispatched or wants, when no gt name was
 * recorded (a crash between the sling and the status write). Discovered views have a name.
 */
function unrecordedHolder(polecat: Polecat, town: TownData): { holder: PolecatListItem; bead: string } | undefined {
  if (followedName(polecat) !== undefined || isDiscovered(polecat)) return undefined;
  const beads = [dispatchedBead(polecat.status, false), polecat.spec.beadID].filter((b): b is string => b !== undefined);
  for (const bead of new Set(beads)) {
    const holder = hookHolder(town, polecat.spec.rig, bead);
    if (holder !== undefined) return { holder, bead };
  }
  return undefined;
}

/** The gt polecat a termination acts on: the followed one, else one holding the view's bead. */
export function terminationTarget(polecat: Polecat, town: TownData | undefined): string | undefined {
  const name = followedName(polecat);
  if (name !== undefined || town === undefined) return name;
  return unrecordedHolder(polecat, town)?.holder.name;
}

function liveItem(polecat: Polecat, town: TownData | undefined): PolecatListItem | undefined {
  const name = followedName(polecat);
  return name === undefined || town === undefined ? undefined : town.polecats.get(polecatKey(polecat.spec.rig, name));
}

/** Which targeted gt reads decide needs: each costs a process, so only when it can matter. */
export function probesFor(polecat: Polecat, deleting: boolean, snapshot: TownSnapshot | undefined, now: number, config: PolecatConfig): Probes {
  const terminated = polecat.status?.phase === PolecatPhase.Terminated;
  if (snapshot === undefined || !snapshot.ok) return { recovery: false, activity: false };
  if (deleting && !nukesOnDelete(deletePolicy(polecat))) return { recovery: false, activity: false };
  if (isTerminating(polecat, deleting)) return { recovery: terminationTarget(polecat, snapshot) !== undefined && !terminated, activity: false };
  const item = liveItem(polecat, snapshot);
  if (reassignedTo(polecat.status, isDiscovered(polecat), item) !== undefined) return { recovery: false, activity: false };
  const working = item !== undefined && (item.state.kind === 'working' || item.state.kind === 'active');
  const last = polecat.status?.lastActivity;
  const maybeSilent = last === undefined || now - Date.parse(last) > config.escalation.stuckAfterMs;
  return { recovery: false, activity: working && maybeSilent };
}

// ---- The decision ----

function decision(status: PolecatStatus, rest: Partial<Omit<PolecatDecision, 'status'>> = {}): PolecatDecision {
  return { status, actions: [], events: [], released: false, ...rest };
}

export function decidePolecat(obs: PolecatObservation, now: number, config: PolecatConfig = DEFAULT_POLECAT_CONFIG): PolecatDecision {
  const { polecat, snapshot } = obs;
  const status = baseStatus(polecat.status, polecat.metadata.generation);
  // Before the town read: leaving the gt polecat alone needs no gt at all.
  const kept = obs.deleting ? decideDeletePolicy(polecat, status, snapshot?.ok === true ? snapshot : undefined, now) : undefined;
  if (kept !== undefined) return kept;
  if (snapshot === undefined) return decision(status, { requeueAfterMs: config.townWaitMs });
  if (!snapshot.ok) {
    const failure = gtFailure(snapshot.error, config.retry);
    return decision(withSyncFailure(status, failure, now), { requeueAfterMs: failure.requeueAfterMs });
  }
  const synced = withSynced(status, now);
  if (isTerminating(polecat, obs.deleting)) return decideTermination(obs, snapshot, synced, now, config);
  if (wantsDispatch(polecat)) return decideDispatch(obs, snapshot, synced, now, config);
  const name = followedName(polecat);
  if (name !== undefined && status.phase !== PolecatPhase.Terminated) return follow(obs, snapshot, name, synced, now, config);
  const dispatched = dispatchedBead(status, isDiscovered(polecat));
  if (dispatched !== undefined && status.phase === PolecatPhase.Pending) return awaitScheduled(obs, snapshot, dispatched, synced, now, config);
  if (status.phase === PolecatPhase.Terminated) return decision(synced);
  return decision(withPhase(synced, PolecatPhase.Pending, Reason.WaitingForSling, pendingMessage(polecat), now));
}

function pendingMessage(polecat: Polecat): string {
  if (polecat.spec.desiredState === DesiredState.Working) return 'desiredState Working needs spec.beadID';
  return 'no gt polecat yet: set desiredState Working and beadID to sling one';
}

/**
 * Working with a bead this view has not dispatched or adopted yet (discovered views never
 * sling). Compared with the dispatched bead, never with the bead the polecat holds now: gt may
 * reuse the polecat for another bead while ours is still open, and that is no reason to sling.
 */
function wantsDispatch(polecat: Polecat): boolean {
  const bead = polecat.spec.beadID;
  if (polecat.spec.desiredState !== DesiredState.Working || bead === undefined || isDiscovered(polecat)) return false;
  return dispatchedBead(polecat.status, false) !== bead;
}

/** The polecat of `rig` that holds `bead` on its hook (a live session preferred), if any. */
export function hookHolder(town: TownData, rig: string, bead: string): PolecatListItem | undefined {
  const holders = [...town.polecats.values()].filter((p) => p.rig === rig && p.issue === bead);
  const fromAgents = town.rigRuntime.get(rig)?.agents.find((a) => a.hookBead === bead && a.role === 'polecat');
  const byAgent = fromAgents === undefined ? undefined : town.polecats.get(polecatKey(rig, fromAgents.name));
  return holders.find((p) => p.sessionRunning) ?? holders[0] ?? byAgent;
}

function adopt(obs: PolecatObservation, town: TownData, holder: PolecatListItem, wanted: string, status: PolecatStatus, now: number, config: PolecatConfig): PolecatDecision {
  const bead = holder.issue ?? wanted;
  const adopted: PolecatStatus = { ...status, beadID: bead, dispatchedBeadID: wanted };
  const followed = follow(obs, town, holder.name, adopted, now, config);
  const message = `bead ${bead ?? '?'} is on ${polecatAddress(holder.rig, holder.name)}; following it`;
  const withReady = withCondition(followed.status, ConditionType.Ready, 'True', Reason.Adopted, message, now);
  return { ...followed, status: withReady, events: [{ type: 'Normal', reason: Reason.Adopted, message }, ...followed.events] };
}

function decideDispatch(obs: PolecatObservation, town: TownData, status: PolecatStatus, now: number, config: PolecatConfig): PolecatDecision {
  const { polecat } = obs;
  const rig = polecat.spec.rig;
  const bead = polecat.spec.beadID!;
  const holder = hookHolder(town, rig, bead);
  if (holder !== undefined) return adopt(obs, town, holder, bead, status, now, config);
  const fence = obs.slingInFlight;
  if (fence !== undefined && fence.beadID === bead && fence.scheduled === true) {
    // gt queued our sling and no snapshot can show that; the status write recording it was
    // lost or is not in the cache yet. Record it (again) rather than slinging twice.
    const message = `gt scheduled ${bead} for rig ${rig}; the polecat appears when the scheduler dispatches it`;
    const scheduled = withPhase({ ...status, beadID: bead, dispatchedBeadID: bead }, PolecatPhase.Pending, Reason.SlingScheduled, message, now);
    return decision(scheduled, { requeueAfterMs: config.townWaitMs });
  }
  if (fence !== undefined && fence.beadID === bead && town.observedAt <= fence.at) {
    // Our own sling returned after this snapshot was read: it cannot show the polecat yet.
    return decision(status, { requeueAfterMs: config.townWaitMs });
  }
  const beadInfo = town.beads.get(bead);
  if (beadInfo?.status.kind === 'closed') {
    return decision(withPhase(status, PolecatPhase.Pending, Reason.BeadClosed, `bead ${bead} is closed; nothing to sling`, now));
  }
  if (town.missingBeads.has(bead)) {
    const pending = withPhase(status, PolecatPhase.Pending, Reason.BeadNotFound, `bd does not know bead ${bead}`, now);
    return decision(pending, { requeueAfterMs: config.retry.notFoundMs });
  }
  const rigInfo = town.rigs.get(rig);
  if (rigInfo === undefined) {
    const pending = withPhase(status, PolecatPhase.Pending, Reason.RigNotInTown, `gt has no rig ${rig}`, now);
    return decision(pending, { requeueAfterMs: config.retry.notFoundMs });
  }
  if (rigInfo.status.kind !== 'operational') {
    const pending = withPhase(status, PolecatPhase.Pending, Reason.RigNotOperational, `rig ${rig} is ${rigInfo.status.raw}`, now);
    return decision(pending, { requeueAfterMs: config.retry.cliErrorMs });
  }
  return decision(withPhase(status, PolecatPhase.Pending, Reason.WaitingForSling, `slinging ${bead} to ${rig}`, now), {
    actions: [{ type: 'sling', bead, rig }],
  });
}

/** gt only queued the bead (scheduler mode): adopt the polecat it lands on once it appears. */
function awaitScheduled(obs: PolecatObservation, town: TownData, bead: string, status: PolecatStatus, now: number, config: PolecatConfig): PolecatDecision {
  const holder = hookHolder(town, obs.polecat.spec.rig, bead);
  if (holder !== undefined) return adopt(obs, town, holder, bead, status, now, config);
  return decision(status, { requeueAfterMs: config.scheduledPollMs });
}

function follow(obs: PolecatObservation, town: TownData, name: string, status: PolecatStatus, now: number, config: PolecatConfig): PolecatDecision {
  const rig = obs.polecat.spec.rig;
  const item = town.polecats.get(polecatKey(rig, name));
  if (item === undefined) {
    const fence = obs.slingInFlight;
    if (fence !== undefined && town.observedAt <= fence.at) return decision(status, { requeueAfterMs: config.townWaitMs });
    return goneOutside(status, rig, name, now);
  }
  const discovered = isDiscovered(obs.polecat);
  const other = reassignedTo(status, discovered, item);
  if (other !== undefined) return movedOn(status, item, other, dispatchedBead(status, discovered) ?? '?', now);
  // Without an issue the listing cannot tell whose branch it shows: keep the recorded one.
  const { branch: _branch, ...withoutBranch } = item;
  const listed = dispatchedBead(status, discovered) !== undefined && item.issue === undefined ? withoutBranch : item;
  let next = followedFields(status, listed);
  if (obs.activity?.ok === true && obs.activity.value.lastActivity !== undefined) next = { ...next, lastActivity: obs.activity.value.lastActivity };
  const beadId = next.beadID;
  const phase = followedPhase(item, beadId === undefined ? undefined : town.beads.get(beadId));
  const phaseEvents: PolecatEvent[] =
    status.phase !== phase.phase && phase.phase === PolecatPhase.Idle ? [{ type: 'Normal', reason: phase.reason, message: phase.message }] : [];
  next = withPhase(next, phase.phase, phase.reason, phase.message, now);
  next = withoutCondition(next, ConditionType.CleanupBlocked);
  const step = escalate(next, stuckVerdict(item, next.lastActivity, now, config.escalation.stuckAfterMs), rig, now, config.escalation);
  const requeue = [step.requeueAfterMs, activityRecheck(item, next.lastActivity, now, config)].filter((v): v is number => v !== undefined);
  return decision(step.status, {
    actions: step.mail ? [step.mail] : [],
    events: [...phaseEvents, ...step.events],
    ...(requeue.length > 0 ? { requeueAfterMs: Math.max(1, Math.min(...requeue)) } : {}),
  });
}

/** A working polecat is looked at again when its silence would cross the threshold. */
function activityRecheck(item: PolecatListItem, lastActivity: string | undefined, now: number, config: PolecatConfig): number | undefined {
  if (item.state.kind !== 'working' && item.state.kind !== 'active') return undefined;
  const since = lastActivity === undefined ? now : Date.parse(lastActivity);
  return Math.max(config.escalation.recheckMs, since + config.escalation.stuckAfterMs - now + 1_000);
}

/**
 * gt reused the followed polecat for another bead (ours is done, maybe waiting for the
 * refinery): the view keeps what it recorded of its own dispatch, goes Idle, and neither
 * adopts the new bead, watches the polecat for stuckness, nor slings its bead again.
 */
function movedOn(status: PolecatStatus, item: PolecatListItem, other: string, dispatched: string, now: number): PolecatDecision {
  const target = polecatAddress(item.rig, item.name);
  const message = `gt reused ${target} for bead ${other}; this view dispatched ${dispatched}, which the polecat no longer holds (not slung again, never nuked by this view)`;
  const { stuckSince: _s, escalation: _e, ...rest } = status;
  const already = status.phase === PolecatPhase.Idle && status.conditions?.some((c) => c.type === ConditionType.Ready && c.reason === Reason.PolecatReassigned) === true;
  const next = withoutCondition(withoutCondition(withPhase(rest, PolecatPhase.Idle, Reason.PolecatReassigned, message, now), ConditionType.Stuck), ConditionType.CleanupBlocked);
  return decision(next, { events: already ? [] : [{ type: 'Normal', reason: Reason.PolecatReassigned, message }] });
}

function goneOutside(status: PolecatStatus, rig: string, name: string, now: number): PolecatDecision {
  const message = `gt polecat ${rig}/${name} no longer exists; it was removed outside Kubernetes`;
  const { stuckSince: _s, escalation: _e, ...rest } = status;
  const next = withoutCondition(withPhase({ ...rest, sessionRunning: false }, PolecatPhase.Terminated, Reason.NukedOutsideKubernetes, message, now), ConditionType.Stuck);
  return decision(next, { events: [{ type: 'Warning', reason: Reason.NukedOutsideKubernetes, message }] });
}

// ---- Termination ----

function terminated(status: PolecatStatus, reason: Reason, message: string, now: number): PolecatStatus {
  const { stuckSince: _s, escalation: _e, ...rest } = status;
  const next = withPhase({ ...rest, sessionRunning: false }, PolecatPhase.Terminated, reason, message, now);
  return withoutCondition(withoutCondition(next, ConditionType.CleanupBlocked), ConditionType.Stuck);
}

export function forceAllowed(polecat: Polecat): boolean {
  return polecat.metadata.annotations?.[Annotation.ForceTerminate] === TRUE_VALUE;
}

export function orphanOnDelete(polecat: Polecat): boolean {
  return polecat.metadata.annotations?.[Annotation.OnDelete] === ON_DELETE_ORPHAN;
}

/**
 * What deleting the view does to its gt polecat, from its two annotations (README "Deleting a
 * Polecat view"). Only deletion reads on-delete: `desiredState: Terminated` nukes as always.
 *
 *   on-delete "orphan" | force-terminate "true" | deleting the view
 *   -------------------+------------------------+---------------------------------------------------
 *   no                 | no                     | nuke-if-safe: check-recovery; nuke only when proven
 *                      |                        |   safe, else CleanupBlocked and the finalizer stays
 *   no                 | yes                    | force-nuke: check-recovery, then nuke --force
 *   yes                | no                     | orphan: finalizer removed, no gt call, Normal Event
 *   yes                | yes                    | conflict: no gt call, finalizer kept, CleanupBlocked=
 *                      |                        |   ConflictingDeleteAnnotations, Warning Event
 *
 * Neither annotation wins the conflict: "leave it running" and "nuke it even with unsaved work"
 * are opposite wishes, and guessing wrong either loses work or leaks a polecat. Removing either
 * annotation is a watch event, so the deletion proceeds at once. Values other than "orphan" and
 * "true" count as absent.
 */
export type DeletePolicy = 'nuke-if-safe' | 'force-nuke' | 'orphan' | 'conflict';

export function deletePolicy(polecat: Polecat): DeletePolicy {
  const orphan = orphanOnDelete(polecat);
  const force = forceAllowed(polecat);
  if (orphan) return force ? 'conflict' : 'orphan';
  return force ? 'force-nuke' : 'nuke-if-safe';
}

/** Whether deleting under `policy` may run check-recovery and nuke. */
export function nukesOnDelete(policy: DeletePolicy): boolean {
  return policy === 'nuke-if-safe' || policy === 'force-nuke';
}

/**
 * A deletion the annotations settle without gt: orphan releases; a conflict holds while a live
 * gt polecat is followed (with none, there is nothing to guess about and the usual path
 * releases). Undefined: the usual termination path decides.
 */
function decideDeletePolicy(polecat: Polecat, status: PolecatStatus, town: TownData | undefined, now: number): PolecatDecision | undefined {
  const policy = deletePolicy(polecat);
  if (nukesOnDelete(policy)) return undefined;
  // A polecat holding our bead without a recorded name (crash after sling) counts as followed.
  const name = terminationTarget(polecat, town);
  const live = name !== undefined && status.phase !== PolecatPhase.Terminated;
  const target = live ? polecatAddress(polecat.spec.rig, name) : undefined;
  if (policy === 'orphan') {
    const message =
      target === undefined
        ? `deleted with ${Annotation.OnDelete}="${ON_DELETE_ORPHAN}"; it followed no live gt polecat`
        : `deleted with ${Annotation.OnDelete}="${ON_DELETE_ORPHAN}": gt polecat ${target} left running (no check-recovery, no nuke)`;
    return decision(withoutCondition(status, ConditionType.CleanupBlocked), { released: true, events: [{ type: 'Normal', reason: Reason.Orphaned, message }] });
  }
  if (target === undefined) return undefined;
  const message =
    `${Annotation.OnDelete}="${ON_DELETE_ORPHAN}" (leave ${target} running) and ${Annotation.ForceTerminate}="${TRUE_VALUE}" ` +
    '(nuke it even with unsaved work) contradict each other; not deleting until one of them is removed';
  const next = withCondition(status, ConditionType.CleanupBlocked, 'True', Reason.ConflictingDeleteAnnotations, message, now);
  // No requeue: only the user's edit of an annotation (a watch event) can change the answer.
  return decision(next, { events: [{ type: 'Warning', reason: Reason.ConflictingDeleteAnnotations, message }] });
}

/**
 * The polecat a termination acts on: the followed one, else (no name recorded: a crash between
 * sling and status write may have slung it) one of the rig holding the view's bead. With none,
 * the view is released, unless our own sling is newer than the town read.
 */
function terminationSubject(
  obs: PolecatObservation, town: TownData, status: PolecatStatus, now: number, config: PolecatConfig,
): { name: string; status: PolecatStatus } | { decided: PolecatDecision } {
  const name = followedName(obs.polecat);
  if (name !== undefined) return { name, status };
  const found = unrecordedHolder(obs.polecat, town);
  if (found !== undefined) {
    const { holder, bead } = found;
    return { name: holder.name, status: { ...status, gtName: holder.name, rig: holder.rig, beadID: holder.issue ?? bead, dispatchedBeadID: bead } };
  }
  const fence = obs.slingInFlight;
  if (fence !== undefined && town.observedAt <= fence.at) return { decided: decision(status, { requeueAfterMs: config.townWaitMs }) };
  const message = 'no gt polecat was ever slung for this view (none holds its bead); nothing to nuke';
  return { decided: decision(terminated(status, Reason.Nuked, message, now), { released: true }) };
}

/** check-recovery's NotFound proves the polecat gone only when it is certain and the town read agrees. */
function provenGone(error: GtError, town: TownData, rig: string, name: string): boolean {
  return error.kind === 'NotFound' && !error.possiblyTransient && !town.polecats.has(polecatKey(rig, name));
}

function decideTermination(obs: PolecatObservation, town: TownData, initial: PolecatStatus, now: number, config: PolecatConfig): PolecatDecision {
  let status = initial;
  const { polecat } = obs;
  const rig = polecat.spec.rig;
  if (status.phase === PolecatPhase.Terminated) return decision(status, { released: true });
  const target = terminationSubject(obs, town, status, now, config);
  if ('decided' in target) return target.decided;
  const { name } = target;
  status = target.status;
  const recovery = obs.recovery;
  if (recovery === undefined) return decision(status, { requeueAfterMs: config.townWaitMs });
  if (!recovery.ok) {
    // Gone only when gt says so for sure and the town read agrees.
    if (provenGone(recovery.error, town, rig, name)) {
      return decision(terminated(status, Reason.NukedOutsideKubernetes, `gt polecat ${rig}/${name} no longer exists`, now), {
        released: true,
        events: [{ type: 'Normal', reason: Reason.NukedOutsideKubernetes, message: `gt polecat ${rig}/${name} was already gone` }],
      });
    }
    const failure = gtFailure(recovery.error, config.retry);
    return decision(withSyncFailure(status, failure, now), { requeueAfterMs: failure.requeueAfterMs });
  }
  const check = recovery.value;
  const withCleanup: PolecatStatus = check.cleanupStatus.raw === '' ? status : { ...status, cleanupStatus: check.cleanupStatus.raw.slice(0, 64) };
  const notOurs = reassignment(polecat, status, check, town.polecats.get(polecatKey(rig, name)));
  if (notOurs !== undefined) {
    const message =
      `gt polecat ${rig}/${name} ${notOurs}: gt reused it for other work, so it is not this view's to nuke (with or without ` +
      `${Annotation.ForceTerminate}). To let the view go without touching it, annotate ${Annotation.OnDelete}="${ON_DELETE_ORPHAN}".`;
    return blocked(withCleanup, Reason.PolecatReassigned, message, now, config);
  }
  if (forceAllowed(polecat)) {
    return decision(withCleanup, { actions: [{ type: 'nuke', rig, name, force: true }] });
  }
  if (safeToNukeProven(check, beadClosed(obs, check))) {
    return decision(withCleanup, { actions: [{ type: 'nuke', rig, name, force: false }] });
  }
  const git = obs.gitState?.ok === true ? obs.gitState.value : undefined;
  const unproven = mergeQueueUnknown(check);
  const reason = unproven ? Reason.MergeQueueUnknown : recoveryBlockReason(check, git);
  const said =
    `gt polecat check-recovery says ${check.verdict.raw} (cleanup status ${check.cleanupStatus.raw || 'empty'}` +
    `${check.mqStatus === undefined ? '' : `, merge queue ${check.mqStatus}`}${blockersSummary(check.blockers)}${git === undefined ? '' : `; ${gitStateSummary(git)}`})`;
  const why = unproven
    ? `${check.verdict.kind === 'SAFE_TO_NUKE' ? ' but' : ':'} could not confirm that branch ${check.branch ?? '?'} reached the merge queue (the beads database may be down)`
    : '';
  const message = `${said}${why}; not nuking ${rig}/${name}. ${cleanupRemedy(reason, check, Annotation.ForceTerminate)}`;
  return blocked(withCleanup, reason, message, now, config);
}

/**
 * Why the polecat gt would nuke is no longer the one this view dispatched: check-recovery (or
 * the listing) names another bead than the dispatched one, or another branch than the one
 * recorded. Each comparison only when both sides are known; discovered views follow the
 * polecat whatever it holds.
 */
function reassignment(polecat: Polecat, status: PolecatStatus, check: RecoveryCheck, listed: PolecatListItem | undefined): string | undefined {
  if (isDiscovered(polecat)) return undefined;
  const dispatched = dispatchedBead(status, false);
  if (dispatched !== undefined && check.issue !== undefined && check.issue !== dispatched) {
    return `holds bead ${check.issue}, but this view dispatched ${dispatched}`;
  }
  if (check.branch !== undefined && status.branch !== undefined && check.branch !== status.branch) {
    return `is on branch ${check.branch}, but this view recorded ${status.branch}`;
  }
  const other = reassignedTo(status, false, listed);
  return other === undefined ? undefined : `holds bead ${other} in gt polecat list, but this view dispatched ${dispatched ?? '?'}`;
}

/** gt's named blockers (current gt), bounded for a condition message. */
function blockersSummary(blockers: readonly string[]): string {
  if (blockers.length === 0) return '';
  const shown = blockers.slice(0, 3).map((b) => b.slice(0, 120));
  return `; blockers: ${shown.join(', ')}${blockers.length > shown.length ? `, +${blockers.length - shown.length} more` : ''}`;
}

/** Whether the batched bead read shows the polecat's bead closed (its work is done). */
function beadClosed(obs: PolecatObservation, check: RecoveryCheck): boolean {
  const id = check.issue ?? obs.polecat.status?.beadID;
  const town = obs.snapshot?.ok === true ? obs.snapshot : undefined;
  return id !== undefined && town?.beads.get(id)?.status.kind === 'closed';
}

/** Termination held back: CleanupBlocked with the reason, a Warning Event, and a retry later. */
export function blocked(status: PolecatStatus, reason: Reason, message: string, now: number, config: PolecatConfig): PolecatDecision {
  const next = withCondition(status, ConditionType.CleanupBlocked, 'True', reason, message, now);
  return decision(next, { events: [{ type: 'Warning', reason, message }], requeueAfterMs: config.cleanupRetryMs });
}

