// `gt polecat list|status|git-state|check-recovery|nuke`. The list applies gt's state
// rewrite and skips a failing rig with a stderr warning (exit 0); status shows the raw state
// and zone-less local times; nuke refuses dirty polecats on stdout + a stderr error, and is
// idempotent for polecats that are already gone. Nuke writes no event, as in gt.
import { flagBool, parseArgs } from '../args.ts';
import type { ParsedArgs } from '../args.ts';
import {
  findPolecat, listState, nukeBlockReasons, recoveryStatus, removePolecat, rigPolecats, sessionName, worktreePath,
} from '../domain.ts';
import { goLocalTime } from '../ids.ts';
import type { SimPolecat, SimState } from '../model.ts';
import { CommandError, err, json, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { DB_DOWN_MESSAGE, dbDown, parsePolecatAddress, requirePolecat, requireRig } from './common.ts';

interface ListItem {
  rig: string;
  name: string;
  state: string;
  issue?: string;
  session_running: boolean;
  zombie?: boolean;
  session_name?: string;
}

function listItem(p: SimPolecat): ListItem {
  // Key order follows gt's struct: rig, name, state, issue, session_running, zombie, session_name.
  const item: ListItem = {
    rig: p.rig, name: p.name, state: listState(p), ...(p.hookBead !== undefined ? { issue: p.hookBead } : {}), session_running: p.sessionRunning,
  };
  if (!p.worktree) {
    item.zombie = true;
    item.session_name = sessionName(p.rig, p.name);
  }
  return item;
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
  for (const rig of rigs) {
    if (dbDown(ctx)) {
      err(ctx.output, `warning: failed to list polecats in ${rig}: ${DB_DOWN_MESSAGE}`);
      continue;
    }
    items.push(...rigPolecats(state, rig).map(listItem));
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
  }
}

function status(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  const arg = parsed.positionals[0];
  if (arg === undefined) throw new CommandError('accepts 1 arg(s), received 0');
  const p = requirePolecat(ctx.read(), arg);
  const body: Record<string, unknown> = { rig: p.rig, name: p.name, state: p.state };
  if (p.hookBead !== undefined) body['issue'] = p.hookBead;
  Object.assign(body, { clone_path: worktreePath(ctx.root, p.rig, p.name), branch: p.branch, session_running: p.sessionRunning });
  if (p.sessionRunning) {
    // Session details come from tmux, so they only exist while a session runs.
    Object.assign(body, { session_id: sessionName(p.rig, p.name), windows: 1, created_at: goLocalTime(p.createdAt), last_activity: goLocalTime(p.lastActivity) });
  }
  if (flagBool(parsed, 'json')) {
    json(ctx.output, body);
    return;
  }
  out(ctx.output, `Polecat: ${p.rig}/${p.name}`);
  out(ctx.output);
  out(ctx.output, `  State:         ${p.state}`);
  out(ctx.output, `  Issue:         ${p.hookBead ?? '(none)'}`);
  out(ctx.output, `  Branch:        ${p.branch}`);
  out(ctx.output);
  out(ctx.output, 'Session');
  out(ctx.output, `  Status:        ${p.sessionRunning ? 'running' : 'not running'}`);
}

function gitState(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  const p = requirePolecat(ctx.read(), parsed.positionals[0] ?? '');
  if (!p.worktree) throw new CommandError(`getting git state: chdir ${worktreePath(ctx.root, p.rig, p.name)}: no such file or directory`);
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

function checkRecovery(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  const state = ctx.read();
  const status = recoveryStatus(state, requirePolecat(state, parsed.positionals[0] ?? ''));
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

/** Resolves nuke targets; polecats that do not exist are skipped (nuke is idempotent). */
function nukeTargets(state: SimState, parsed: ParsedArgs): SimPolecat[] {
  const targets: SimPolecat[] = [];
  for (const arg of parsed.positionals) {
    if (flagBool(parsed, 'all') && !arg.includes('/')) {
      targets.push(...rigPolecats(state, requireRig(state, arg).name));
      continue;
    }
    const addr = parsePolecatAddress(arg);
    requireRig(state, addr.rig);
    const p = findPolecat(state, addr.rig, addr.name);
    if (p !== undefined) targets.push(p);
  }
  return targets;
}

function dryRun(ctx: CommandContext, targets: readonly SimPolecat[]): void {
  for (const p of targets) {
    out(ctx.output, `Would nuke ${p.rig}/${p.name}:`);
    out(ctx.output, `  - Kill session: gt-${p.rig}-${p.name}`);
    out(ctx.output, `  - Delete worktree: ${ctx.root}/${p.rig}/polecats/${p.name}`);
    out(ctx.output, '  - Delete branch (if exists)');
    out(ctx.output, `  - Close agent bead: ${p.rig}-polecat-${p.name}`);
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

function nukeOne(ctx: CommandContext, state: SimState, p: SimPolecat, force: boolean): void {
  out(ctx.output, force ? `⚠ Nuking ${p.rig}/${p.name} (--force)...` : `Nuking ${p.rig}/${p.name}...`);
  if (p.sessionRunning) out(ctx.output, '  ✓ killed session');
  out(ctx.output, p.worktree ? '  ✓ deleted worktree' : '  ○ worktree already gone');
  out(ctx.output, `  ✓ deleted local branch ${p.branch}`);
  out(ctx.output, `  ✓ closed agent bead ${p.rig}-polecat-${p.name}`);
  removePolecat(ctx.root, state, p);
}

async function nuke(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parseArgs(args, { bools: ['force', 'dry-run', 'all'], short: { f: 'force' } });
  if (parsed.positionals.length === 0) throw new CommandError('requires at least 1 arg(s), only received 0');
  const force = flagBool(parsed, 'force');
  await ctx.mutate((state) => {
    const targets = nukeTargets(state, parsed);
    if (targets.length === 0) {
      out(ctx.output, 'No polecats to nuke.');
      return;
    }
    if (flagBool(parsed, 'dry-run')) {
      dryRun(ctx, targets);
      return;
    }
    if (!force) {
      const blocked = targets.map((p) => ({ p, reasons: nukeBlockReasons(state, p) })).filter((b) => b.reasons.length > 0);
      if (blocked.length > 0) refuse(ctx, blocked);
    }
    for (const p of targets) nukeOne(ctx, state, p, force);
    out(ctx.output);
    out(ctx.output, `✓ Nuked ${targets.length} polecat(s).`);
  });
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
