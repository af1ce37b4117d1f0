// `gt nudge <target> [message]` and `gt peek <target> [count]`, plus the session start that
// `gt sling` does for a rig whose settings configure a wrapper or an agent (see
// ../session/sessions.ts). Output lines follow gastown internal/cmd/nudge.go and peek.go.
import { flagBool, flagValue, parseArgs } from '../args.ts';
import { sessionName, worktreePath } from '../domain.ts';
import type { SimPolecat } from '../model.ts';
import { CommandError, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { readRigRuntime, runsProcesses } from '../session/config.ts';
import type { RigRuntime } from '../session/config.ts';
import { liveSession } from '../session/record.ts';
import { nudgeSession, peekSession, startSession } from '../session/sessions.ts';
import { requirePolecat } from './common.ts';

/** The rig's runtime settings, or the error gt prints for unreadable settings. */
export function rigRuntime(ctx: CommandContext, rig: string): RigRuntime {
  try {
    return readRigRuntime(ctx.root, rig);
  } catch (error) {
    throw new CommandError(error instanceof Error ? error.message : String(error), false);
  }
}

/** Starts the polecat's session process when the rig runs real sessions (idempotent). */
export async function startPolecatSession(ctx: CommandContext, runtime: RigRuntime, p: SimPolecat): Promise<void> {
  if (!runsProcesses(runtime)) return;
  const session = sessionName(ctx.read(), p.rig, p.name);
  await startSession({ root: ctx.root, rig: p.rig, polecat: p.name, session, cwd: worktreePath(ctx.root, p.rig, p.name) }, runtime, ctx.env);
}

async function nudge(ctx: CommandContext, args: readonly string[]): Promise<void> {
  ctx.commandPath = 'nudge';
  const parsed = parseArgs(args, { bools: ['force', 'stdin', 'if-fresh'], values: ['message', 'mode', 'priority'], short: { m: 'message', f: 'force' } });
  const [target, positional, ...extra] = parsed.positionals;
  if (target === undefined || extra.length > 0) throw new CommandError(`accepts between 1 and 2 arg(s), received ${parsed.positionals.length}`);
  const message = flagValue(parsed, 'message') ?? positional;
  if (message === undefined || message === '' || flagBool(parsed, 'stdin')) throw new CommandError('message required: gt nudge <target> <message> (or -m)');
  const mode = flagValue(parsed, 'mode') ?? 'wait-idle';
  const state = ctx.read();
  const p = requirePolecat(state, target);
  const session = sessionName(state, p.rig, p.name);
  if (!p.sessionRunning) throw new CommandError(`session "${session}" not found (cannot queue nudge for nonexistent session)`, false);
  const record = liveSession(ctx.root, session);
  // A flag-only session (rig without a wrapper or agent) has no process to type into.
  if (record !== undefined) await nudgeSession(record, message);
  out(ctx.output, `✓ Nudged ${p.rig}/${p.name} (${mode})`);
}

function peek(ctx: CommandContext, args: readonly string[]): void {
  ctx.commandPath = 'peek';
  const parsed = parseArgs(args, { values: ['lines'], short: { n: 'lines' } });
  const [target, count, ...extra] = parsed.positionals;
  if (target === undefined || extra.length > 0) throw new CommandError(`accepts between 1 and 2 arg(s), received ${parsed.positionals.length}`);
  const lines = Number(count ?? flagValue(parsed, 'lines') ?? '100');
  if (!Number.isInteger(lines) || lines <= 0) throw new CommandError(`invalid line count: ${count ?? ''}`);
  const state = ctx.read();
  const p = requirePolecat(state, target);
  const session = sessionName(state, p.rig, p.name);
  if (!p.sessionRunning && liveSession(ctx.root, session) === undefined) throw new CommandError(`capturing output: session not found: ${session}`, false);
  ctx.output.stdout.push(peekSession(ctx.root, session, lines));
}

export async function run(ctx: CommandContext, group: 'nudge' | 'peek', args: readonly string[]): Promise<void> {
  if (group === 'nudge') return nudge(ctx, args);
  peek(ctx, args);
  return Promise.resolve();
}
