// Town rules shared by the gt/bd commands and the control API: how polecats are spawned,
// hooked, finished and removed, how gt derives list states, cleanup statuses and recovery
// verdicts from a worktree's dirt, and how convoys report their tracked beads. Functions
// mutate the SimState passed in and touch the file system only for polecat worktrees.
//
// gastown version followed: gt v1.0.x (tag v1.0.1, 3ce5f1a2b3cf) for everything except
// `gt polecat check-recovery`'s merge-queue step, which follows current gastown main (after
// 2026-04-30 a8bd79bf: internal/cmd/polecat.go applyMQCheck with hasSubmittableWork and
// mqNotRequired, as printed through polecat.DecideWorkstate, with `blockers` and
// `mq_status: not_required`). See recoveryStatus for what of current gt is not modelled.
// Where gt v1.2 differs (version.ts: retirement by `gt done`, the workstate fields, PENDING_MR,
// label-typed convoys), the functions take the town's version from `townVersion`.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from './ids.ts';
import { freshId, nextPolecatName } from './ids.ts';
import type { SimBead, SimPolecat, SimRig, SimState } from './model.ts';
import { polecatKey } from './model.ts';
import { isCurrent } from './version.ts';

/** Whether this process acts as gt v1.2 on `state` (the town's version, or GT_SIM_VERSION). */
export function townIsCurrent(state: SimState): boolean {
  return isCurrent(state, process.env);
}

export const TOWN_PREFIX = 'hq';

export function nowIso(): string {
  return new Date().toISOString();
}

export function beadPrefix(id: string): string {
  return id.split('-')[0] ?? '';
}

export function agentAddress(p: Pick<SimPolecat, 'rig' | 'name'>): string {
  return `${p.rig}/polecats/${p.name}`;
}

/** The rig's session prefix: its beads prefix (gt's session.PrefixFor reads rigs.json). */
export function rigPrefix(state: SimState, rig: string): string {
  return state.rigs[rig]?.prefix ?? rig;
}

/** A polecat's tmux session, `<prefix>-<name>` (gastown session.PolecatSessionName). */
export function sessionName(state: SimState, rig: string, name: string): string {
  return `${rigPrefix(state, rig)}-${name}`;
}

/** `<prefix>-witness` / `<prefix>-refinery` (gastown session.WitnessSessionName etc.). */
export function rigAgentSession(state: SimState, rig: string, role: 'witness' | 'refinery'): string {
  return `${rigPrefix(state, rig)}-${role}`;
}

/** A polecat's agent bead id (gastown beads.PolecatBeadIDWithPrefix; collapsed when rig == prefix). */
export function polecatAgentBeadId(state: SimState, rig: string, name: string): string {
  const prefix = rigPrefix(state, rig);
  return rig === prefix ? `${prefix}-polecat-${name}` : `${prefix}-${rig}-polecat-${name}`;
}

export function worktreePath(root: string, rig: string, name: string): string {
  return join(root, rig, 'polecats', name, rig);
}

const byPolecatName = (a: SimPolecat, b: SimPolecat): number => a.name.localeCompare(b.name);

/** One rig's polecats, by name. For every rig at once use {@link polecatsByRig}. */
export function rigPolecats(state: SimState, rig: string): SimPolecat[] {
  return Object.values(state.polecats)
    .filter((p) => p.rig === rig)
    .sort(byPolecatName);
}

/**
 * Every rig's polecats, by name, in one pass over the town: the whole-town commands (`gt status`,
 * `gt rig list`, `gt polecat list --all`) would otherwise scan all polecats once per rig, which
 * at 100 rigs x 100 polecats was most of a call's CPU. A rig without polecats has no entry.
 */
export function polecatsByRig(state: SimState): ReadonlyMap<string, readonly SimPolecat[]> {
  const groups = new Map<string, SimPolecat[]>();
  for (const p of Object.values(state.polecats)) {
    const group = groups.get(p.rig);
    if (group === undefined) groups.set(p.rig, [p]);
    else group.push(p);
  }
  for (const group of groups.values()) group.sort(byPolecatName);
  return groups;
}

export function findPolecat(state: SimState, rig: string, name: string): SimPolecat | undefined {
  return state.polecats[polecatKey(rig, name)];
}

/** Polecat for an agent address `<rig>/polecats/<name>` (or `<rig>/<name>`). */
export function polecatByAddress(state: SimState, address: string): SimPolecat | undefined {
  const parts = address.replace(/\/$/, '').split('/');
  if (parts.length === 3 && parts[1] === 'polecats') return findPolecat(state, parts[0] ?? '', parts[2] ?? '');
  if (parts.length === 2) return findPolecat(state, parts[0] ?? '', parts[1] ?? '');
  return undefined;
}

export interface SpawnOptions {
  name?: string;
  state?: string;
  sessionRunning?: boolean;
}

/** Creates a polecat and its worktree directory, as `gt sling <bead> <rig>` does. */
export function spawnPolecat(root: string, state: SimState, rig: SimRig, opts: SpawnOptions = {}): SimPolecat {
  const used = new Set(rigPolecats(state, rig.name).map((p) => p.name));
  const name = opts.name ?? nextPolecatName(used);
  const now = nowIso();
  const polecat: SimPolecat = {
    rig: rig.name,
    name,
    state: opts.state ?? 'idle',
    sessionRunning: opts.sessionRunning ?? false,
    worktree: true,
    branch: `polecat/${name}`,
    createdAt: now,
    lastActivity: now,
    dirt: { uncommittedFiles: [], unpushedCommits: 0, stashCount: 0 },
  };
  mkdirSync(worktreePath(root, rig.name, name), { recursive: true });
  state.polecats[polecatKey(rig.name, name)] = polecat;
  return polecat;
}

/** Removes a polecat and its directory (nuke). */
export function removePolecat(root: string, state: SimState, p: SimPolecat): void {
  // The hooked bead stays hooked to the now-dead agent, as with the real nuke: the next sling
  // of it sees a dead assignee and re-slings.
  delete state.polecats[polecatKey(p.rig, p.name)];
  rmSync(join(root, p.rig, 'polecats', p.name), { recursive: true, force: true });
}

/** Deletes a polecat's directory but keeps the record (a zombie: session without worktree). */
export function removeWorktree(root: string, p: SimPolecat): void {
  rmSync(join(root, p.rig, 'polecats', p.name), { recursive: true, force: true });
}

/** Hooks a bead on a polecat and starts its session (sling's effect). */
export function hookBead(state: SimState, p: SimPolecat, bead: SimBead): void {
  const now = nowIso();
  bead.status = 'hooked';
  bead.assignee = agentAddress(p);
  bead.updatedAt = now;
  p.hookBead = bead.id;
  p.state = 'working';
  p.sessionRunning = true;
  p.branch = `polecat/${p.name}/${bead.id}`;
  p.lastActivity = now;
}

export interface FinishResult {
  readonly bead: SimBead | undefined;
  /** gt v1.2: a clean completion removed the polecat (record and worktree). */
  readonly retired: boolean;
}

/**
 * `gt done`: the bead is closed, the hook cleared, the session ends and the polecat idles. On
 * gt v1.2 a clean completion retires the polecat instead (its sandbox is removed, gastown PR
 * #4222); a polecat with unsaved work stays, idle with its self-reported cleanup status.
 */
export function finishWork(root: string, state: SimState, p: SimPolecat): FinishResult {
  const now = nowIso();
  const bead = p.hookBead !== undefined ? state.beads[p.hookBead] : undefined;
  if (bead !== undefined) closeBead(bead, 'Completed by polecat');
  // gt done writes the git-derived cleanup status to the agent bead (done.go --cleanup-status).
  p.cleanupStatus = gitCleanupStatus(p);
  delete p.hookBead;
  p.state = 'idle';
  p.sessionRunning = false;
  p.lastActivity = now;
  const retired = townIsCurrent(state) && p.cleanupStatus === 'clean' && openMr(state, p) === undefined;
  if (retired) removePolecat(root, state, p);
  return { bead, retired };
}

export function closeBead(bead: SimBead, reason: string): void {
  const now = nowIso();
  bead.status = 'closed';
  bead.closedAt = now;
  bead.closeReason = reason;
  bead.updatedAt = now;
}

/**
 * The state `gt polecat list` prints: session liveness overrides stale working/idle/done. gt
 * v1.2 rewrites a live idle/done polecat to `working` only when it holds an issue
 * (effectivePolecatState); v1.0 did it for any live session.
 */
export function listState(p: SimPolecat, current = false): string {
  if (p.state === 'zombie' || !p.worktree) return p.state;
  const busy = !current || p.hookBead !== undefined;
  if (p.sessionRunning && busy && (p.state === 'done' || p.state === 'idle')) return 'working';
  if (!p.sessionRunning && p.state === 'working') return 'stalled';
  return p.state;
}

/** The cleanup status gt would compute from the git state of the worktree. */
export function gitCleanupStatus(p: SimPolecat): string {
  if (p.dirt.unpushedCommits > 0) return 'has_unpushed';
  if (p.dirt.stashCount > 0) return 'has_stash';
  if (p.dirt.uncommittedFiles.length > 0) return 'has_uncommitted';
  return 'clean';
}

/**
 * The cleanup status gt reads for a polecat: the self-report on its agent bead, which only
 * `gt done` writes. Every sim polecat has an agent bead (gt creates one at spawn), so gt never
 * takes its git fallback: no self-report reads as `""` (gastown polecat.go
 * runPolecatCheckRecovery / polecat_helpers.go checkPolecatSafety).
 */
export function cleanupStatus(p: SimPolecat): string {
  return p.cleanupStatus ?? '';
}

/** Merge-request beads whose description starts with `branch: <branch>` (gt's findMRForBranch). */
export function mergeRequestsForBranch(state: SimState, branch: string): readonly SimBead[] {
  return mergeRequestsIn(indexMergeRequests(state), branch);
}

/** Merge requests by branch (the first line of their description, `branch: <name>`). */
export type MergeRequestIndex = ReadonlyMap<string, readonly SimBead[]>;

/**
 * Indexes a state that will not change (a read-only command), so a listing of N polecats
 * looks up each branch instead of scanning every bead N times (10,000 x 10,000 at 100 x 100).
 */
function mergeRequestsIn(index: MergeRequestIndex, branch: string): readonly SimBead[] {
  return index.get(branch) ?? [];
}

export function indexMergeRequests(state: SimState): MergeRequestIndex {
  const index = new Map<string, SimBead[]>();
  for (const b of Object.values(state.beads)) {
    if (b.issueType !== 'merge-request' || !b.description.startsWith('branch: ')) continue;
    const end = b.description.indexOf('\n');
    if (end < 0) continue;
    const branch = b.description.slice('branch: '.length, end);
    index.set(branch, [...(index.get(branch) ?? []), b]);
  }
  return index;
}

function openMr(state: SimState, p: SimPolecat): SimBead | undefined {
  const mr = p.dirt.openMr !== undefined ? state.beads[p.dirt.openMr] : undefined;
  return mr !== undefined && mr.status !== 'closed' ? mr : undefined;
}

export interface RecoveryStatus {
  rig: string;
  polecat: string;
  cleanup_status: string;
  needs_recovery: boolean;
  verdict: 'SAFE_TO_NUKE' | 'NEEDS_RECOVERY' | 'NEEDS_MQ_SUBMIT' | 'PENDING_MR';
  branch?: string;
  issue?: string;
  /** gt v1.2: the open merge request the polecat waits on. */
  active_mr?: string;
  mq_status?: string;
  /** The predicates that refused cleanup (gt's `blockers`, omitempty). */
  blockers?: string[];
}

/**
 * The workstate fields gt v1.2 adds to check-recovery and to every `gt polecat list` item
 * (gastown polecat.DecideWorkstate, printed by internal/cmd/polecat.go). The booleans are always
 * printed; `reason` uses the sim's own words (gt's values are not all known here).
 */
export interface Workstate {
  reason: string;
  reusable: boolean;
  safe_to_nuke: boolean;
  needs_mq_submit: boolean;
  counts_toward_capacity: boolean;
}

/** The v1.2 workstate implied by a recovery verdict and the polecat's hook. */
export function workstate(p: SimPolecat, r: RecoveryStatus): Workstate {
  const safe = r.verdict === 'SAFE_TO_NUKE';
  const reason = safe ? 'clean' : r.verdict === 'PENDING_MR' ? 'pending-mr' : r.verdict === 'NEEDS_MQ_SUBMIT' ? 'not-submitted' : 'unsaved-work';
  const idle = p.hookBead === undefined && !p.sessionRunning;
  return {
    reason: safe && !idle ? 'not-idle' : reason,
    reusable: safe && idle,
    safe_to_nuke: safe,
    needs_mq_submit: r.verdict === 'NEEDS_MQ_SUBMIT',
    counts_toward_capacity: !idle || r.verdict === 'PENDING_MR',
  };
}

/** gt's blocker for a recorded cleanup status (gastown polecat.go cleanupStatusBlocker). */
export function cleanupStatusBlocker(status: string): string {
  if (status === '') return 'cleanup_status=<missing>';
  return `cleanup_status=${status}`;
}

/**
 * Whether the polecat's branch carries work the merge queue has not absorbed: gt's
 * hasSubmittableWorkForRecovery (commits ahead of the integration branch, or a pushed
 * non-base branch; unpushed commits as the fallback). In the sim: pushed-but-unsubmitted work
 * (`needsMqSubmit`), unpushed commits, or a hooked bead (the branch it is working on carries
 * its commits). After `gt done` (finishWork) the hook is cleared and the work has gone through
 * the queue, so an idle polecat - like a fresh one that never worked - has nothing to submit.
 * A git fact: it holds with the beads database down too.
 */
export function hasSubmittableWork(p: SimPolecat): boolean {
  return p.dirt.needsMqSubmit === true || p.dirt.unpushedCommits > 0 || p.hookBead !== undefined;
}

const MQ_BYPASS_KEYS: Readonly<Record<string, 'noMerge' | 'reviewOnly' | 'mergeStrategy'>> = {
  no_merge: 'noMerge', 'no-merge': 'noMerge', nomerge: 'noMerge',
  review_only: 'reviewOnly', 'review-only': 'reviewOnly', reviewonly: 'reviewOnly',
  merge_strategy: 'mergeStrategy', 'merge-strategy': 'mergeStrategy', mergestrategy: 'mergeStrategy',
};

/**
 * gt's isMQNotRequiredSource: the bead's attachment fields (`key: value` description lines,
 * gastown beads.ParseAttachmentFields) say `no_merge: true`, `review_only: true` or
 * `merge_strategy: local`, so its work bypasses the merge queue on purpose.
 */
export function mqNotRequiredSource(bead: SimBead | undefined): boolean {
  if (bead === undefined) return false;
  for (const line of bead.description.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const field = MQ_BYPASS_KEYS[line.slice(0, colon).trim().toLowerCase()];
    const value = line.slice(colon + 1).trim().toLowerCase();
    if (field === 'noMerge' || field === 'reviewOnly') {
      if (value === 'true') return true;
    } else if (field === 'mergeStrategy' && value === 'local') {
      return true;
    }
  }
  return false;
}

/** What gt knows for the merge-queue step of check-recovery. */
export interface MqFacts {
  hasSubmittableWork: boolean;
  mqNotRequired: boolean;
  beadTerminal: boolean;
  /** The merge-request search for the branch: found one, none, or it failed (database down). */
  mrForBranch: 'found' | 'none' | 'error';
}

/**
 * gt's merge-queue step (gastown internal/cmd/polecat.go applyMQCheck, 5-argument form, and
 * the same branch of polecat.DecideWorkstate that check-recovery prints): nothing ahead of the
 * integration branch or a bead that bypasses the queue -> `not_required`; a terminal bead ->
 * `submitted`; otherwise the MR search: found -> `submitted`, failed -> NEEDS_RECOVERY /
 * `unknown` (fail closed), none -> NEEDS_MQ_SUBMIT / `not_submitted`. Only reached from
 * SAFE_TO_NUKE with a branch.
 */
export function applyMqCheck(safe: RecoveryStatus, facts: MqFacts): RecoveryStatus {
  if (!facts.hasSubmittableWork || facts.mqNotRequired) return { ...safe, mq_status: 'not_required' };
  if (facts.beadTerminal) return { ...safe, mq_status: 'submitted' };
  if (facts.mrForBranch === 'error') return { ...safe, needs_recovery: true, verdict: 'NEEDS_RECOVERY', mq_status: 'unknown', blockers: ['mq_status=unknown'] };
  if (facts.mrForBranch === 'found') return { ...safe, mq_status: 'submitted' };
  return { ...safe, needs_recovery: true, verdict: 'NEEDS_MQ_SUBMIT', mq_status: 'not_submitted', blockers: ['mq_status=not_submitted'] };
}

/**
 * `gt polecat check-recovery` as current gastown prints it (internal/cmd/polecat.go
 * runPolecatCheckRecovery -> applyMQFactsToWorkstateInput -> polecat.DecideWorkstate; the
 * merge-queue rules are those of applyMQCheck, see applyMqCheck above). SAFE_TO_NUKE needs a
 * self-reported `clean` and no active MR; then, as the polecat always has a branch, the
 * merge-queue step decides: an idle polecat after `gt done` (or one that never worked) has
 * nothing to submit and is SAFE_TO_NUKE with `mq_status: not_required`.
 *
 * gt v1.0.1 differed only in that step: no `not_required` (every clean polecat with a branch
 * needed an MR of its branch, so an idle polecat after `gt done` stayed NEEDS_MQ_SUBMIT), no
 * terminal-bead shortcut, and a failed MR search kept SAFE_TO_NUKE with `mq_status: unknown`.
 *
 * On gt v1.2 a clean polecat with an open MR is PENDING_MR (its `active_mr` named); the
 * workstate fields are derived from the verdict by `workstate`. Not modelled from current gt:
 * `reuse_status`, `diagnostics`, `cleanup_status_source`, the `WORKING` verdict, the live git
 * probe that overrides a stale self-report, and the hook-bead blocker; the sim keeps v1.0.1's
 * self-report rule for the cleanup part.
 */
export function recoveryStatus(state: SimState, p: SimPolecat, mrs?: MergeRequestIndex): RecoveryStatus {
  const status = cleanupStatus(p);
  const out: RecoveryStatus = { rig: p.rig, polecat: p.name, cleanup_status: status, needs_recovery: true, verdict: 'NEEDS_RECOVERY' };
  if (p.branch !== '') out.branch = p.branch;
  if (p.hookBead !== undefined) out.issue = p.hookBead;
  if (status !== 'clean') return { ...out, blockers: [cleanupStatusBlocker(status)] };
  const mr = openMr(state, p);
  if (mr !== undefined) {
    // gt v1.2 names the wait: PENDING_MR, keep the polecat until the MR lands (v1.0: NEEDS_RECOVERY).
    return townIsCurrent(state) ? { ...out, needs_recovery: false, verdict: 'PENDING_MR', active_mr: mr.id, mq_status: 'submitted' } : out;
  }
  const safe: RecoveryStatus = { ...out, needs_recovery: false, verdict: 'SAFE_TO_NUKE' };
  if (p.branch === '') return safe;
  const issue = p.hookBead !== undefined ? state.beads[p.hookBead] : undefined;
  return applyMqCheck(safe, {
    hasSubmittableWork: hasSubmittableWork(p),
    mqNotRequired: mqNotRequiredSource(issue),
    beadTerminal: issue !== undefined && (issue.status === 'closed' || issue.status === 'tombstone'),
    mrForBranch: p.dirt.needsMqSubmit !== true && mergeRequestsIn(mrs ?? indexMergeRequests(state), p.branch).length > 0 ? 'found' : 'none',
  });
}

/**
 * The reasons `gt polecat nuke` (without --force) refuses, in gt's order and wording
 * (gastown polecat_helpers.go checkPolecatSafety, agent-bead branch): the self-reported
 * cleanup status, the hooked bead unless closed, then an open MR of the branch (only when the
 * worktree exists: gt skips the MR check when it cannot load the polecat).
 */
export function nukeBlockReasons(state: SimState, p: SimPolecat): string[] {
  const reasons: string[] = [];
  const status = cleanupStatus(p);
  if (status === 'has_unpushed') reasons.push('has unpushed commits');
  else if (status === 'has_uncommitted') reasons.push('has uncommitted changes');
  else if (status === 'has_stash') reasons.push('has stashed changes');
  else if (status === 'unknown' || status === '') reasons.push('cleanup status unknown');
  else if (status !== 'clean') reasons.push(`cleanup status: ${status}`);
  if (p.hookBead !== undefined) {
    const bead = state.beads[p.hookBead];
    if (bead === undefined) reasons.push(`has work on hook (${p.hookBead}, unverified)`);
    else if (bead.status !== 'closed') reasons.push(`has work on hook (${p.hookBead})`);
  }
  if (p.worktree) {
    const mr = mergeRequestsForBranch(state, p.branch).find((b) => b.status !== 'closed') ?? openMr(state, p);
    if (mr !== undefined) reasons.push(`has open MR (${mr.id})`);
  }
  return reasons;
}

export interface NewBead {
  prefix: string;
  title: string;
  description?: string;
  issueType?: string;
  priority?: number;
  status?: string;
  labels?: string[];
  id?: string;
}

export function addBead(state: SimState, input: NewBead, rng: Rng): SimBead {
  const now = nowIso();
  const id = input.id ?? freshId(input.prefix, state.beads, rng);
  const bead: SimBead = {
    id,
    title: input.title,
    description: input.description ?? '',
    status: input.status ?? 'open',
    priority: input.priority ?? 2,
    issueType: input.issueType ?? 'task',
    assignee: '',
    owner: 'overseer',
    createdAt: now,
    updatedAt: now,
    labels: input.labels ?? [],
  };
  state.beads[id] = bead;
  return bead;
}

export interface MergeRequestInput {
  branch: string;
  worker: string;
  sourceIssue?: string;
  target?: string;
}

/**
 * A merge-request bead as `gt mq submit` / `gt done` create it: a wisp labelled
 * `gt:merge-request` in the rig's prefix, with the `key: value` description lines the
 * refinery reads (gastown internal/beads/fields.go FormatMRFields order).
 */
export function addRigMergeRequest(state: SimState, rigName: string, input: MergeRequestInput, rng: Rng): SimBead {
  const rig = state.rigs[rigName];
  const lines = [
    `branch: ${input.branch}`,
    `target: ${input.target ?? 'main'}`,
    `source_issue: ${input.sourceIssue ?? ''}`,
    `worker: ${input.worker}`,
    `rig: ${rigName}`,
    `commit_sha: ${hex40(rng)}`,
    'retry_count: 0',
  ];
  const bead = addBead(state, { prefix: rig?.prefix ?? rigName, title: `Merge: ${input.branch}`, description: lines.join('\n'), issueType: 'merge-request', labels: ['gt:merge-request'] }, rng);
  bead.ephemeral = true;
  return bead;
}

/** A merge-request bead for a polecat's branch and hooked bead. */
export function addMergeRequest(state: SimState, p: SimPolecat, rng: Rng): SimBead {
  return addRigMergeRequest(state, p.rig, { branch: p.branch, worker: p.name, ...(p.hookBead !== undefined ? { sourceIssue: p.hookBead } : {}) }, rng);
}

function hex40(rng: Rng): string {
  return Array.from({ length: 40 }, () => Math.floor(rng() * 16).toString(16)).join('');
}

/**
 * How the refinery finishes a merge request (gastown internal/refinery, formulas):
 * - `success`: Engineer.HandleMRInfoSuccess writes `merge_commit` and `close_reason: merged`
 *   into the description, then `bd close --reason merged`;
 * - `resolved`: merged by the conflict-resolution formula: `bd close --reason "merged after
 *   conflict resolution"`, description untouched (no merge_commit);
 * - `conflict`: closed over a merge conflict: `close_reason: conflict` (refinery
 *   CloseReasonConflict) and a bd close reason naming the conflict. (The real Engineer keeps a
 *   conflicting MR open, blocked on a resolution task; a human or agent closing it over the
 *   conflict, e.g. `gt mq reject`, is what ends it this way.)
 * - `failure`: rejected (`gt mq reject`: bd close reason `rejected: <why>`), description
 *   untouched, so only bd shows why.
 */
export type MergeRequestOutcome = 'success' | 'resolved' | 'conflict' | 'failure';
export const MERGE_REQUEST_OUTCOMES: readonly MergeRequestOutcome[] = ['success', 'resolved', 'conflict', 'failure'];

/** MR description keys in gt's FormatMRFields order (other lines are kept after them). */
const MR_FIELD_ORDER = ['branch', 'target', 'source_issue', 'worker', 'rig', 'commit_sha', 'merge_commit', 'close_reason', 'agent_bead', 'retry_count', 'last_conflict_sha', 'conflict_task_id', 'convoy_id'];

/** gt's SetMRFields: replaces MR field lines, keeps the rest; empty and `retry_count: 0` are dropped. */
export function setMrFields(description: string, updates: Readonly<Record<string, string>>): string {
  const fields = new Map<string, string>();
  const other: string[] = [];
  for (const line of description.split('\n')) {
    const m = /^([a-z_]+):\s*(.*)$/.exec(line);
    if (m !== null && MR_FIELD_ORDER.includes(m[1] ?? '')) fields.set(m[1] ?? '', m[2] ?? '');
    else if (line.trim() !== '') other.push(line);
  }
  for (const [k, v] of Object.entries(updates)) fields.set(k, v);
  const lines = MR_FIELD_ORDER.filter((k) => (fields.get(k) ?? '') !== '' && !(k === 'retry_count' && fields.get(k) === '0')).map((k) => `${k}: ${fields.get(k) ?? ''}`);
  return [...lines, ...other].join('\n');
}

/** Closes a merge request the way the refinery (or `gt mq reject`) does for `outcome`. */
export function finishMergeRequest(mr: SimBead, outcome: MergeRequestOutcome, rng: Rng, reason?: string): void {
  switch (outcome) {
    case 'success':
      mr.description = setMrFields(mr.description, { merge_commit: hex40(rng), close_reason: 'merged' });
      closeBead(mr, reason ?? 'merged');
      return;
    case 'resolved':
      closeBead(mr, reason ?? 'merged after conflict resolution');
      return;
    case 'conflict':
      mr.description = setMrFields(mr.description, { close_reason: 'conflict' });
      closeBead(mr, reason ?? `conflict: merge conflict rebasing ${descriptionValue(mr, 'branch') ?? 'the branch'} onto ${descriptionValue(mr, 'target') ?? 'main'}`);
      return;
    case 'failure':
      closeBead(mr, reason ?? 'rejected: tests failed on the merged result');
      return;
  }
}

function descriptionValue(bead: SimBead, key: string): string | undefined {
  const m = new RegExp(`^${key}: (.*)$`, 'm').exec(bead.description);
  return m?.[1];
}

/** Every merge-request bead of `rig` (gt filters by the `rig:` field), any status. */
export function rigMergeRequests(state: SimState, rig: SimRig): SimBead[] {
  return Object.values(state.beads).filter((b) => b.issueType === 'merge-request' && b.description.includes(`\nrig: ${rig.name}\n`));
}

export const CONVOY_LABEL = 'gt:convoy';

/** A convoy bead: legacy `issue_type: convoy`, or (gt v1.2, gastown PR #3958) any type labelled `gt:convoy`. */
export function isConvoy(bead: SimBead): boolean {
  return bead.issueType === 'convoy' || bead.labels.includes(CONVOY_LABEL);
}

export function convoys(state: SimState): SimBead[] {
  return Object.values(state.beads)
    .filter(isConvoy)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

export function openMergeRequests(state: SimState, rig: SimRig): SimBead[] {
  return rigMergeRequests(state, rig).filter((b) => b.status !== 'closed');
}

export interface TrackedIssue {
  id: string;
  title: string;
  status: string;
  dependency_type: string;
  issue_type: string;
  assignee?: string;
  worker?: string;
}

export function trackedIssues(state: SimState, convoy: SimBead): TrackedIssue[] {
  return (convoy.tracks ?? []).map((id) => {
    const bead = state.beads[id];
    if (bead === undefined) return { id, title: '(external)', status: 'unknown', dependency_type: 'tracks', issue_type: '' };
    const entry: TrackedIssue = { id, title: bead.title, status: bead.status, dependency_type: 'tracks', issue_type: bead.issueType };
    if (bead.assignee !== '') {
      entry.assignee = bead.assignee;
      entry.worker = bead.assignee.replace('/polecats/', '/');
    }
    return entry;
  });
}

/** Tracked beads living in more than one rig: gastown #3681 keeps such convoys from auto-closing. */
export function isCrossRig(convoy: SimBead): boolean {
  return new Set((convoy.tracks ?? []).map(beadPrefix)).size > 1;
}

/** The open convoy that tracks `beadId`, if any. */
export function trackingConvoy(state: SimState, beadId: string): SimBead | undefined {
  return convoys(state).find((c) => c.status === 'open' && (c.tracks ?? []).includes(beadId));
}

export interface ConvoyInput {
  title: string;
  tracks: string[];
  description?: string;
  owned?: boolean;
}

/** A new convoy: a `task` labelled `gt:convoy` on gt v1.2, a bead of type `convoy` before. */
export function createConvoyBead(state: SimState, input: ConvoyInput, rng: Rng): SimBead {
  const current = townIsCurrent(state);
  const owned = input.owned === true ? ['gt:owned'] : [];
  const bead = addBead(
    state,
    {
      prefix: `${TOWN_PREFIX}-cv`,
      title: input.title,
      description: input.description ?? '',
      issueType: current ? 'task' : 'convoy',
      labels: current ? [CONVOY_LABEL, ...owned] : owned,
    },
    rng,
  );
  bead.tracks = [...input.tracks];
  return bead;
}
