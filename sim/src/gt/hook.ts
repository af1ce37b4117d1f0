// `gt hook status [target] --json`: what is on an agent's hook. It is an alias of
// `gt mol status` (gastown internal/cmd/hook.go hookStatusCmd -> runMoleculeStatus in
// molecule_status.go) and prints MoleculeStatusInfo, 2-space indented:
//   {target, role, agent_bead_id?, has_work, pinned_bead?, attached_molecule?, ..., is_wisp,
//    progress?, next_action}
// The compact `{agent, bead_id, title, status}` line belongs to `gt hook show`, not here.
// Faithful details: the target is used verbatim as the assignee to look for (a polecat's
// assignee is `<rig>/polecats/<name>`, so `<rig>/<name>` finds nothing); `role` is `""` for an
// explicit target; hooked beads first, then in_progress ones; a failed bead query is not an
// error: gt reports `has_work: false` and exits 0 (gastown #2638 territory).
import { flagBool, parseArgs } from '../args.ts';
import { polecatAgentBeadId } from '../domain.ts';
import type { SimState } from '../model.ts';
import { CommandError, json, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { dbDown, gtIssue } from './common.ts';

const NO_WORK = 'Check inbox for work assignments: gt mail inbox';
const NO_MOLECULE = 'Attach a molecule to start work: gt mol attach <bead-id> <molecule-id>';

/** gt's buildAgentBeadID for an explicit target, when that agent's bead exists. */
function agentBeadId(state: SimState, target: string): string | undefined {
  const parts = target.split('/');
  const rig = state.rigs[parts[0] ?? ''];
  if (target === 'mayor' || target === 'mayor/') return 'hq-mayor';
  if (target === 'deacon' || target === 'deacon/') return 'hq-deacon';
  if (rig === undefined) return undefined;
  const rigId = rig.name === rig.prefix ? rig.prefix : `${rig.prefix}-${rig.name}`;
  if (parts.length === 2 && (parts[1] === 'witness' || parts[1] === 'refinery')) return `${rigId}-${parts[1]}`;
  const name = parts.length === 2 ? parts[1] : parts.length === 3 && parts[1] === 'polecats' ? parts[2] : undefined;
  if (name === undefined || name === '' || state.polecats[`${rig.name}/${name}`] === undefined) return undefined;
  return polecatAgentBeadId(state, rig.name, name);
}

function status(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  if (parsed.positionals.length > 1) throw new CommandError(`accepts at most 1 arg(s), received ${parsed.positionals.length}`);
  const target = parsed.positionals[0];
  if (target === undefined) throw new CommandError('cannot determine agent identity (role: unknown)');
  const state = ctx.read();
  const beads = Object.values(state.beads).filter((b) => b.assignee === target);
  const bead = dbDown(ctx) ? undefined : (beads.find((b) => b.status === 'hooked') ?? beads.find((b) => b.status === 'in_progress'));
  const beadId = agentBeadId(state, target);
  const info: Record<string, unknown> = { target, role: '' };
  if (beadId !== undefined && !dbDown(ctx)) info['agent_bead_id'] = beadId;
  info['has_work'] = bead !== undefined;
  if (bead !== undefined) info['pinned_bead'] = gtIssue(bead);
  info['is_wisp'] = false;
  info['next_action'] = bead === undefined ? NO_WORK : NO_MOLECULE;
  if (flagBool(parsed, 'json')) {
    json(ctx.output, info);
    return;
  }
  out(ctx.output, `🪝 Hook Status: ${target}`);
  out(ctx.output);
  if (bead === undefined) {
    out(ctx.output, 'Nothing on hook - no work slung');
  } else {
    out(ctx.output, `🪝 Hooked: ${bead.id}: ${bead.title}`);
  }
  out(ctx.output);
  out(ctx.output, `Next: ${String(info['next_action'])}`);
}

export function run(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const [sub = '', ...rest] = args;
  ctx.commandPath = `hook ${sub}`;
  if (sub !== 'status') return Promise.reject(new CommandError(`unknown command "${sub}" for "gt hook"`, false));
  status(ctx, rest);
  return Promise.resolve();
}
