// `gt polecat list|status|git-state|check-recovery|nuke`. The list applies gt's state
// rewrite and skips a failing rig with a stderr warning (exit 0); status shows the raw state
// and zone-less local times; nuke refuses dirty polecats on stdout + a stderr error, and is
// idempotent for polecats that are already gone. Nuke writes no event, as in gt. On gt v1.2
// (version.ts) list items and check-recovery carry the workstate fields (domain.workstate).
import { flagBool, parseArgs } from '../args.ts';
import type { ParsedArgs } from '../args.ts';
import {
  applyMqCheck, cleanupStatusBlocker, findPolecat, gitCleanupStatus, hasSubmittableWork, indexMergeRequests, listState, nukeBlockReasons, polecatAgentBeadId, polecatsByRig, recoveryStatus, removePolecat, rigPolecats, sessionName, workstate, worktreePath,
} from '../domain.ts';
import type { MergeRequestIndex, RecoveryStatus, Workstate } from '../domain.ts';
import { isCurrent } from '../version.ts';
import { goLocalTime } from '../ids.ts';
import type { SimPolecat, SimState } from '../model.ts';
import { CommandError, json, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { endSession } from '../session/sessions.ts';
import { dbDown, parsePolecatAddress, requirePolecat, requireRig } from './common.ts';

/** How long nuke waits for a killed session process group to be gone. */
const NUKE_WAIT_MS = 5000;

interface ListItem {
  rig: string;
  name: string;
  state: string;
  issue?: string;
  session_running: boolean;
  zombie?: boolean;
  session_name?: string;
}

/** gt v1.2's extra list fields (PolecatListItem, between `issue` and `session_running`). */
type ListWorkstate = Partial<Pick<RecoveryStatus, 'cleanup_status' | 'active_mr' | 'branch' | 'verdict' | 'mq_status' | 'blockers'>> & Workstate & { needs_recovery: boolean };

function listWorkstate(state: SimState, p: SimPolecat, mrs: MergeRequestIndex): ListWorkstate {
  const r = recoveryStatus(state, p, mrs);
  const w = workstate(p, r);
  // Field order of gastown's PolecatListItem; strings and blockers are omitempty, booleans are not.
  return {
    ...(r.cleanup_status !== '' ? { cleanup_status: r.cleanup_status } : {}), ...(r.active_mr !== undefined ? { active_mr: r.active_mr } : {}),
    ...(r.branch !== undefined ? { branch: r.branch } : {}), verdict: r.verdict, reason: w.reason, reusable: w.reusable, safe_to_nuke: w.safe_to_nuke,
    needs_recovery: r.needs_recovery, needs_mq_submit: w.needs_mq_submit, ...(r.mq_status !== undefined ? { mq_status: r.mq_status } : {}),
    counts_toward_capacity: w.counts_toward_capacity, ...(r.blockers !== undefined && r.blockers.length > 0 ? { blockers: [...r.blockers] } : {}),
  };
}

/**
 * A worktree-backed polecat as gt lists it. With the database down gt's loadFromBeads cannot
 * see the hooked bead: it falls back to `working` (session alive) / `stalled`, with no issue,
 * and the list still exits 0 without a warning (gastown polecat/manager.go loadFromBeads).
 */
function listItem(state: SimState, p: SimPolecat, beadsDown: boolean, current: boolean, mrs: MergeRequestIndex): ListItem {
  // Key order follows gt's struct: rig, name, state, issue, [v1.2 workstate], session_running, zombie, session_name.
  if (beadsDown) return { rig: p.rig, name: p.name, state: p.sessionRunning ? 'working' : 'stalled', session_running: p.sessionRunning };
  const extra = current ? listWorkstate(state, p, mrs) : {};
  return { rig: p.rig, name: p.name, state: listState(p, current), ...(p.hookBead !== undefined ? { issue: p.hookBead } : {}), ...extra, session_running: p.sessionRunning };
}

/**
 * A zombie as gt lists it: found from a tmux session without a worktree directory, so it is
 * listed after the rig's worktree polecats, always with state `zombie`, `session_running:
 * true` and no issue; a zombie without a session is invisible (gastown polecat.go runPolecatList).
 */
function zombieItem(state: SimState, p: SimPolecat): ListItem {
  return { rig: p.rig, name: p.name, state: 'zombie', session_running: true, zombie: true, session_name: sessionName(state, p.rig, p.name) };
}

function list(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json', 'all'] });
  const state = ctx.read();
  let rigs: string[];
  if (flagBool(parsed, 'all')) {
    rigs = Object.keys(state.rigs).sort();
  } else {
    const name = parsed.positionals[0];
    if (name === undefined) throw new CommandError('rig name required (or use --all)');
    rigs = [requireRig(state, name).name];
  }
  const items: ListItem[] = [];
  const current = isCurrent(state, ctx.env);
  const mrs = indexMergeRequests(state);
  const byRig = polecatsByRig(state);
  for (const rig of rigs) {
    const polecats = byRig.get(rig) ?? [];
    items.push(...polecats.filter((p) => p.worktree).map((p) => listItem(state, p, dbDown(ctx), current, mrs)));
    items.push(...polecats.filter((p) => !p.worktree && p.sessionRunning).map((p) => zombieItem(state, p)));
  }
  if (flagBool(parsed, 'json')) {
    json(ctx.output, items);
    return;
  }
  if (items.length === 0) {
    out(ctx.output, 'No polecats found.');
    return;
  }
  out(ctx.output, 'Polecats');
  out(ctx.output);
  for (const i of items) {
    out(ctx.output, `  ${i.session_running ? '●' : '○'} ${i.rig}/${i.name}  ${i.state}`);
    if (i.issue !== undefined) out(ctx.output, `    ${i.issue}`);
    if (i.zombie === true && i.session_name !== undefined) out(ctx.output, `    session: ${i.session_name} (no worktree)`);
  }
}

/** gt's mgr.Get: a polecat is its worktree directory, so a zombie is "not found". */
function requireLivePolecat(state: SimState, arg: string): SimPolecat {
  const p = requirePolecat(state, arg);
  if (!p.worktree) throw new CommandError(`polecat '${p.name}' not found in rig '${p.rig}'`);
  return p;
}

function status(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  const arg = parsed.positionals[0];
  if (arg === undefined) throw new CommandError('accepts 1 arg(s), received 0');
  const state = ctx.read();
  const p = requireLivePolecat(state, arg);
  const beadsDown = dbDown(ctx);
  const body: Record<string, unknown> = { rig: p.rig, name: p.name, state: beadsDown ? (p.sessionRunning ? 'working' : 'stalled') : p.state };
  if (p.hookBead !== undefined && !beadsDown) body['issue'] = p.hookBead;
  // session_id is the session name whether or not it runs; the rest comes from tmux.
  Object.assign(body, { clone_path: worktreePath(ctx.root, p.rig, p.name), branch: p.branch, session_running: p.sessionRunning, session_id: sessionName(state, p.rig, p.name) });
  if (p.sessionRunning) {
    Object.assign(body, { windows: 1, created_at: goLocalTime(p.createdAt), last_activity: goLocalTime(p.lastActivity) });
  }
  if (flagBool(parsed, 'json')) {
    json(ctx.output, body);
    return;
  }
  out(ctx.output, `Polecat: ${p.rig}/${p.name}`);
  out(ctx.output);
  out(ctx.output, `  State:         ${String(body['state'])}`);
  out(ctx.output, `  Issue:         ${p.hookBead ?? '(none)'}`);
  out(ctx.output, `  Clone:         ${worktreePath(ctx.root, p.rig, p.name)}`);
  out(ctx.output, `  Branch:        ${p.branch}`);
  out(ctx.output);
  out(ctx.output, 'Session');
  out(ctx.output, `  Status:        ${p.sessionRunning ? 'running' : 'not running'}`);
}

function gitState(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  const p = requireLivePolecat(ctx.read(), parsed.positionals[0] ?? '');
  const d = p.dirt;
  const body = { clean: d.uncommittedFiles.length === 0 && d.unpushedCommits === 0 && d.stashCount === 0, uncommitted_files: [...d.uncommittedFiles], unpushed_commits: d.unpushedCommits, stash_count: d.stashCount };
  if (flagBool(parsed, 'json')) {
    json(ctx.output, body);
    return;
  }
  out(ctx.output, `Git State: ${p.rig}/${p.name}`);
  out(ctx.output);
  out(ctx.output, `  Working Tree:  ${body.clean ? 'clean' : 'dirty'}`);
  out(ctx.output, `  Unpushed:      ${d.unpushedCommits} commits`);
  out(ctx.output, `  Stashes:       ${d.stashCount}`);
}

/**
 * check-recovery with the database down: gt cannot read the agent bead and falls back to the
 * git state of the worktree (the hooked bead is not known either). A clean worktree goes on to
 * the merge-queue step: with nothing to submit (a git fact) it is SAFE_TO_NUKE /
 * `not_required`; with submittable work the MR search fails, so NEEDS_RECOVERY / `unknown`
 * (current gt fails closed; gt v1.0.1 kept SAFE_TO_NUKE with `mq_status: unknown` here).
 */
function recoveryWithoutBeads(p: SimPolecat): RecoveryStatus {
  const status = gitCleanupStatus(p);
  const base: RecoveryStatus = { rig: p.rig, polecat: p.name, cleanup_status: status, needs_recovery: true, verdict: 'NEEDS_RECOVERY', ...(p.branch !== '' ? { branch: p.branch } : {}) };
  if (status !== 'clean') return { ...base, blockers: [cleanupStatusBlocker(status), ...gitBlockers(p)] };
  const safe: RecoveryStatus = { ...base, needs_recovery: false, verdict: 'SAFE_TO_NUKE' };
  if (p.branch === '') return safe;
  return applyMqCheck(safe, { hasSubmittableWork: hasSubmittableWork(p), mqNotRequired: false, beadTerminal: false, mrForBranch: 'error' });
}

/** The git fact gt's git fallback records next to the derived cleanup status (first that applies). */
function gitBlockers(p: SimPolecat): string[] {
  const d = p.dirt;
  if (d.unpushedCommits > 0) return [`git_state=has_unpushed unpushed_commits=${d.unpushedCommits}`];
  if (d.stashCount > 0) return [`git_state=has_stash stash_count=${d.stashCount}`];
  if (d.uncommittedFiles.length > 0) return [`git_state=has_uncommitted uncommitted_files=${d.uncommittedFiles.length}`];
  return [];
}

function checkRecovery(ctx: CommandContext, args: readonly string[]): void {
  const state = ctx.read();
  const current = isCurrent(state, ctx.env);
  // `--reconcile-cleanup` (gt v1.2) only rewrites a stale dirty self-report that live git
  // disproves; the sim's self-report is never stale, so the flag changes nothing here.
  const parsed = parseArgs(args, { bools: current ? ['json', 'reconcile-cleanup'] : ['json'] });
  const p = requireLivePolecat(state, parsed.positionals[0] ?? '');
  const raw = dbDown(ctx) ? recoveryWithoutBeads(p) : recoveryStatus(state, p);
  const w = current ? workstate(p, raw) : undefined;
  // Field order of gt's RecoveryStatus struct (v1.2 adds active_mr, the workstate fields and blockers).
  const status: RecoveryStatus & Partial<Workstate> = {
    rig: raw.rig, polecat: raw.polecat, cleanup_status: raw.cleanup_status, needs_recovery: raw.needs_recovery, verdict: raw.verdict,
    ...(raw.branch !== undefined ? { branch: raw.branch } : {}), ...(raw.issue !== undefined ? { issue: raw.issue } : {}),
    ...(raw.active_mr !== undefined ? { active_mr: raw.active_mr } : {}), ...(raw.mq_status !== undefined ? { mq_status: raw.mq_status } : {}),
    ...(w !== undefined ? w : {}),
    // `blockers` came with v1.2's workstate; v1.0.x's RecoveryStatus has no such field.
    ...(current && raw.blockers !== undefined && raw.blockers.length > 0 ? { blockers: [...raw.blockers] } : {}),
  };
  if (flagBool(parsed, 'json')) {
    json(ctx.output, status);
    return;
  }
  out(ctx.output, `Recovery Status: ${status.rig}/${status.polecat}`);
  out(ctx.output);
  out(ctx.output, `  Cleanup Status:  ${status.cleanup_status}`);
  out(ctx.output);
  out(ctx.output, `  Verdict:         ${status.verdict}`);
}

/** A nuke target: gt resolves addresses without checking that the polecat exists. */
interface NukeTarget {
  rig: string;
  name: string;
  p?: SimPolecat;
}

function nukeTargets(state: SimState, parsed: ParsedArgs): NukeTarget[] {
  const targets: NukeTarget[] = [];
  for (const arg of parsed.positionals) {
    if (flagBool(parsed, 'all') && !arg.includes('/')) {
      targets.push(...rigPolecats(state, requireRig(state, arg).name).filter((p) => p.worktree).map((p) => ({ rig: p.rig, name: p.name, p })));
      continue;
    }
    const addr = parsePolecatAddress(arg);
    requireRig(state, addr.rig);
    const p = findPolecat(state, addr.rig, addr.name);
    targets.push({ rig: addr.rig, name: addr.name, ...(p !== undefined ? { p } : {}) });
  }
  return targets;
}

function dryRun(ctx: CommandContext, state: SimState, targets: readonly NukeTarget[]): void {
  for (const t of targets) {
    out(ctx.output, `Would nuke ${t.rig}/${t.name}:`);
    // gt prints this session name literally (polecat.go runPolecatNuke), not the real one.
    out(ctx.output, `  - Kill session: gt-${t.rig}-${t.name}`);
    out(ctx.output, `  - Delete worktree: ${ctx.root}/${t.rig}/polecats/${t.name}`);
    out(ctx.output, '  - Delete branch (if exists)');
    out(ctx.output, `  - Close agent bead: ${polecatAgentBeadId(state, t.rig, t.name)}`);
    out(ctx.output);
    out(ctx.output, '  Safety checks:');
    if (t.p === undefined) {
      out(ctx.output, '    - Git state: unknown (no polecat info)');
      out(ctx.output, '    - Hook: unknown (no agent bead)');
    } else {
      const status = t.p.cleanupStatus ?? '';
      out(ctx.output, `    - Git state: ${status === 'clean' ? 'clean' : status.startsWith('has_') ? `dirty (${status})` : 'unknown'}`);
      out(ctx.output, `    - Hook: ${t.p.hookBead === undefined ? 'empty' : `has work (${t.p.hookBead})`}`);
    }
    out(ctx.output);
  }
  out(ctx.output);
  out(ctx.output, `ℹ Would nuke ${targets.length} polecat(s).`);
}

function refuse(ctx: CommandContext, blocked: ReadonlyArray<{ p: SimPolecat; reasons: string[] }>): never {
  const o = ctx.output;
  out(o, 'Error: Cannot nuke the following polecats:');
  out(o);
  for (const b of blocked) {
    out(o, `  ${b.p.rig}/${b.p.name}:`);
    for (const r of b.reasons) out(o, `    - ${r}`);
  }
  out(o);
  out(o, 'Safety checks failed. Resolve issues before nuking, or use --force.');
  out(o, 'Options:');
  out(o, '  1. Complete work: gt done (from polecat session)');
  out(o, '  2. Push changes: git push (from polecat worktree)');
  out(o, '  3. Escalate: gt mail send mayor/ -s "RECOVERY_NEEDED" -m "..."');
  out(o, `  4. Force nuke (LOSES WORK): gt polecat nuke --force ${blocked.map((b) => `${b.p.rig}/${b.p.name}`).join(' ')}`);
  out(o);
  throw new CommandError(`blocked: ${blocked.length} polecat(s) have active work`);
}

function nukeOne(ctx: CommandContext, state: SimState, t: NukeTarget, force: boolean): void {
  out(ctx.output, force ? `⚠ Nuking ${t.rig}/${t.name} (--force)...` : `Nuking ${t.rig}/${t.name}...`);
  const p = t.p;
  if (p === undefined) {
    // Already gone: every step finds nothing to do and the nuke still succeeds.
    out(ctx.output, '  ○ worktree already gone');
    out(ctx.output, '  ○ agent bead not found or already cleaned');
    return;
  }
  if (p.sessionRunning) out(ctx.output, '  ✓ killed session');
  out(ctx.output, p.worktree ? '  ✓ deleted worktree' : '  ○ worktree already gone');
  out(ctx.output, `  ✓ deleted local branch ${p.branch}`);
  out(ctx.output, `  ✓ closed agent bead ${polecatAgentBeadId(state, p.rig, p.name)}`);
  removePolecat(ctx.root, state, p);
}

async function nuke(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parseArgs(args, { bools: ['force', 'dry-run', 'all'], short: { f: 'force' } });
  if (parsed.positionals.length === 0) throw new CommandError('requires at least 1 arg(s), only received 0');
  const force = flagBool(parsed, 'force');
  const killed = await ctx.mutate((state): string[] => {
    const targets = nukeTargets(state, parsed);
    if (targets.length === 0) {
      out(ctx.output, 'No polecats to nuke.');
      return [];
    }
    if (flagBool(parsed, 'dry-run')) {
      dryRun(ctx, state, targets);
      return [];
    }
    if (!force) {
      const blocked = targets.flatMap((t) => (t.p === undefined ? [] : [{ p: t.p, reasons: nukeBlockReasons(state, t.p) }])).filter((b) => b.reasons.length > 0);
      if (blocked.length > 0) refuse(ctx, blocked);
    }
    for (const t of targets) nukeOne(ctx, state, t, force);
    out(ctx.output);
    out(ctx.output, `✓ Nuked ${targets.length} polecat(s).`);
    return targets.map((t) => sessionName(state, t.rig, t.name));
  });
  // Session processes are killed after the polecats are gone, so none reports a death.
  await Promise.all(killed.map((session) => endSession(ctx.root, session, 'now', NUKE_WAIT_MS)));
}

export async function run(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const [sub = '', ...rest] = args;
  ctx.commandPath = `polecat ${sub}`;
  switch (sub) {
    case 'list': return list(ctx, rest);
    case 'status': return status(ctx, rest);
    case 'git-state': return gitState(ctx, rest);
    case 'check-recovery': return checkRecovery(ctx, rest);
    case 'nuke': return nuke(ctx, rest);
    default:
      throw new CommandError(`unknown command "${sub}" for "gt polecat"`, false);
  }
}
