// How a Polecat's status is spelled: phase with Ready, the mapping of gt's cleanup verdicts and
// nuke refusals to CleanupBlocked reasons, and of a `gt polecat list` entry to the followed
// fields (conditions and gt failures: ../shared/).
//
// Pure functions over plain values (no I/O, time passed in), shared by decide.ts and the
// outcome folding of reconcile.ts, so every status the controller can write is table-tested.
import { ConditionType, PolecatPhase, Reason, type PolecatStatus } from '../../api/index.ts';
import { CLEANUP_STATUSES, POLECAT_STATES, isRecognized, type CleanupStatusKind, type GtError, type OpenEnum } from '../../gt/index.ts';
import type { Bead, GitState, NukeBlockedPolecat, PolecatListItem, RecoveryCheck } from '../../gt/index.ts';
import { withCondition, withoutCondition } from '../shared/status.ts';

/** Phase and Ready together: Ready is True only while a live gt polecat is followed. */
export function withPhase(status: PolecatStatus, phase: PolecatPhase, reason: Reason, message: string, now: number): PolecatStatus {
  const live = phase === PolecatPhase.Working || phase === PolecatPhase.Idle;
  return withCondition({ ...status, phase }, ConditionType.Ready, live ? 'True' : 'False', reason, message, now);
}

/**
 * The status of a view whose polecat this view no longer watches over: reassigned (Idle) or
 * gone (Terminated, no session). Stuck and the escalation end with it, and so does a held-back
 * cleanup; every place that ends a view goes through here.
 */
export function ended(status: PolecatStatus, phase: typeof PolecatPhase.Idle | typeof PolecatPhase.Terminated, reason: Reason, message: string, now: number): PolecatStatus {
  const { stuckSince: _s, escalation: _e, ...rest } = status;
  const base: PolecatStatus = phase === PolecatPhase.Terminated ? { ...rest, sessionRunning: false } : rest;
  const next = withPhase(base, phase, reason, message, now);
  return withoutCondition(withoutCondition(next, ConditionType.CleanupBlocked), ConditionType.Stuck);
}

/** gt's cleanup status as the view keeps it: the raw value, and whether the operator knows it. */
export function cleanupStatusFields(value: OpenEnum<CleanupStatusKind>): Pick<PolecatStatus, 'cleanupStatus' | 'cleanupStatusKnown'> {
  return { cleanupStatus: value.raw.slice(0, 64), cleanupStatusKnown: isRecognized(value, CLEANUP_STATUSES) };
}

/** The followed fields of a polecat from `gt polecat list`; unknown fields keep their last value. */
export function followedFields(status: PolecatStatus, item: PolecatListItem): PolecatStatus {
  const next: PolecatStatus = {
    ...status,
    gtName: item.name,
    rig: item.rig,
    sessionRunning: item.sessionRunning,
    gtState: { raw: item.state.raw.slice(0, 64), known: isRecognized(item.state, POLECAT_STATES) },
  };
  if (item.issue !== undefined) next.beadID = item.issue;
  if (item.branch !== undefined) next.branch = item.branch;
  if (item.sessionName !== undefined) next.session = item.sessionName;
  if (item.cleanupStatus !== undefined) Object.assign(next, cleanupStatusFields(item.cleanupStatus));
  return next;
}

/**
 * Working or Idle from gt's state and the bead: a closed bead is finished work (Idle) even
 * while gt still lists the polecat busy; gt's own `idle`/`done` is Idle. A listing without an
 * issue proves nothing by itself: with the beads database down, `gt polecat list` still exits 0
 * and shows every polecat `working`/`stalled` with no issue. So a polecat whose known bead (the
 * one it was following, in the batched bead read) is still open stays Working; without an
 * issue and without an open bead, a stuck/stalled/zombie/unknown polecat holds no work (Idle).
 * Stuck and stalled polecats that stay Working get the Stuck condition (stuck.ts).
 */
export function followedPhase(item: PolecatListItem, bead: Bead | undefined): { phase: PolecatPhase; reason: Reason; message: string } {
  if (bead !== undefined && bead.status.kind === 'closed') {
    return { phase: PolecatPhase.Idle, reason: Reason.BeadClosed, message: `bead ${bead.id} is closed` };
  }
  const kind = item.state.kind;
  const holdsWork = item.issue !== undefined || kind === 'working' || kind === 'active' || bead !== undefined;
  if (kind === 'idle' || kind === 'done' || !holdsWork) {
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
  if (mergeQueueUnknown(check)) return false;
  const cleanup = check.cleanupStatus.kind;
  return cleanup !== 'has_uncommitted' && cleanup !== 'has_unpushed' && cleanup !== 'has_stash';
}

/** Verdicts that name their own CleanupBlocked reason (others fall back to the cleanup status). */
const VERDICT_BLOCK_REASONS: Partial<Record<string, Reason>> = {
  NEEDS_MQ_SUBMIT: Reason.NeedsMergeRequestSubmit,
  PENDING_MR: Reason.PendingMergeRequest,
};

/** Cleanup statuses that say what is at risk. */
const CLEANUP_BLOCK_REASONS: Partial<Record<string, Reason>> = {
  has_uncommitted: Reason.UncommittedChanges,
  has_unpushed: Reason.UnpushedCommits,
  has_stash: Reason.StashedChanges,
};

/** The CleanupBlocked reason for a verdict other than SAFE_TO_NUKE (git state when gt gave none). */
export function recoveryBlockReason(check: RecoveryCheck, git?: GitState): Reason {
  if (check.needsMqSubmit === true) return Reason.NeedsMergeRequestSubmit;
  const byGt = VERDICT_BLOCK_REASONS[check.verdict.kind] ?? CLEANUP_BLOCK_REASONS[check.cleanupStatus.kind];
  if (byGt !== undefined) return byGt;
  if (git === undefined) return Reason.CleanupStatusUnknown;
  if (git.unpushedCommits > 0) return Reason.UnpushedCommits;
  if (git.uncommittedFiles.length > 0) return Reason.UncommittedChanges;
  if (git.stashCount > 0) return Reason.StashedChanges;
  return Reason.CleanupStatusUnknown;
}

/**
 * Whether gt's SAFE_TO_NUKE is proven. gt checks the merge queue only for a polecat with a
 * branch. Current gt answers `submitted` (an MR of the branch exists, or the bead is terminal)
 * or `not_required` (nothing ahead of the integration branch, e.g. an idle polecat after
 * `gt done`, or a bead that bypasses the queue): both mean gt verified there is nothing left to
 * submit. gt v1.0.1, when the MR search failed (beads database down), kept SAFE_TO_NUKE with
 * `mq_status: "unknown"`, having also fallen back from the agent bead to a bare git check. So
 * only `submitted`, `not_required`, a closed bead (its work is done), or no merge-queue status
 * at all on a clean polecat (gt did not check the queue) prove that nuking loses nothing;
 * `unknown` and any other value do not. gt v1.2's own flags and named blockers (vetoed) can
 * only take the proof away, never give it.
 */
export function safeToNukeProven(check: RecoveryCheck, beadClosed: boolean): boolean {
  if (check.verdict.kind !== 'SAFE_TO_NUKE' || vetoed(check)) return false;
  const mq = check.mqStatus ?? '';
  if (mq === 'submitted' || mq === 'not_required' || beadClosed) return true;
  return mq === '' && check.cleanupStatus.kind === 'clean';
}

/**
 * Whether anything else check-recovery printed contradicts a SAFE_TO_NUKE verdict: a named
 * blocker, `needs_recovery`, gt v1.2's `needs_mq_submit: true` or `safe_to_nuke: false`. Fields
 * an older gt does not print are absent and veto nothing.
 */
export function vetoed(check: RecoveryCheck): boolean {
  return check.blockers.length > 0 || check.needsRecovery || check.needsMqSubmit === true || check.safeToNuke === false;
}

/**
 * Whether the block is about the merge queue being unverifiable: gt v1.0.1's SAFE_TO_NUKE that
 * is not proven (and nothing else vetoed it), or current gt's NEEDS_RECOVERY with `mq_status:
 * "unknown"` on a polecat whose self-reported cleanup status is clean (its MR search failed, it
 * fails closed).
 */
export function mergeQueueUnknown(check: RecoveryCheck): boolean {
  if (check.verdict.kind === 'SAFE_TO_NUKE') return !vetoed(check) || (check.mqStatus === 'unknown' && check.needsMqSubmit !== true);
  return check.verdict.kind === 'NEEDS_RECOVERY' && check.mqStatus === 'unknown' && check.cleanupStatus.kind === 'clean';
}

/** What the user can do about a blocked termination, for the CleanupBlocked message. */
export function cleanupRemedy(reason: Reason, check: RecoveryCheck, forceAnnotation: string): string {
  const force = `set annotation ${forceAnnotation}="true" to nuke with --force (loses what is not merged)`;
  const submit = `submit its branch with \`gt mq submit --branch ${check.branch ?? '<branch>'}\` (in the rig)`;
  switch (reason) {
    case Reason.MergeQueueUnknown:
      return `Retrying later; or ${submit}, or ${force}.`;
    case Reason.NeedsMergeRequestSubmit:
      return `Its work is pushed but was never submitted to the merge queue: ${submit}, or ${force}.`;
    case Reason.PendingMergeRequest:
      return `Wait for the refinery to merge its merge request, or ${force}.`;
    default:
      return `Save the work, or ${force}.`;
  }
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

/** The sling refusal reasons of docs/gt-contract.md, by the first line gt printed. */
export function slingRefusalReason(error: GtError): Reason {
  const text = `${error.stderr} ${error.message}`;
  if (/is closed/i.test(text)) return Reason.BeadClosed;
  if (/not found/i.test(text)) return Reason.BeadNotFound;
  if (/parked|docked/i.test(text)) return Reason.RigNotOperational;
  return Reason.SlingRefused;
}
