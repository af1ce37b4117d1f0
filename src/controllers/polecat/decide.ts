// The Polecat decision: a pure function of (the Polecat, the town snapshot, the targeted gt
// reads reconcile made for it, the sling this process has in flight, now, config) to
// (actions, the status to write, events, when to look again). classifyPolecat (situation.ts)
// names where the view stands; one small handler per situation decides, all reading one
// context. Outcomes of the actions are folded back by outcome.ts, also pure.
import { Annotation, ConditionType, DesiredState, ON_DELETE_ORPHAN, PolecatPhase, Reason, TRUE_VALUE, type PolecatStatus } from '../../api/index.ts';
import type { GtError } from '../../gt/index.ts';
import type { GitState, PolecatListItem, PolecatStatus as GtPolecatStatus, RecoveryCheck } from '../../gt/index.ts';
import { DEFAULT_RETRY_DELAYS, gtFailure, type RetryDelays } from '../shared/gt-failure.ts';
import type { Probe } from '../shared/probe.ts';
import type { GtViewDecision } from '../shared/reconcile.ts';
import type { ViewEvent } from '../shared/sinks.ts';
import { baseStatus, withCondition, withoutCondition, withSynced, withSyncFailure } from '../shared/status.ts';
import { polecatAddress, polecatKey, type TownData } from '../town-sync/snapshot.ts';
import { dispatchedBead, isDiscovered } from './identity.ts';
import {
  classifyPolecat, followedItem, forceAllowed, probesNeeded, reassignedTo, type PolecatRef, type PolecatView, type Situation, type SituationKind,
} from './situation.ts';
import { cleanupRemedy, cleanupStatusFields, ended, followedFields, followedPhase, gitStateSummary, mergeQueueUnknown, recoveryBlockReason, safeToNukeProven, withPhase } from './status.ts';
import type { BranchRead } from '../../execution/pushed-branches.ts';
import { withSession } from './session-status.ts';
import { DEFAULT_ESCALATION, escalate, stuckVerdict, type EscalationConfig, type EscalationInput, type EscalationMail, type PendingMailOutcome } from './stuck.ts';

export { deletePolicy, type DeletePolicy } from './situation.ts';

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

/** What decide reads: the view (see classifyPolecat) and the targeted gt reads its situation asked for. */
export interface PolecatObservation extends PolecatView {
  /** `gt polecat check-recovery`, gathered in the terminating situation. */
  readonly recovery?: Probe<RecoveryCheck>;
  /** `gt polecat git-state`, gathered when check-recovery says "not safe" without a reason (needsGitState). */
  readonly gitState?: Probe<GitState>;
  /** `gt polecat status`, gathered when a followed working polecat may have been silent too long. */
  readonly activity?: Probe<GtPolecatStatus>;
  /** What became of `status.escalation.pendingMail` (the outbox, or the event log after a restart). */
  readonly pendingMail?: PendingMailOutcome;
  /** The outbox already sent a mail of the polecat's rig on this town read (EscalationInput.readMailed). */
  readonly readMailed?: boolean;
  /** Pod execution: the polecat's `polecat/<name>-*` branches in the rig's bare repository. */
  readonly pushed?: BranchRead;
}

export type PolecatAction =
  | { readonly type: 'sling'; readonly bead: string; readonly rig: string }
  | { readonly type: 'nuke'; readonly rig: string; readonly name: string; readonly force: boolean }
  | EscalationMail;

export type PolecatEvent = ViewEvent;

export interface PolecatDecision extends GtViewDecision<PolecatStatus, PolecatAction> {
  /** Deletion only: the gt polecat is gone, the finalizer may be removed. */
  readonly released: boolean;
}

/** Which targeted gt reads decide needs, as booleans (probesNeeded names the polecat too). */
export interface Probes {
  readonly recovery: boolean;
  readonly activity: boolean;
}

export function probesFor(view: PolecatView['polecat'], deleting: boolean, snapshot: PolecatView['snapshot'], now: number, config: PolecatConfig): Probes {
  const needed = probesNeeded(classifyPolecat({ polecat: view, deleting, snapshot }), view.status?.lastActivity, now, config.escalation.stuckAfterMs);
  return { recovery: needed.recovery !== undefined, activity: needed.activity !== undefined };
}

// ---- The decision ----

/** What every handler reads: the observation, the status so far (Synced stamped), now, config. */
interface Ctx {
  readonly obs: PolecatObservation;
  readonly status: PolecatStatus;
  readonly now: number;
  readonly config: PolecatConfig;
}

function decision(status: PolecatStatus, rest: Partial<Omit<PolecatDecision, 'status'>> = {}): PolecatDecision {
  return { status, actions: [], events: [], released: false, ...rest };
}

type Handler<K extends SituationKind> = (ctx: Ctx, situation: Extract<Situation, { kind: K }>) => PolecatDecision;

const HANDLERS: { readonly [K in SituationKind]: Handler<K> } = {
  'release-orphan': releaseOrphan,
  'delete-conflict': deleteConflict,
  'awaiting-town': (ctx) => decision(ctx.status, { requeueAfterMs: ctx.config.townWaitMs }),
  'town-failed': (ctx, s) => {
    const failure = gtFailure(s.error, ctx.config.retry);
    return decision(withSyncFailure(ctx.status, failure, ctx.now), { requeueAfterMs: failure.requeueAfterMs });
  },
  ended: (ctx) => decision(ctx.status, { released: true }),
  terminating,
  'nothing-to-nuke': (ctx) => {
    const message = 'no gt polecat was ever slung for this view (none holds its bead); nothing to nuke';
    return decision(ended(ctx.status, PolecatPhase.Terminated, Reason.Nuked, message, ctx.now), { released: true });
  },
  'sling-unseen': (ctx) => decision(ctx.status, { requeueAfterMs: ctx.config.townWaitMs }),
  'sling-scheduled': (ctx, s) => {
    const rig = ctx.obs.polecat.spec.rig;
    const message = `gt scheduled ${s.bead} for rig ${rig}; the polecat appears when the scheduler dispatches it`;
    const scheduled = withPhase({ ...ctx.status, beadID: s.bead, dispatchedBeadID: s.bead }, PolecatPhase.Pending, Reason.SlingScheduled, message, ctx.now);
    return decision(scheduled, { requeueAfterMs: ctx.config.townWaitMs });
  },
  adopting,
  dispatching,
  retired,
  gone: (ctx, s) => {
    // The read that could show it finished failed: not proof of a loss, look again.
    if (s.mergeRequests !== undefined) {
      const failure = gtFailure(s.mergeRequests, ctx.config.retry);
      return decision(withSyncFailure(ctx.status, failure, ctx.now), { requeueAfterMs: failure.requeueAfterMs });
    }
    const message = `gt polecat ${s.target.rig}/${s.target.name} no longer exists; it was removed outside Kubernetes`;
    const next = ended(ctx.status, PolecatPhase.Terminated, Reason.NukedOutsideKubernetes, message, ctx.now);
    return decision(next, { events: [{ type: 'Warning', reason: Reason.NukedOutsideKubernetes, message }] });
  },
  reassigned,
  'session-failed': sessionFailed,
  following,
  'awaiting-scheduled': (ctx) => decision(ctx.status, { requeueAfterMs: ctx.config.scheduledPollMs }),
  finished: (ctx) => decision(ctx.status),
  pending: (ctx) => {
    const message =
      ctx.obs.polecat.spec.desiredState === DesiredState.Working ? 'desiredState Working needs spec.beadID' : 'no gt polecat yet: set desiredState Working and beadID to sling one';
    return decision(withPhase(ctx.status, PolecatPhase.Pending, Reason.WaitingForSling, message, ctx.now));
  },
};

function handle<K extends SituationKind>(ctx: Ctx, situation: Extract<Situation, { kind: K }>): PolecatDecision {
  return (HANDLERS[situation.kind] as Handler<K>)(ctx, situation);
}

export function decidePolecat(obs: PolecatObservation, now: number, config: PolecatConfig = DEFAULT_POLECAT_CONFIG): PolecatDecision {
  const situation = classifyPolecat(obs);
  const base = baseStatus(obs.polecat.status, obs.polecat.metadata.generation);
  // Synced reflects the town read: stamped whenever one succeeded.
  const status = 'town' in situation ? withSynced(base, now) : base;
  return handle({ obs, status, now, config }, situation);
}

// ---- Deletion settled by the annotations ----

function releaseOrphan(ctx: Ctx, s: Extract<Situation, { kind: 'release-orphan' }>): PolecatDecision {
  const target = s.target === undefined ? undefined : polecatAddress(s.target.rig, s.target.name);
  const message =
    target === undefined
      ? `deleted with ${Annotation.OnDelete}="${ON_DELETE_ORPHAN}"; it followed no live gt polecat`
      : `deleted with ${Annotation.OnDelete}="${ON_DELETE_ORPHAN}": gt polecat ${target} left running (no check-recovery, no nuke)`;
  return decision(withoutCondition(ctx.status, ConditionType.CleanupBlocked), { released: true, events: [{ type: 'Normal', reason: Reason.Orphaned, message }] });
}

function deleteConflict(ctx: Ctx, s: Extract<Situation, { kind: 'delete-conflict' }>): PolecatDecision {
  const target = polecatAddress(s.target.rig, s.target.name);
  const message =
    `${Annotation.OnDelete}="${ON_DELETE_ORPHAN}" (leave ${target} running) and ${Annotation.ForceTerminate}="${TRUE_VALUE}" ` +
    '(nuke it even with unsaved work) contradict each other; not deleting until one of them is removed';
  const next = withCondition(ctx.status, ConditionType.CleanupBlocked, 'True', Reason.ConflictingDeleteAnnotations, message, ctx.now);
  // No requeue: only the user's edit of an annotation (a watch event) can change the answer.
  return decision(next, { events: [{ type: 'Warning', reason: Reason.ConflictingDeleteAnnotations, message }] });
}

// ---- Dispatch ----

function dispatching(ctx: Ctx, s: Extract<Situation, { kind: 'dispatching' }>): PolecatDecision {
  const { status, now, config } = ctx;
  const { town, bead } = s;
  const rig = ctx.obs.polecat.spec.rig;
  const pending = (reason: Reason, message: string, requeueAfterMs?: number): PolecatDecision =>
    decision(withPhase(status, PolecatPhase.Pending, reason, message, now), requeueAfterMs === undefined ? {} : { requeueAfterMs });
  if (town.beads.get(bead)?.status.kind === 'closed') return pending(Reason.BeadClosed, `bead ${bead} is closed; nothing to sling`);
  if (town.missingBeads.has(bead)) return pending(Reason.BeadNotFound, `bd does not know bead ${bead}`, config.retry.notFoundMs);
  const rigInfo = town.rigs.get(rig);
  if (rigInfo === undefined) return pending(Reason.RigNotInTown, `gt has no rig ${rig}`, config.retry.notFoundMs);
  if (rigInfo.status.kind !== 'operational') return pending(Reason.RigNotOperational, `rig ${rig} is ${rigInfo.status.raw}`, config.retry.cliErrorMs);
  return { ...pending(Reason.WaitingForSling, `slinging ${bead} to ${rig}`), actions: [{ type: 'sling', bead, rig }] };
}

/** A polecat of the rig holds the bead we want or dispatched: follow it, recording the dispatch. */
function adopting(ctx: Ctx, s: Extract<Situation, { kind: 'adopting' }>): PolecatDecision {
  const { holder, bead: wanted } = s;
  const bead = holder.issue ?? wanted;
  const adopted: PolecatStatus = { ...ctx.status, beadID: bead, dispatchedBeadID: wanted };
  const followed = handle({ ...ctx, status: adopted }, followedItem(s.town, holder, wanted));
  const message = `bead ${bead} is on ${polecatAddress(holder.rig, holder.name)}; following it`;
  const withReady = withCondition(followed.status, ConditionType.Ready, 'True', Reason.Adopted, message, ctx.now);
  return { ...followed, status: withReady, events: [{ type: 'Normal', reason: Reason.Adopted, message }, ...followed.events] };
}

// ---- Following ----

function following(ctx: Ctx, s: Extract<Situation, { kind: 'following' }>): PolecatDecision {
  const { obs, status, now, config } = ctx;
  const { item, town } = s;
  // Without an issue the listing cannot tell whose branch it shows: keep the recorded one.
  const { branch: _branch, ...withoutBranch } = item;
  const listed = dispatchedBead(status, isDiscovered(obs.polecat)) !== undefined && item.issue === undefined ? withoutBranch : item;
  let next = followedFields(status, listed);
  if (obs.activity?.ok === true && obs.activity.value.lastActivity !== undefined) next = { ...next, lastActivity: obs.activity.value.lastActivity };
  const beadId = next.beadID;
  const phase = followedPhase(item, beadId === undefined ? undefined : town.beads.get(beadId));
  const phaseEvents: PolecatEvent[] =
    status.phase !== phase.phase && phase.phase === PolecatPhase.Idle ? [{ type: 'Normal', reason: phase.reason, message: phase.message }] : [];
  next = withPhase(next, phase.phase, phase.reason, phase.message, now);
  next = withoutCondition(next, ConditionType.CleanupBlocked);
  if (obs.session !== undefined) next = withSession(next, obs.session, item, now);
  const capacityEvents = startedWaitingForCapacity(status, next);
  const verdict = stuckVerdict(item, next.lastActivity, now, config.escalation.stuckAfterMs);
  const where = { rig: obs.polecat.spec.rig, gtName: item.name, round: town.observedAt, now };
  const step = escalate({ status: next, verdict, ...where, ...mailState(obs) }, config.escalation);
  const requeue = [step.requeueAfterMs, activityRecheck(item, next.lastActivity, now, config)].filter((v): v is number => v !== undefined);
  return decision(step.status, {
    actions: step.mail ? [step.mail] : [],
    events: [...phaseEvents, ...capacityEvents, ...step.events],
    ...(requeue.length > 0 ? { requeueAfterMs: Math.max(1, Math.min(...requeue)) } : {}),
  });
}

/** The escalation's view of the outbox: the pending mail's outcome, and whether this read was mailed. */
function mailState(obs: PolecatObservation): Pick<EscalationInput, 'pending' | 'readMailed'> {
  return { ...(obs.pendingMail === undefined ? {} : { pending: obs.pendingMail }), ...(obs.readMailed === true ? { readMailed: true } : {}) };
}

/** A Normal Event when the session pod starts waiting at the capacity gate (once per wait). */
function startedWaitingForCapacity(before: PolecatStatus, after: PolecatStatus): PolecatEvent[] {
  const reason = (s: PolecatStatus): string | undefined => s.conditions?.find((c) => c.type === ConditionType.PodScheduled)?.reason;
  const now = after.conditions?.find((c) => c.type === ConditionType.PodScheduled);
  if (now?.reason !== Reason.WaitingForCapacity || reason(before) === Reason.WaitingForCapacity) return [];
  return [{ type: 'Normal', reason: Reason.WaitingForCapacity, message: now.message }];
}

/**
 * The session pod of a polecat gt counts on failed or vanished (Pod execution): phase Failed
 * with the pod's reason (never Working), and the failure feeds the Stuck escalation as gt's
 * own stuck states do.
 */
function sessionFailed(ctx: Ctx, s: Extract<Situation, { kind: 'session-failed' }>): PolecatDecision {
  const { obs, status, now, config } = ctx;
  const { item, failure } = s;
  const session = obs.session;
  let next = followedFields(status, item);
  if (session !== undefined) next = withSession(next, session, item, now);
  next = withoutCondition(withPhase(next, PolecatPhase.Failed, failure.reason, failure.message, now), ConditionType.CleanupBlocked);
  const verdict = { status: 'True' as const, reason: failure.reason, message: failure.message, mail: true };
  const where = { rig: obs.polecat.spec.rig, gtName: item.name, round: s.town.observedAt, now };
  const step = escalate({ status: next, verdict, ...where, ...mailState(obs) }, config.escalation);
  const phaseEvents: PolecatEvent[] = status.phase === PolecatPhase.Failed ? [] : [{ type: 'Warning', reason: failure.reason, message: failure.message }];
  return decision(step.status, {
    actions: step.mail ? [step.mail] : [],
    events: [...phaseEvents, ...step.events.filter((e) => e.reason !== failure.reason)],
    ...(step.requeueAfterMs === undefined ? {} : { requeueAfterMs: Math.max(1, step.requeueAfterMs) }),
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
function reassigned(ctx: Ctx, s: Extract<Situation, { kind: 'reassigned' }>): PolecatDecision {
  const { status, now } = ctx;
  const dispatched = dispatchedBead(status, isDiscovered(ctx.obs.polecat)) ?? '?';
  const target = polecatAddress(s.item.rig, s.item.name);
  const message = `gt reused ${target} for bead ${s.other}; this view dispatched ${dispatched}, which the polecat no longer holds (not slung again, never nuked by this view)`;
  const already = status.phase === PolecatPhase.Idle && status.conditions?.some((c) => c.type === ConditionType.Ready && c.reason === Reason.PolecatReassigned) === true;
  const next = ended(status, PolecatPhase.Idle, Reason.PolecatReassigned, message, now);
  return decision(next, { events: already ? [] : [{ type: 'Normal', reason: Reason.PolecatReassigned, message }] });
}

/**
 * The followed polecat finished its bead and gt retired it (gt v1.2's clean `gt done`): the
 * view goes Idle for good with reason Completed, keeping the bead, its final bd status and the
 * branch. It follows nothing any more (isRetired), so it neither re-slings nor nukes.
 */
function retired(ctx: Ctx, s: Extract<Situation, { kind: 'retired' }>): PolecatDecision {
  const target = polecatAddress(s.target.rig, s.target.name);
  const via = s.mergeRequest === undefined ? `bead ${s.bead} is ${s.beadStatus}` : `bead ${s.bead} is ${s.beadStatus}, submitted as merge request ${s.mergeRequest}`;
  const message = `gt polecat ${target} finished its work and gt retired it (${via})`;
  const next = ended({ ...ctx.status, beadID: s.bead, beadStatus: s.beadStatus.slice(0, 64), sessionRunning: false }, PolecatPhase.Idle, Reason.Completed, message, ctx.now);
  return decision(next, { events: [{ type: 'Normal', reason: Reason.Completed, message }] });
}

// ---- Termination ----

/** check-recovery's NotFound proves the polecat gone only when it is certain and the town read agrees. */
function provenGone(error: GtError, town: TownData, target: PolecatRef): boolean {
  return error.kind === 'NotFound' && !error.possiblyTransient && !town.polecats.has(polecatKey(target.rig, target.name));
}

function terminating(ctx: Ctx, s: Extract<Situation, { kind: 'terminating' }>): PolecatDecision {
  const { obs, now, config } = ctx;
  const { town, target, adopted } = s;
  const { rig, name } = target;
  const status: PolecatStatus =
    adopted === undefined
      ? ctx.status
      : { ...ctx.status, gtName: adopted.item.name, rig: adopted.item.rig, beadID: adopted.item.issue ?? adopted.bead, dispatchedBeadID: adopted.bead };
  const recovery = obs.recovery;
  // The situation asks for check-recovery (probesNeeded); without it, look again.
  if (recovery === undefined) return decision(status, { requeueAfterMs: config.townWaitMs });
  if (!recovery.ok) {
    // Gone only when gt says so for sure and the town read agrees.
    if (provenGone(recovery.error, town, target)) {
      return decision(ended(status, PolecatPhase.Terminated, Reason.NukedOutsideKubernetes, `gt polecat ${rig}/${name} no longer exists`, now), {
        released: true,
        events: [{ type: 'Normal', reason: Reason.NukedOutsideKubernetes, message: `gt polecat ${rig}/${name} was already gone` }],
      });
    }
    const failure = gtFailure(recovery.error, config.retry);
    return decision(withSyncFailure(status, failure, now), { requeueAfterMs: failure.requeueAfterMs });
  }
  const check = recovery.value;
  const withCleanup: PolecatStatus = check.cleanupStatus.raw === '' ? status : { ...status, ...cleanupStatusFields(check.cleanupStatus) };
  const notOurs = reassignment(ctx, status, check, town.polecats.get(polecatKey(rig, name)));
  if (notOurs !== undefined) {
    const message =
      `gt polecat ${rig}/${name} ${notOurs}: gt reused it for other work, so it is not this view's to nuke (with or without ` +
      `${Annotation.ForceTerminate}). To let the view go without touching it, annotate ${Annotation.OnDelete}="${ON_DELETE_ORPHAN}".`;
    return blocked(withCleanup, Reason.PolecatReassigned, message, now, config);
  }
  if (forceAllowed(obs.polecat)) return decision(withCleanup, { actions: [{ type: 'nuke', rig, name, force: true }] });
  const podWork = podWorkUnsaved(obs, target, check, beadClosed(ctx, town, check));
  if (podWork !== undefined) return blocked(withCleanup, podWork.reason, podWork.message, now, config);
  if (safeToNukeProven(check, beadClosed(ctx, town, check))) return decision(withCleanup, { actions: [{ type: 'nuke', rig, name, force: false }] });
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
 * Pod execution: gt's own verdict looks at the town host's worktree, which never sees the commits
 * made in the pod (execution/pushed-branches.ts). The work is saved when a `polecat/<name>-*`
 * branch reached the rig's bare repository through the proxy, or gt already verified it reached
 * the merge queue (the refinery may have merged and deleted the branch) or the bead is closed.
 */
function podWorkUnsaved(obs: PolecatObservation, target: PolecatRef, check: RecoveryCheck, closed: boolean): { reason: Reason; message: string } | undefined {
  const pushed = obs.pushed;
  if (obs.session === undefined || pushed === undefined) return undefined;
  const mq = check.mqStatus ?? '';
  if (closed || mq === 'submitted' || mq === 'not_required') return undefined;
  if (!pushed.ok) {
    return { reason: Reason.CleanupStatusUnknown, message: `Pod execution: cannot read the pushed branches of ${target.rig}/${target.name} (${pushed.error.message}); not nuking` };
  }
  if (pushed.branches.length > 0) return undefined;
  return {
    reason: Reason.UnpushedCommits,
    message: `Pod execution: no branch polecat/${target.name}-* in ${pushed.repo}, so the work done in the session pod was never pushed through the proxy ` +
      `(gt's check-recovery looks at the town host's worktree, which never sees the pod's commits); not nuking ${target.rig}/${target.name}. ` +
      `Push the branch, or set annotation ${Annotation.ForceTerminate}="true" to nuke with --force (loses the pod's work).`,
  };
}

/**
 * Why the polecat gt would nuke is no longer the one this view dispatched: check-recovery (or
 * the listing) names another bead than the dispatched one, or another branch than the one
 * recorded. Each comparison only when both sides are known; discovered views follow the
 * polecat whatever it holds.
 */
function reassignment(ctx: Ctx, status: PolecatStatus, check: RecoveryCheck, listed: PolecatListItem | undefined): string | undefined {
  if (isDiscovered(ctx.obs.polecat)) return undefined;
  const dispatched = dispatchedBead(status, false);
  if (dispatched !== undefined && check.issue !== undefined && check.issue !== dispatched) {
    return `holds bead ${check.issue}, but this view dispatched ${dispatched}`;
  }
  if (check.branch !== undefined && status.branch !== undefined && check.branch !== status.branch) {
    return `is on branch ${check.branch}, but this view recorded ${status.branch}`;
  }
  const other = reassignedTo(dispatched, listed);
  return other === undefined ? undefined : `holds bead ${other} in gt polecat list, but this view dispatched ${dispatched ?? '?'}`;
}

/** gt's named blockers (current gt), bounded for a condition message. */
function blockersSummary(blockers: readonly string[]): string {
  if (blockers.length === 0) return '';
  const shown = blockers.slice(0, 3).map((b) => b.slice(0, 120));
  return `; blockers: ${shown.join(', ')}${blockers.length > shown.length ? `, +${blockers.length - shown.length} more` : ''}`;
}

/** Whether the batched bead read shows the polecat's bead closed (its work is done). */
function beadClosed(ctx: Ctx, town: TownData, check: RecoveryCheck): boolean {
  const id = check.issue ?? ctx.obs.polecat.status?.beadID;
  return id !== undefined && town.beads.get(id)?.status.kind === 'closed';
}

/** Termination held back: CleanupBlocked with the reason, a Warning Event, and a retry later. */
export function blocked(status: PolecatStatus, reason: Reason, message: string, now: number, config: PolecatConfig): PolecatDecision {
  const next = withCondition(status, ConditionType.CleanupBlocked, 'True', reason, message, now);
  return decision(next, { events: [{ type: 'Warning', reason, message }], requeueAfterMs: config.cleanupRetryMs });
}
