// How a Polecat's status is spelled: conditions with observedGeneration, the mapping of gt
// errors to reasons and requeue delays, of gt's cleanup verdicts and nuke refusals to
// CleanupBlocked reasons, and of a `gt polecat list` entry to the followed fields.
//
// Pure functions over plain values (no I/O, time passed in), shared by decide.ts and the
// outcome folding of reconcile.ts, so every status the controller can write is table-tested.
import { ConditionType, PolecatPhase, Reason, type Condition, type PolecatStatus } from '../../api/index.ts';
import type { GtError } from '../../gt/errors.ts';
import type { Bead, GitState, NukeBlockedPolecat, PolecatListItem, RecoveryCheck } from '../../gt/types.ts';
import { setCondition, type ConditionStatus } from '../../runtime/conditions.ts';

/** Requeue delays per gt error kind (ms); `undefined` means permanent: no retry. */
export interface RetryDelays {
  readonly transientMs: number;
  readonly unavailableMs: number;
  readonly cliErrorMs: number;
  readonly parseErrorMs: number;
  readonly notFoundMs: number;
}

export const DEFAULT_RETRY_DELAYS: RetryDelays = {
  transientMs: 5_000,
  unavailableMs: 30_000,
  cliErrorMs: 60_000,
  parseErrorMs: 60_000,
  notFoundMs: 60_000,
};

/** What a gt error means for a view: the condition reason and when to look again. */
export interface GtFailure {
  readonly reason: Reason;
  readonly message: string;
  readonly requeueAfterMs: number | undefined;
}

/**
 * The one mapping of GtError kinds: Transient and Unavailable are gt being unreachable
 * (GTUnavailable, short and medium retry), CLIError and NotFound are gt refusing (GTError),
 * ParseError is output the operator cannot read (GTOutputInvalid); InvalidArgument is
 * permanent (the same input cannot succeed), so it is not retried.
 */
export function gtFailure(error: GtError, delays: RetryDelays): GtFailure {
  const message = error.message.slice(0, 1024);
  switch (error.kind) {
    case 'Transient':
      return { reason: Reason.GTUnavailable, message, requeueAfterMs: delays.transientMs };
    case 'Unavailable':
      return { reason: Reason.GTUnavailable, message, requeueAfterMs: delays.unavailableMs };
    case 'CLIError':
      return { reason: Reason.GTError, message, requeueAfterMs: delays.cliErrorMs };
    case 'NotFound':
      return { reason: Reason.GTError, message, requeueAfterMs: delays.notFoundMs };
    case 'ParseError':
      return { reason: Reason.GTOutputInvalid, message, requeueAfterMs: delays.parseErrorMs };
    case 'InvalidArgument':
      return { reason: Reason.GTError, message, requeueAfterMs: undefined };
  }
}

/** Sets one condition, stamped with the generation the status is computed for. */
export function withCondition(
  status: PolecatStatus,
  type: string,
  condStatus: ConditionStatus,
  reason: Reason,
  message: string,
  now: number,
): PolecatStatus {
  const input = { type, status: condStatus, reason, message, observedGeneration: status.observedGeneration ?? 0 };
  const conditions: Condition[] = setCondition(status.conditions, input, now);
  return { ...status, conditions };
}

export function conditionOf(status: PolecatStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function withoutCondition(status: PolecatStatus, type: string): PolecatStatus {
  const conditions = (status.conditions ?? []).filter((c) => c.type !== type);
  return { ...status, conditions };
}

/** Phase and Ready together: Ready is True only while a live gt polecat is followed. */
export function withPhase(status: PolecatStatus, phase: PolecatPhase, reason: Reason, message: string, now: number): PolecatStatus {
  const live = phase === PolecatPhase.Working || phase === PolecatPhase.Idle;
  return withCondition({ ...status, phase }, ConditionType.Ready, live ? 'True' : 'False', reason, message, now);
}

export function withSynced(status: PolecatStatus, now: number): PolecatStatus {
  return withCondition(status, ConditionType.Synced, 'True', Reason.Synced, 'gt read succeeded', now);
}

export function withSyncFailure(status: PolecatStatus, failure: GtFailure, now: number): PolecatStatus {
  return withCondition(status, ConditionType.Synced, 'False', failure.reason, failure.message, now);
}

/** The followed fields of a polecat from `gt polecat list`; unknown fields keep their last value. */
export function followedFields(status: PolecatStatus, item: PolecatListItem): PolecatStatus {
  const next: PolecatStatus = {
    ...status,
    gtName: item.name,
    rig: item.rig,
    sessionRunning: item.sessionRunning,
    gtState: { raw: item.state.raw.slice(0, 64) },
  };
  if (item.issue !== undefined) next.beadID = item.issue;
  if (item.branch !== undefined) next.branch = item.branch;
  if (item.sessionName !== undefined) next.session = item.sessionName;
  if (item.cleanupStatus !== undefined) next.cleanupStatus = item.cleanupStatus.raw.slice(0, 64);
  return next;
}

/**
 * Working or Idle from gt's state and the bead: a closed bead is finished work (Idle) even
 * while gt still lists the polecat busy; stuck/stalled/zombie/unknown polecats hold work,
 * so they stay Working and the Stuck condition tells the rest.
 */
export function followedPhase(item: PolecatListItem, bead: Bead | undefined): { phase: PolecatPhase; reason: Reason; message: string } {
  if (bead !== undefined && bead.status.kind === 'closed') {
    return { phase: PolecatPhase.Idle, reason: Reason.BeadClosed, message: `bead ${bead.id} is closed` };
  }
  const kind = item.state.kind;
  if (kind === 'idle' || kind === 'done' || (item.issue === undefined && kind !== 'working' && kind !== 'active')) {
    return { phase: PolecatPhase.Idle, reason: Reason.Idle, message: `gt reports ${item.rig}/${item.name} ${item.state.raw}` };
  }
  return { phase: PolecatPhase.Working, reason: Reason.Working, message: `gt reports ${item.rig}/${item.name} ${item.state.raw}` };
}

/**
 * Whether check-recovery's answer leaves the reason open: gt reports an empty or unknown
 * cleanup status until the polecat itself reports one (`gt done`), so the verdict says "not
 * safe" without saying why. `gt polecat git-state` then tells which kind of work is unsaved.
 */
export function needsGitState(check: RecoveryCheck): boolean {
  const verdict = check.verdict.kind;
  if (verdict === 'SAFE_TO_NUKE' || verdict === 'NEEDS_MQ_SUBMIT' || verdict === 'PENDING_MR') return false;
  const cleanup = check.cleanupStatus.kind;
  return cleanup !== 'has_uncommitted' && cleanup !== 'has_unpushed' && cleanup !== 'has_stash';
}

/** The CleanupBlocked reason for a verdict other than SAFE_TO_NUKE (git state when gt gave none). */
export function recoveryBlockReason(check: RecoveryCheck, git?: GitState): Reason {
  switch (check.verdict.kind) {
    case 'NEEDS_MQ_SUBMIT':
      return Reason.NeedsMergeRequestSubmit;
    case 'PENDING_MR':
      return Reason.PendingMergeRequest;
    default:
      break;
  }
  switch (check.cleanupStatus.kind) {
    case 'has_uncommitted':
      return Reason.UncommittedChanges;
    case 'has_unpushed':
      return Reason.UnpushedCommits;
    case 'has_stash':
      return Reason.StashedChanges;
    default:
      break;
  }
  if (git === undefined) return Reason.CleanupStatusUnknown;
  if (git.unpushedCommits > 0) return Reason.UnpushedCommits;
  if (git.uncommittedFiles.length > 0) return Reason.UncommittedChanges;
  if (git.stashCount > 0) return Reason.StashedChanges;
  return Reason.CleanupStatusUnknown;
}

/** What git-state found, for the condition message. */
export function gitStateSummary(git: GitState): string {
  if (git.clean) return 'git worktree clean';
  const parts = [
    git.uncommittedFiles.length > 0 ? `${git.uncommittedFiles.length} uncommitted file(s)` : '',
    git.unpushedCommits > 0 ? `${git.unpushedCommits} unpushed commit(s)` : '',
    git.stashCount > 0 ? `${git.stashCount} stash(es)` : '',
  ];
  return parts.filter((p) => p !== '').join(', ') || 'git worktree not clean';
}

const NUKE_REFUSALS: readonly (readonly [RegExp, Reason])[] = [
  [/uncommitted/i, Reason.UncommittedChanges],
  [/unpushed/i, Reason.UnpushedCommits],
  [/stash/i, Reason.StashedChanges],
  [/open MR|merge request/i, Reason.PendingMergeRequest],
  [/work on hook/i, Reason.WorkOnHook],
];

/** The CleanupBlocked reason for gt's own nuke refusal (first reason gt printed wins). */
export function nukeRefusalReason(blocked: readonly NukeBlockedPolecat[]): { reason: Reason; message: string } {
  const reasons = blocked.flatMap((b) => b.reasons);
  const message = reasons.length > 0 ? `gt polecat nuke refused: ${reasons.join('; ')}` : 'gt polecat nuke refused';
  for (const text of reasons) {
    const hit = NUKE_REFUSALS.find(([pattern]) => pattern.test(text));
    if (hit) return { reason: hit[1], message };
  }
  return { reason: Reason.CleanupStatusUnknown, message };
}

/** The sling refusal reasons of gt-contract.md, by the first line gt printed. */
export function slingRefusalReason(error: GtError): Reason {
  const text = `${error.stderr} ${error.message}`;
  if (/is closed/i.test(text)) return Reason.BeadClosed;
  if (/not found/i.test(text)) return Reason.BeadNotFound;
  if (/parked|docked/i.test(text)) return Reason.RigNotOperational;
  return Reason.SlingRefused;
}
