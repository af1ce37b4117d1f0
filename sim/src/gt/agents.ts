// `gt witness status`, `gt refinery status` and `gt mq list`: the rig-level agents and the
// refinery's merge queue (merge-request beads of the rig; `gt mq list` shows the open ones
// unless `--status` asks for others: gastown internal/cmd/mq_list.go).
import { relative } from 'node:path';
import { flagBool, flagValue, parseArgs } from '../args.ts';
import { openMergeRequests, rigAgentSession, rigMergeRequests, rigPolecats } from '../domain.ts';
import { CommandError, json, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { DB_DOWN_MESSAGE, dbDown, gtMqIssue, requireArgs, requireRig } from './common.ts';

/** The rig named by the first path segment of the cwd below the town, as gt infers it. */
function rigFromCwd(ctx: CommandContext): string | undefined {
  const rel = relative(ctx.root, ctx.cwd);
  const first = rel.split('/')[0];
  return rel !== '' && !rel.startsWith('..') && first !== undefined && first in ctx.read().rigs ? first : undefined;
}

function witnessStatus(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  // cobra.ExactArgs(1): the witness status does not infer the rig from the cwd.
  requireArgs(parsed.positionals, 1, 1, '');
  const state = ctx.read();
  const rig = requireRig(state, parsed.positionals[0] ?? '');
  // "Polecats come from rig config": the polecat directories, whether or not the witness runs.
  const polecats = rigPolecats(state, rig.name).filter((p) => p.worktree).map((p) => p.name);
  if (!flagBool(parsed, 'json')) {
    out(ctx.output, `👁 Witness: ${rig.name}`);
    out(ctx.output);
    out(ctx.output, `  State: ${rig.witnessRunning ? '● running' : '○ stopped'}`);
    if (rig.witnessRunning) out(ctx.output, `  Session: ${rigAgentSession(state, rig.name, 'witness')}`);
    return;
  }
  const body: Record<string, unknown> = { running: rig.witnessRunning, rig_name: rig.name };
  if (rig.witnessRunning) body['session'] = rigAgentSession(state, rig.name, 'witness');
  if (polecats.length > 0) body['monitored_polecats'] = polecats;
  json(ctx.output, body);
}

function refineryRig(ctx: CommandContext, name: string | undefined): string {
  if (name !== undefined) return name;
  const inferred = rigFromCwd(ctx);
  if (inferred === undefined) throw new CommandError('could not determine rig: not in a rig directory\nUsage: gt refinery <command> <rig>');
  return inferred;
}

function refineryStatus(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  const state = ctx.read();
  const rig = requireRig(state, refineryRig(ctx, parsed.positionals[0]));
  // The refinery's Queue(): open MRs only (in_progress ones are being merged); a failed
  // query reads as an empty queue.
  const queue = dbDown(ctx) ? 0 : openMergeRequests(state, rig).filter((m) => m.status === 'open').length;
  if (!flagBool(parsed, 'json')) {
    out(ctx.output, `⚙ Refinery: ${rig.name}`);
    out(ctx.output);
    out(ctx.output, `  State: ${rig.refineryRunning ? '● running' : '○ stopped'}`);
    if (rig.refineryRunning) out(ctx.output, `  Session: ${rigAgentSession(state, rig.name, 'refinery')}`);
    out(ctx.output);
    out(ctx.output, `  Queue: ${queue} pending`);
    return;
  }
  const body: Record<string, unknown> = { running: rig.refineryRunning, rig_name: rig.name };
  if (rig.refineryRunning) body['session'] = rigAgentSession(state, rig.name, 'refinery');
  body['queue_length'] = queue;
  json(ctx.output, body);
}

function mqList(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json', 'ready', 'verify'], values: ['status', 'worker', 'epic'] });
  requireArgs(parsed.positionals, 1, 1, '');
  const state = ctx.read();
  const rig = requireRig(state, parsed.positionals[0] ?? '');
  if (dbDown(ctx)) throw new CommandError(`querying merge queue: ${DB_DOWN_MESSAGE}`);
  const wanted = flagValue(parsed, 'status');
  // Without --status (or with --ready) gt shows open MRs only, in_progress ones excluded;
  // --status matches the bead status exactly (case-insensitive), `all` shows every status.
  const mrs = rigMergeRequests(state, rig)
    .filter((m) => (wanted === undefined || wanted === '' || flagBool(parsed, 'ready') ? m.status === 'open' : wanted.toLowerCase() === 'all' || m.status === wanted.toLowerCase()))
    .sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt));
  if (flagBool(parsed, 'json')) {
    // gt encodes a nil Go slice here, so an empty queue prints `null`, not `[]`.
    json(ctx.output, mrs.length === 0 ? null : mrs.map(gtMqIssue));
    return;
  }
  out(ctx.output, `📋 Merge queue for '${rig.name}':`);
  out(ctx.output);
  if (mrs.length === 0) out(ctx.output, '  (empty)');
  for (const mr of mrs) out(ctx.output, `  ${mr.id}: ${mr.title} [${mr.status}]`);
}

export async function run(ctx: CommandContext, group: 'witness' | 'refinery' | 'mq', args: readonly string[]): Promise<void> {
  const [sub = '', ...rest] = args;
  ctx.commandPath = `${group} ${sub}`;
  if (group === 'witness' && sub === 'status') return witnessStatus(ctx, rest);
  if (group === 'refinery' && sub === 'status') return refineryStatus(ctx, rest);
  if (group === 'mq' && sub === 'list') return mqList(ctx, rest);
  return Promise.reject(new CommandError(`unknown command "${sub}" for "gt ${group}"`, false));
}
