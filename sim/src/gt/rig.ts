// `gt rig list|status|park|unpark|dock|undock`. Park/dock write no event (as in gt): the
// operator can only notice them by reading state. Unpark/undock bring the witness and
// refinery back at once, standing in for the gt daemon that restarts them in real towns.
import { flagBool, parseArgs } from '../args.ts';
import { openMergeRequests, polecatsByRig, rigPolecats } from '../domain.ts';
import type { SimPolecat, SimRig, SimState } from '../model.ts';
import { CommandError, json, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { requireArgs, requireRig } from './common.ts';
import { join } from 'node:path';

function rigListEntry(rig: SimRig, polecats: readonly SimPolecat[]): Record<string, string | number> {
  return {
    name: rig.name,
    beads_prefix: rig.prefix,
    status: rig.status,
    witness: rig.witnessRunning ? 'running' : 'stopped',
    refinery: rig.refineryRunning ? 'running' : 'stopped',
    polecats: polecats.filter((p) => p.worktree).length,
    crew: rig.crew.length,
  };
}

/** gt's rigStatePriority. */
function sortPriority(rig: SimRig): number {
  if (rig.witnessRunning && rig.refineryRunning) return 0;
  if (rig.witnessRunning || rig.refineryRunning) return 1;
  return rig.status === 'parked' ? 3 : rig.status === 'docked' ? 4 : 2;
}

function list(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  const state = ctx.read();
  // gt's order (rig.go runRigList): both agents running, one running, none, parked, docked;
  // then by name (Go string order).
  const rigs = Object.values(state.rigs).sort((a, b) => sortPriority(a) - sortPriority(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (rigs.length === 0) {
    out(ctx.output, 'No rigs configured.');
    out(ctx.output);
    out(ctx.output, 'Add one with: gt rig add <name> <git-url>');
    return;
  }
  const byRig = polecatsByRig(state);
  if (flagBool(parsed, 'json')) {
    json(ctx.output, rigs.map((r) => rigListEntry(r, byRig.get(r.name) ?? [])));
    return;
  }
  out(ctx.output, 'Rigs');
  out(ctx.output);
  for (const r of rigs) {
    const e = rigListEntry(r, byRig.get(r.name) ?? []);
    out(ctx.output, `  ${r.name}  [${r.status}]  polecats: ${e['polecats']}  witness: ${e['witness']}  refinery: ${e['refinery']}`);
  }
}

function statusLine(rig: SimRig): string {
  if (rig.status === 'parked') return '  Status: PARKED (local)';
  if (rig.status === 'docked') return '  Status: DOCKED (global)';
  return '  Status: OPERATIONAL';
}

function status(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, {});
  if (parsed.positionals.length === 0) throw new CommandError('could not detect rig from current directory; please specify rig name');
  const state = ctx.read();
  const rig = requireRig(state, parsed.positionals[0] ?? '');
  const o = ctx.output;
  out(o, rig.name);
  out(o, statusLine(rig));
  out(o, `  Path: ${join(ctx.root, rig.name)}`);
  out(o, `  Beads prefix: ${rig.prefix}-`);
  out(o);
  out(o, 'Witness');
  out(o, rig.witnessRunning ? '  ● running' : '  ○ stopped');
  out(o);
  out(o, 'Refinery');
  out(o, rig.refineryRunning ? '  ● running' : '  ○ stopped');
  if (rig.refineryRunning) out(o, `  Queue: ${openMergeRequests(state, rig).length} items`);
  out(o);
  const polecats = rigPolecats(state, rig.name);
  out(o, polecats.length === 0 ? 'Polecats (none)' : `Polecats (${polecats.length})`);
  for (const p of polecats) out(o, `  ${p.sessionRunning ? '●' : '○'} ${p.name}: ${p.state}`);
  out(o);
  out(o, rig.crew.length === 0 ? 'Crew (none)' : `Crew (${rig.crew.length})`);
  for (const c of rig.crew) out(o, `  ○ ${c}: main`);
}

type RigAction = 'park' | 'unpark' | 'dock' | 'undock';

function applyAction(rig: SimRig, state: SimState, action: RigAction): string[] {
  const lines: string[] = [];
  const stopAgents = (): void => {
    if (rig.witnessRunning) lines.push('  Stopping witness...');
    if (rig.refineryRunning) lines.push('  Stopping refinery...');
    rig.witnessRunning = false;
    rig.refineryRunning = false;
  };
  if (action === 'park') {
    lines.push(`Parking rig ${rig.name}...`);
    stopAgents();
    rig.status = 'parked';
    lines.push(`✓ Rig ${rig.name} parked (local only)`, '  Daemon will not auto-restart');
  } else if (action === 'dock') {
    if (rig.status === 'docked') return [`• Rig ${rig.name} is already docked`];
    lines.push(`Docking rig ${rig.name}...`);
    stopAgents();
    const running = rigPolecats(state, rig.name).filter((p) => p.sessionRunning);
    if (running.length > 0) lines.push(`  Stopping ${running.length} polecat session(s)...`);
    for (const p of running) p.sessionRunning = false;
    rig.status = 'docked';
    lines.push(`✓ Rig ${rig.name} docked (global)`, '  Label added: status:docked', '  Beads changes persisted via Dolt');
  } else if (action === 'undock') {
    if (rig.status !== 'docked') return [`• Rig ${rig.name} is not docked`];
    Object.assign(rig, { status: 'operational', witnessRunning: true, refineryRunning: true });
    lines.push(`✓ Rig ${rig.name} undocked`);
  } else {
    Object.assign(rig, { status: 'operational', witnessRunning: true, refineryRunning: true });
    lines.push(`✓ Rig ${rig.name} unparked`, '  Daemon can now auto-restart agents', `  Use 'gt rig start ${rig.name}' to start agents immediately`);
  }
  return lines;
}

async function changeRig(ctx: CommandContext, args: readonly string[], action: RigAction): Promise<void> {
  const parsed = parseArgs(args, {});
  requireArgs(parsed.positionals, 1, 1, '');
  const name = parsed.positionals[0] ?? '';
  const lines = await ctx.mutate((state) => applyAction(requireRig(state, name), state, action));
  for (const line of lines) out(ctx.output, line);
}

export async function run(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const [sub = '', ...rest] = args;
  ctx.commandPath = `rig ${sub}`;
  switch (sub) {
    case 'list': return list(ctx, rest);
    case 'status': return status(ctx, rest);
    case 'park':
    case 'unpark':
    case 'dock':
    case 'undock':
      return changeRig(ctx, rest, sub);
    default:
      throw new CommandError(`unknown command "${sub}" for "gt rig"`, false);
  }
}
