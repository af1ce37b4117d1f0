// `gt witness status`, `gt refinery status` and `gt mq list`: the rig-level agents and the
// refinery's merge queue (open merge-request beads of the rig).
import { relative } from 'node:path';
import { flagBool, parseArgs } from '../args.ts';
import { openMergeRequests, rigPolecats } from '../domain.ts';
import { CommandError, json, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { DB_DOWN_MESSAGE, bdIssue, dbDown, requireRig } from './common.ts';

/** The rig named by the first path segment of the cwd below the town, as gt infers it. */
function rigFromCwd(ctx: CommandContext): string | undefined {
  const rel = relative(ctx.root, ctx.cwd);
  const first = rel.split('/')[0];
  return rel !== '' && !rel.startsWith('..') && first !== undefined && first in ctx.read().rigs ? first : undefined;
}

function witnessStatus(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  const name = parsed.positionals[0] ?? rigFromCwd(ctx);
  if (name === undefined) throw new CommandError('could not detect rig from current directory; please specify rig name');
  const state = ctx.read();
  const rig = requireRig(state, name);
  const polecats = rigPolecats(state, rig.name).map((p) => p.name);
  if (!flagBool(parsed, 'json')) {
    out(ctx.output, `Witness: ${rig.name}`);
    out(ctx.output, `  State: ${rig.witnessRunning ? '● running' : '○ stopped'}`);
    return;
  }
  const body: Record<string, unknown> = { running: rig.witnessRunning, rig_name: rig.name };
  if (rig.witnessRunning) body['session'] = `gt-${rig.name}-witness`;
  if (rig.witnessRunning && polecats.length > 0) body['monitored_polecats'] = polecats;
  json(ctx.output, body);
}

function refineryStatus(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  const name = parsed.positionals[0] ?? rigFromCwd(ctx);
  if (name === undefined) throw new CommandError('could not detect rig from current directory; please specify rig name');
  const state = ctx.read();
  const rig = requireRig(state, name);
  const queue = openMergeRequests(state, rig).length;
  if (!flagBool(parsed, 'json')) {
    out(ctx.output, `Refinery: ${rig.name}`);
    out(ctx.output, `  State: ${rig.refineryRunning ? '● running' : '○ stopped'}`);
    out(ctx.output, `  Queue: ${queue} items`);
    return;
  }
  const body: Record<string, unknown> = { running: rig.refineryRunning, rig_name: rig.name };
  if (rig.refineryRunning) body['session'] = `gt-${rig.name}-refinery`;
  body['queue_length'] = queue;
  json(ctx.output, body);
}

function mqList(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json', 'ready', 'verify'], values: ['status', 'worker', 'epic'] });
  const name = parsed.positionals[0] ?? rigFromCwd(ctx);
  if (name === undefined) throw new CommandError('could not detect rig from current directory; please specify rig name');
  const state = ctx.read();
  const rig = requireRig(state, name);
  if (dbDown(ctx)) throw new CommandError(`querying merge queue: ${DB_DOWN_MESSAGE}`);
  const mrs = openMergeRequests(state, rig).sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt));
  if (flagBool(parsed, 'json')) {
    // gt encodes a nil Go slice here, so an empty queue prints `null`, not `[]`.
    json(ctx.output, mrs.length === 0 ? null : mrs.map(bdIssue));
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
