// Parsers for the polecat reads: `gt polecat list|status|git-state|check-recovery --json`.
//
// Guarantees: field names exactly as gastown internal/cmd/polecat.go prints them (v1.0 and the
// optional v1.2 workstate fields); states, cleanup statuses and verdicts are open enums (an
// unknown verdict is *not* SAFE_TO_NUKE: callers must treat `unknown` as unsafe); gt's
// zone-less times become ISO with offset.
import { z } from 'zod';
import {
  CLEANUP_STATUSES, POLECAT_STATES, RECOVERY_VERDICTS,
  type GitState, type PolecatListItem, type PolecatStatus, type RecoveryCheck,
} from '../types.ts';
import { count, flag, list, openEnum, toOpenEnum, optFlag, optNumber, optString, str } from './fields.ts';
import { parseJsonOutput } from './json.ts';
import { gtTime } from './time.ts';

const polecatListItem = z
  .object({
    rig: z.string(),
    name: z.string(),
    state: openEnum(POLECAT_STATES),
    issue: optString,
    session_running: flag,
    zombie: optFlag,
    session_name: optString,
    cleanup_status: optString,
    branch: optString,
    verdict: optString,
    safe_to_nuke: optFlag,
    needs_mq_submit: optFlag,
    active_mr: optString,
    blockers: z.array(z.string()).nullish(),
  })
  .transform((p): PolecatListItem => ({
    rig: p.rig,
    name: p.name,
    state: p.state,
    issue: p.issue,
    sessionRunning: p.session_running,
    zombie: p.zombie,
    sessionName: p.session_name,
    cleanupStatus: p.cleanup_status === undefined ? undefined : toOpenEnum(CLEANUP_STATUSES, p.cleanup_status),
    branch: p.branch,
    verdict: p.verdict === undefined ? undefined : toOpenEnum(RECOVERY_VERDICTS, p.verdict),
    safeToNuke: p.safe_to_nuke,
    needsMqSubmit: p.needs_mq_submit,
    activeMr: p.active_mr,
    blockers: p.blockers ?? undefined,
  }));

export function parsePolecatList(stdout: string): PolecatListItem[] {
  return parseJsonOutput(list(polecatListItem), stdout, 'gt polecat list');
}

const polecatStatus = z
  .object({
    rig: z.string(),
    name: z.string(),
    state: openEnum(POLECAT_STATES),
    issue: optString,
    clone_path: str,
    branch: str,
    session_running: flag,
    session_id: optString,
    attached: optFlag,
    windows: optNumber,
    created_at: gtTime,
    last_activity: gtTime,
  })
  .transform((p): PolecatStatus => ({
    rig: p.rig,
    name: p.name,
    state: p.state,
    issue: p.issue,
    clonePath: p.clone_path,
    branch: p.branch,
    sessionRunning: p.session_running,
    sessionId: p.session_id,
    attached: p.attached,
    windows: p.windows,
    createdAt: p.created_at,
    lastActivity: p.last_activity,
  }));

export function parsePolecatStatus(stdout: string): PolecatStatus {
  return parseJsonOutput(polecatStatus, stdout, 'gt polecat status');
}

const gitState = z
  .object({
    clean: z.boolean(),
    uncommitted_files: list(z.string()),
    unpushed_commits: count,
    stash_count: count,
  })
  .transform((g): GitState => ({
    clean: g.clean,
    uncommittedFiles: g.uncommitted_files,
    unpushedCommits: g.unpushed_commits,
    stashCount: g.stash_count,
  }));

export function parseGitState(stdout: string): GitState {
  return parseJsonOutput(gitState, stdout, 'gt polecat git-state');
}

const recoveryCheck = z
  .object({
    rig: z.string(),
    polecat: z.string(),
    cleanup_status: openEnum(CLEANUP_STATUSES),
    // Required: a missing verdict must never read as safe.
    needs_recovery: z.boolean(),
    verdict: z.string().transform((raw) => toOpenEnum(RECOVERY_VERDICTS, raw)),
    branch: optString,
    issue: optString,
    mq_status: optString,
    blockers: list(z.string()),
    safe_to_nuke: optFlag,
    needs_mq_submit: optFlag,
    reason: optString,
    active_mr: optString,
  })
  .transform((r): RecoveryCheck => ({
    rig: r.rig,
    polecat: r.polecat,
    cleanupStatus: r.cleanup_status,
    needsRecovery: r.needs_recovery,
    verdict: r.verdict,
    branch: r.branch,
    issue: r.issue,
    mqStatus: r.mq_status,
    blockers: r.blockers,
    safeToNuke: r.safe_to_nuke,
    needsMqSubmit: r.needs_mq_submit,
    reason: r.reason,
    activeMr: r.active_mr,
  }));

export function parseRecoveryCheck(stdout: string): RecoveryCheck {
  return parseJsonOutput(recoveryCheck, stdout, 'gt polecat check-recovery');
}

export interface SkippedRig {
  readonly rig: string;
  readonly reason: string;
}

const SKIPPED_RIG = /^warning: failed to list polecats in (\S+): (.*)$/gm;

/**
 * Rigs `gt polecat list` skipped: it prints `warning: failed to list polecats in <rig>: ...`
 * on stderr and still exits 0 with the other rigs' polecats (or `[]`).
 */
export function skippedRigs(stderr: string): SkippedRig[] {
  return [...stderr.matchAll(SKIPPED_RIG)].map((m) => ({ rig: m[1]!, reason: m[2]!.trim() }));
}
