// `gt hook status [target] --json`: what is on an agent's hook. gt prints this JSON with a
// plain json.Encoder (no indent), so it is one compact line, unlike most gt JSON.
import { flagBool, parseArgs } from '../args.ts';
import { CommandError, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { DB_DOWN_MESSAGE, dbDown } from './common.ts';

function normalise(target: string): string {
  const parts = target.split('/');
  // `<rig>/<name>` is shorthand for the polecat address `<rig>/polecats/<name>`.
  return parts.length === 2 && parts[1] !== '' && !['witness', 'refinery', 'crew'].includes(parts[1] ?? '') ? `${parts[0] ?? ''}/polecats/${parts[1] ?? ''}` : target;
}

function status(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  const raw = parsed.positionals[0];
  if (raw === undefined) throw new CommandError('auto-detecting agent (use explicit argument): not in an agent session');
  if (dbDown(ctx)) throw new CommandError(`listing hooked beads: ${DB_DOWN_MESSAGE}`);
  const target = normalise(raw);
  const bead = Object.values(ctx.read().beads).find((b) => b.status === 'hooked' && b.assignee === target);
  if (flagBool(parsed, 'json')) {
    const info = bead === undefined ? { agent: target, status: 'empty' } : { agent: target, bead_id: bead.id, title: bead.title, status: bead.status };
    out(ctx.output, JSON.stringify(info));
    return;
  }
  out(ctx.output, bead === undefined ? `${target}: (empty)` : `${target}: ${bead.id} '${bead.title}' [${bead.status}]`);
}

export function run(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const [sub = '', ...rest] = args;
  ctx.commandPath = `hook ${sub}`;
  if (sub !== 'status') return Promise.reject(new CommandError(`unknown command "${sub}" for "gt hook"`, false));
  status(ctx, rest);
  return Promise.resolve();
}
