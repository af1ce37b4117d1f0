// `gt sling <bead> <target>`: every output and refusal of the contract, in gt's order of
// checks (bead lookup, closed, already-hooked idempotency / dead-agent auto-force, scheduler
// mode, parked rig, spawn or reuse, convoy, hook). Runs entirely under the town lock, so
// concurrent slings of one bead serialise: the second sees the first one's hook.
import { flagBool, flagValue, parseArgs } from '../args.ts';
import type { ParsedArgs } from '../args.ts';
import { agentAddress, polecatByAddress } from '../domain.ts';
import { defaultRng, freshId, rfc3339 } from '../ids.ts';
import type { SimBead, SimPolecat, SimRig, SimState } from '../model.ts';
import { CommandError, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { ensureConvoy, slingToRig } from '../slinging.ts';
import type { SlingResult } from '../slinging.ts';
import { actor, dbDown } from './common.ts';
import { rigRuntime, startPolecatSession } from './session.ts';
import { isCurrent } from '../version.ts';

const SLING_FLAGS = {
  bools: ['no-convoy', 'dry-run', 'force', 'create', 'hook-raw-bead', 'owned', 'no-boot', 'no-merge'],
  values: ['message', 'agent', 'account', 'merge', 'base-branch', 'args', 'subject', 'formula', 'var'],
  short: { n: 'dry-run', m: 'message', f: 'force', a: 'args', s: 'subject' },
} as const;

/** gt v1.2 adds `--branch <name>` and `--pr <n>`: the polecat resumes an existing branch or PR. */
const SLING_FLAGS_V12 = { ...SLING_FLAGS, values: [...SLING_FLAGS.values, 'branch', 'pr'] } as const;

/**
 * The branch a `--branch`/`--pr` sling resumes. gt asks `gh pr view <n>` for a PR's head
 * branch; the sim has no GitHub, so PR n stands for the branch `pr/<n>`.
 */
function resumeBranch(parsed: ParsedArgs): string | undefined {
  const branch = flagValue(parsed, 'branch');
  const pr = flagValue(parsed, 'pr');
  if (branch !== undefined && pr !== undefined) throw new CommandError('--branch and --pr are mutually exclusive');
  if (pr !== undefined && !/^[1-9][0-9]*$/.test(pr)) throw new CommandError(`invalid --pr value "${pr}": must be a pull request number`);
  return branch ?? (pr !== undefined ? `pr/${pr}` : undefined);
}

function isDead(state: SimState, assignee: string): boolean {
  const p = polecatByAddress(state, assignee);
  return p === undefined || !p.sessionRunning;
}

function matchesTarget(target: string, assignee: string): boolean {
  return target === assignee || assignee.startsWith(`${target}/polecats/`);
}

type Guard = 'proceed' | 'force' | 'noop';

/** The already-assigned checks; prints the no-op / auto-force lines, throws the refusal. */
function checkAssignment(ctx: CommandContext, state: SimState, bead: SimBead, target: string, force: boolean): Guard {
  if (bead.status === 'closed' || bead.status === 'tombstone') throw new CommandError(`bead ${bead.id} is ${bead.status} (work already completed)`);
  if (force || !['pinned', 'hooked', 'in_progress'].includes(bead.status)) return force ? 'force' : 'proceed';
  if (bead.status !== 'pinned' && bead.assignee !== '' && isDead(state, bead.assignee)) {
    out(ctx.output, `⚠ Hooked agent ${bead.assignee} has no active session, auto-forcing re-sling...`);
    return 'force';
  }
  if (matchesTarget(target, bead.assignee)) {
    out(ctx.output, `○ Bead ${bead.id} is already ${bead.status} to ${bead.assignee}, no-op`);
    return 'noop';
  }
  throw new CommandError(`bead ${bead.id} is already ${bead.status} to ${bead.assignee === '' ? '(unknown)' : bead.assignee}\nUse --force to re-sling`);
}

function requireOpenRig(state: SimState, name: string): SimRig {
  const rig = state.rigs[name];
  if (rig === undefined) throw new CommandError(`'${name}' is not a known rig`);
  if (rig.status !== 'operational') {
    const undo = rig.status === 'docked' ? 'gt rig undock' : 'gt rig unpark';
    throw new CommandError(`cannot sling to ${rig.status} rig "${rig.name}"\n${undo} ${rig.name}`);
  }
  return rig;
}

/**
 * Scheduler mode (gastown sling_schedule.go scheduleBead): its own checks, not sling's. An
 * unknown bead is `bead '<id>' not found`; a closed bead is not refused; a bead already
 * queued is a no-op; a hooked one is refused with "--force to override" (no dead-agent
 * auto-force, no same-target no-op); a parked rig is not checked here (the dispatcher does).
 */
function schedule(ctx: CommandContext, state: SimState, beadId: string, rigName: string, parsed: ParsedArgs): void {
  const bead = state.beads[beadId];
  if (bead === undefined || dbDown(ctx)) throw new CommandError(`bead '${beadId}' not found`);
  const rig = state.rigs[rigName];
  if (rig === undefined) throw new CommandError(`'${rigName}' is not a known rig`);
  const queued = state.scheduled.find((q) => q.bead === bead.id);
  if (queued !== undefined) {
    out(ctx.output, `○ Bead ${bead.id} is already scheduled (context: ${queued.contextId}), no-op`);
    return;
  }
  if (['pinned', 'hooked', 'in_progress'].includes(bead.status) && !flagBool(parsed, 'force')) {
    throw new CommandError(`bead ${bead.id} is already ${bead.status} to ${bead.assignee}\nUse --force to override`);
  }
  if (flagBool(parsed, 'dry-run')) {
    out(ctx.output, `Would schedule ${bead.id} → ${rig.name}`);
    out(ctx.output, '  Would create sling context bead');
    if (!flagBool(parsed, 'no-convoy')) out(ctx.output, '  Would create auto-convoy');
    return;
  }
  const contextId = freshId('hq', state.beads, defaultRng);
  if (!flagBool(parsed, 'no-convoy')) {
    const convoy = ensureConvoy(state, bead, defaultRng);
    out(ctx.output, convoy.created ? `→ Created convoy ${convoy.id}` : `○ Already tracked by convoy ${convoy.id}`);
  }
  state.scheduled.push({ bead: bead.id, rig: rig.name, contextId, queuedAt: rfc3339() });
  out(ctx.output, `✓ Scheduled ${bead.id} → ${rig.name} (context: ${contextId})`);
  ctx.events.push({ type: 'scheduler_enqueue', actor: actor(ctx), payload: { bead: bead.id, rig: rig.name } });
}

interface Resolved {
  rig: SimRig;
  polecat?: SimPolecat;
  fresh: boolean;
}

function resolveTarget(ctx: CommandContext, state: SimState, target: string): Resolved {
  const parts = target.split('/');
  if (parts.length === 1) {
    const rig = requireOpenRig(state, target);
    out(ctx.output, `Target is rig '${rig.name}', spawning fresh polecat...`);
    return { rig, fresh: false };
  }
  if (parts.length === 3 && parts[1] === 'polecats') {
    const rig = state.rigs[parts[0] ?? ''];
    if (rig === undefined) throw new CommandError(`resolving target: rig '${parts[0] ?? ''}' not found`);
    const polecat = polecatByAddress(state, target);
    if (polecat !== undefined && polecat.sessionRunning) return { rig, polecat, fresh: false };
    out(ctx.output, `Target polecat has no active session, spawning fresh polecat in rig '${rig.name}'...`);
    return { rig, fresh: true };
  }
  throw new CommandError(`resolving target: unknown agent '${target}'`);
}

function dryRunSling(ctx: CommandContext, state: SimState, bead: SimBead, target: string, parsed: ParsedArgs): void {
  const rig = target.includes('/') ? undefined : requireOpenRig(state, target);
  const agent = rig === undefined ? target : `${rig.name}/polecats/<new>`;
  if (rig !== undefined) out(ctx.output, `Would spawn fresh polecat in rig '${rig.name}'`);
  out(ctx.output, `🎯 Slinging ${bead.id} to ${agent}...`);
  if (!flagBool(parsed, 'no-convoy')) {
    out(ctx.output, `Would create convoy 'Work: ${bead.title}'`);
    out(ctx.output, `Would add tracking relation to ${bead.id}`);
  }
  out(ctx.output, `Would run: bd update ${bead.id} --status=hooked --assignee=${agent}`);
}

/** Takes the bead off its previous (dead or forced-away) owner, after the new one is hooked. */
function unhookPrevious(ctx: CommandContext, state: SimState, bead: SimBead, previous: string | undefined): void {
  const old = previous !== undefined ? polecatByAddress(state, previous) : undefined;
  if (old === undefined || old.hookBead !== bead.id) return;
  delete old.hookBead;
  old.state = 'idle';
  ctx.events.push({ type: 'unhook', actor: agentAddress(old), payload: { bead: bead.id } });
}

function printSling(ctx: CommandContext, bead: SimBead, result: SlingResult, forcedFrom: string | undefined, explicit: boolean): void {
  const o = ctx.output;
  if (!explicit && result.reused) {
    out(o, `Reusing idle polecat: ${result.polecat.name}`);
    out(o, `✓ Polecat ${result.polecat.name} reused (idle → working, session start deferred)`);
  } else if (!explicit) {
    out(o, `Created polecat: ${result.polecat.name}`);
    out(o, `✓ Polecat ${result.polecat.name} spawned (session start deferred)`);
  }
  out(o, `🎯 Slinging ${bead.id} to ${agentAddress(result.polecat)}...`);
  if (forcedFrom !== undefined) out(o, `⚠ Bead already hooked to ${forcedFrom}, forcing reassignment...`);
  if (result.convoy?.created === true) {
    out(o, `→ Created convoy 🚚 ${result.convoy.id}`);
    out(o, `  Tracking: ${bead.id}`);
  } else if (result.convoy !== undefined) {
    out(o, `○ Already tracked by convoy ${result.convoy.id}`);
  }
  out(o, '✓ Work attached to hook (status=hooked)');
}

/** Slings under the town lock; returns the polecat now holding the bead (none for a no-op). */
function slingInLock(ctx: CommandContext, state: SimState, beadId: string, target: string, parsed: ParsedArgs): SimPolecat | undefined {
  if (state.settings.maxPolecats > 0 && target in state.rigs) {
    schedule(ctx, state, beadId, target, parsed);
    return undefined;
  }
  const bead = state.beads[beadId];
  // gt's getBeadInfo turns every bd failure (a database that is down too) into "not found".
  if (bead === undefined || dbDown(ctx)) throw new CommandError(`checking bead status: bead '${beadId}' not found`);
  const guard = checkAssignment(ctx, state, bead, target, flagBool(parsed, 'force'));
  if (guard === 'noop') return undefined;
  if (flagBool(parsed, 'dry-run')) {
    dryRunSling(ctx, state, bead, target, parsed);
    return undefined;
  }
  const resolved = resolveTarget(ctx, state, target);
  const forcedFrom = guard === 'force' && bead.assignee !== '' ? bead.assignee : undefined;
  const branch = resumeBranch(parsed);
  const opts = {
    convoy: !flagBool(parsed, 'no-convoy'), actor: actor(ctx), fresh: resolved.fresh,
    ...(resolved.polecat !== undefined ? { polecat: resolved.polecat } : {}), ...(branch !== undefined ? { branch } : {}),
  };
  const previous = bead.assignee !== '' ? bead.assignee : undefined;
  const result = slingToRig(ctx.root, state, bead, resolved.rig, opts, defaultRng);
  unhookPrevious(ctx, state, bead, previous);
  printSling(ctx, bead, result, forcedFrom, resolved.polecat !== undefined);
  ctx.events.push(...result.events);
  return result.polecat;
}

export async function run(ctx: CommandContext, args: readonly string[]): Promise<void> {
  ctx.commandPath = 'sling';
  const parsed = parseArgs(args, isCurrent(ctx.read(), ctx.env) ? SLING_FLAGS_V12 : SLING_FLAGS);
  const [beadId, target, ...extra] = parsed.positionals;
  if (beadId === undefined) throw new CommandError('requires at least 1 arg(s), only received 0');
  if (target === undefined) throw new CommandError('cannot determine agent identity (role: unknown)');
  if (extra.length > 0) throw new CommandError('batch sling (several beads) is not supported by the town simulator', false);
  // The rig's runtime settings are read first: unreadable settings refuse the sling outright.
  const rigName = target.split('/')[0] ?? '';
  const runtime = rigName in ctx.read().rigs ? rigRuntime(ctx, rigName) : undefined;
  const polecat = await ctx.mutate((state) => slingInLock(ctx, state, beadId, target, parsed));
  if (polecat !== undefined && runtime !== undefined) await startPolecatSession(ctx, runtime, polecat);
}
