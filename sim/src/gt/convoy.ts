// `gt convoy create|status|list|add|check|close`. Convoys are `hq-cv-` beads that track other
// beads: of type convoy (gt v1.0), or `task` beads labelled `gt:convoy` (gt v1.2, which still
// reads the legacy type). Convoy commands skip cobra's usage text on errors, any bd failure
// reads as "convoy not found" (as in gt), and cross-rig convoys never auto-close in `check`
// (gastown #3681: their tracked beads fail to resolve, which gt reads as 0/0, not complete).
import { flagBool, flagValue, parseArgs } from '../args.ts';
import { TOWN_PREFIX, closeBead, convoys, createConvoyBead, isConvoy, isCrossRig, nowIso, trackedIssues } from '../domain.ts';
import type { TrackedIssue } from '../domain.ts';
import { defaultRng, freshId } from '../ids.ts';
import type { SimBead, SimState } from '../model.ts';
import { CommandError, err, json, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { DB_DOWN_MESSAGE, dbDown } from './common.ts';

const fail = (message: string): CommandError => new CommandError(message, false);

function requireConvoy(ctx: CommandContext, state: SimState, id: string): SimBead {
  const bead = state.beads[id];
  if (dbDown(ctx) || bead === undefined) throw fail(`convoy '${id}' not found`);
  if (!isConvoy(bead)) throw fail(`'${id}' is not a convoy (type: ${bead.issueType})`);
  return bead;
}

function descriptionField(bead: SimBead, key: string): string | undefined {
  const line = bead.description.split('\n').find((l) => l.startsWith(`${key}: `));
  return line?.slice(key.length + 2);
}

const completedCount = (tracked: readonly TrackedIssue[]): number => tracked.filter((t) => t.status === 'closed').length;

async function create(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parseArgs(args, { bools: ['owned', 'json'], values: ['owner', 'merge', 'molecule', 'base-branch', 'from-epic'], optional: { notify: 'mayor/' } });
  const [name, ...beadIds] = parsed.positionals;
  if (name === undefined) throw fail('at least one argument is required\nUsage: gt convoy create <name> <issue-id> [issue-id...]\n       gt convoy create --from-epic <epic-id>');
  if (beadIds.length === 0) throw fail('at least one issue ID is required\nUsage: gt convoy create <name> <issue-id> [issue-id...]');
  if (name.startsWith('-')) throw fail(`refusing to create convoy: name "${name}" looks like a CLI flag`);
  if (dbDown(ctx)) throw fail(`creating convoy: exit status 1 (Error: ${DB_DOWN_MESSAGE})`);
  const owner = flagValue(parsed, 'owner');
  const notify = flagValue(parsed, 'notify');
  const description = [owner !== undefined ? `owner: ${owner}` : '', notify !== undefined ? `notify: ${notify}` : ''].filter((l) => l !== '').join('\n');
  const result = await ctx.mutate((state) => {
    const trackable = beadIds.filter((id) => !state.settings.convoyTrackingFails && id in state.beads);
    const convoy = createConvoyBead(state, { title: name, tracks: trackable, description, owned: flagBool(parsed, 'owned') }, defaultRng);
    return { id: convoy.id, tracked: trackable };
  });
  for (const id of beadIds.filter((b) => !result.tracked.includes(b))) {
    err(ctx.output, `⚠ Warning: couldn't track ${id}: bd dep add: issue ${id} not found`);
  }
  const o = ctx.output;
  out(o, `✓ Created convoy 🚚 ${result.id}`);
  out(o);
  out(o, `  Name:     ${name}`);
  out(o, `  Tracking: ${result.tracked.length} issues`);
  out(o, `  Issues:   ${beadIds.join(', ')}`);
  if (owner !== undefined) out(o, `  Owner:    ${owner}`);
  if (notify !== undefined) out(o, `  Notify:   ${notify}`);
  out(o);
  out(o, flagBool(parsed, 'owned') ? '  Owned convoy: caller manages lifecycle via gt convoy land' : '  Convoy auto-closes when all tracked issues complete');
}

function statusOne(ctx: CommandContext, id: string, asJson: boolean): void {
  const state = ctx.read();
  const convoy = requireConvoy(ctx, state, id);
  const tracked = trackedIssues(state, convoy);
  const owned = convoy.labels.includes('gt:owned');
  const body: Record<string, unknown> = { id: convoy.id, title: convoy.title, status: convoy.status, owned, lifecycle: owned ? 'caller-managed' : 'system-managed' };
  const merge = descriptionField(convoy, 'merge');
  if (merge !== undefined) body['merge_strategy'] = merge;
  // A convoy without tracks has a nil slice in gt: `tracked` prints as null.
  Object.assign(body, { tracked: tracked.length === 0 ? null : tracked, completed: completedCount(tracked), total: tracked.length });
  if (asJson) {
    json(ctx.output, body);
    return;
  }
  const o = ctx.output;
  out(o, `🚚 ${convoy.id}: ${convoy.title}`);
  out(o);
  out(o, `  Status:    ${convoy.status}`);
  out(o, `  Progress:  ${completedCount(tracked)}/${tracked.length} completed`);
  out(o, `  Created:   ${convoy.createdAt}`);
  for (const t of tracked) out(o, `    ${t.status === 'closed' ? '✓' : '○'} ${t.id}: ${t.title} [${t.status}]`);
}

function statusAll(ctx: CommandContext, asJson: boolean): void {
  if (dbDown(ctx)) throw fail(`listing convoys: bd list: ${DB_DOWN_MESSAGE}`);
  const open = convoys(ctx.read()).filter((c) => c.status === 'open');
  if (open.length === 0) {
    out(ctx.output, 'No active convoys.');
    out(ctx.output, 'Create a convoy with: gt convoy create <name> [issues...]');
    return;
  }
  if (asJson) {
    json(ctx.output, open.map((c) => ({ id: c.id, title: c.title, status: c.status, labels: c.labels.length === 0 ? null : c.labels })));
    return;
  }
  out(ctx.output, 'Active Convoys');
  out(ctx.output);
  for (const c of open) out(ctx.output, `  🚚 ${c.id}: ${c.title}`);
  out(ctx.output);
  out(ctx.output, "Use 'gt convoy status <id>' for detailed status.");
}

function status(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json'] });
  const id = parsed.positionals[0];
  if (id === undefined) statusAll(ctx, flagBool(parsed, 'json'));
  else statusOne(ctx, id, flagBool(parsed, 'json'));
}

function list(ctx: CommandContext, args: readonly string[]): void {
  const parsed = parseArgs(args, { bools: ['json', 'all', 'tree'], values: ['status'] });
  if (dbDown(ctx)) throw fail(`listing convoys: bd list: ${DB_DOWN_MESSAGE}`);
  const state = ctx.read();
  const wanted = flagValue(parsed, 'status');
  let rows = convoys(state);
  if (wanted !== undefined) rows = rows.filter((c) => c.status === wanted);
  else if (!flagBool(parsed, 'all')) rows = rows.filter((c) => c.status !== 'closed');
  // bd list's default limit of 50 applies unless --all lifts it.
  if (!flagBool(parsed, 'all')) rows = rows.slice(0, 50);
  const entries = rows.map((c) => {
    const tracked = trackedIssues(state, c);
    return { id: c.id, title: c.title, status: c.status, created_at: c.createdAt, tracked, completed: completedCount(tracked), total: tracked.length };
  });
  if (flagBool(parsed, 'json')) {
    json(ctx.output, entries);
    return;
  }
  if (entries.length === 0) {
    out(ctx.output, 'No convoys found.');
    return;
  }
  out(ctx.output, 'Convoys');
  out(ctx.output);
  for (const e of entries) out(ctx.output, `  🚚 ${e.id}: ${e.title} [${e.status}] ${e.completed}/${e.total}`);
}

async function add(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parseArgs(args, {});
  const [id, ...beadIds] = parsed.positionals;
  if (id === undefined || beadIds.length === 0) throw fail(`requires at least 2 arg(s), only received ${parsed.positionals.length}`);
  await ctx.mutate((state) => {
    const convoy = requireConvoy(ctx, state, id);
    if (convoy.status === 'closed') {
      Object.assign(convoy, { status: 'open', updatedAt: nowIso() });
      delete convoy.closedAt;
      delete convoy.closeReason;
      out(ctx.output, `↺ Reopened convoy ${id}`);
    }
    const fresh = beadIds.filter((b) => !(convoy.tracks ?? []).includes(b));
    convoy.tracks = [...(convoy.tracks ?? []), ...fresh];
    out(ctx.output, `✓ Added ${fresh.length} issue(s) to convoy 🚚 ${id}`);
    if (fresh.length > 0) out(ctx.output, `  Issues: ${fresh.join(', ')}`);
  });
}

/** gt's closeConvoyIfComplete; true when the convoy was closed. */
function closeIfComplete(ctx: CommandContext, state: SimState, convoy: SimBead): boolean {
  // gastown #3681: tracked beads in other rigs do not resolve, so gt sees 0 tracked and skips.
  const tracked = isCrossRig(convoy) ? [] : trackedIssues(state, convoy);
  if (tracked.length === 0) return false;
  const open = tracked.filter((t) => t.status !== 'closed' && t.status !== 'tombstone').length;
  if (open > 0) {
    out(ctx.output, `○ Convoy ${convoy.id} has ${open} open issue(s) remaining`);
    return false;
  }
  closeBead(convoy, 'All tracked issues completed');
  const notify = descriptionField(convoy, 'notify');
  if (notify !== undefined) {
    const subject = `🚚 Convoy landed: ${convoy.title}`;
    state.mail.push({ id: freshId(TOWN_PREFIX, state.beads, defaultRng), to: notify, from: 'deacon/', subject, body: `Convoy ${convoy.id} completed.`, sentAt: nowIso(), read: false });
    ctx.events.push({ type: 'mail', actor: 'deacon/', payload: { to: notify, subject } });
  }
  return true;
}

async function check(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parseArgs(args, { bools: ['dry-run'] });
  const id = parsed.positionals[0];
  if (dbDown(ctx)) throw fail(id !== undefined ? `convoy '${id}' not found` : `listing convoys: bd list: ${DB_DOWN_MESSAGE}`);
  await ctx.mutate((state) => {
    if (id !== undefined) {
      const convoy = requireConvoy(ctx, state, id);
      if (convoy.status === 'closed') out(ctx.output, `○ Convoy ${id} is already closed`);
      else if (closeIfComplete(ctx, state, convoy)) out(ctx.output, `✓ Auto-closed convoy 🚚 ${convoy.id}: ${convoy.title}`);
      return;
    }
    const closed = convoys(state).filter((c) => c.status === 'open').filter((c) => closeIfComplete(ctx, state, c));
    if (closed.length === 0) {
      out(ctx.output, 'No convoys ready to close.');
      return;
    }
    out(ctx.output, `✓ Auto-closed ${closed.length} convoy(s):`);
    for (const c of closed) out(ctx.output, `  🚚 ${c.id}: ${c.title}`);
  });
}

async function close(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parseArgs(args, { bools: ['force'], values: ['reason'], short: { f: 'force', r: 'reason' } });
  const id = parsed.positionals[0];
  if (id === undefined) throw fail('accepts 1 arg(s), received 0');
  const reason = flagValue(parsed, 'reason');
  await ctx.mutate((state) => {
    const convoy = requireConvoy(ctx, state, id);
    if (convoy.status === 'closed') {
      out(ctx.output, `○ Convoy ${id} is already closed`);
      return;
    }
    const tracked = trackedIssues(state, convoy);
    const open = tracked.filter((t) => t.status !== 'closed');
    if (open.length > 0 && !flagBool(parsed, 'force')) {
      out(ctx.output, `⚠ Convoy ${id} has ${open.length} open issue(s):`);
      out(ctx.output);
      for (const t of open) out(ctx.output, `    ○ ${t.id}: ${t.title} [${t.status}]`);
      out(ctx.output);
      out(ctx.output, '  Use --force to close anyway.');
      throw fail(`convoy has ${open.length} open issue(s)`);
    }
    closeBead(convoy, reason ?? 'Closed manually');
    out(ctx.output, `✓ Closed convoy 🚚 ${id}: ${convoy.title}`);
    if (reason !== undefined) out(ctx.output, `  Reason: ${reason}`);
    const closedCount = tracked.length - open.length;
    out(ctx.output, `  Tracked: ${tracked.length} issue(s) (${closedCount} closed${open.length > 0 ? `, ${open.length} still open` : ''})`);
  });
}

export async function run(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const [sub = '', ...rest] = args;
  ctx.commandPath = `convoy ${sub}`;
  switch (sub) {
    case 'create': return create(ctx, rest);
    case 'status': return status(ctx, rest);
    case 'list': return list(ctx, rest);
    case 'add': return add(ctx, rest);
    case 'check': return check(ctx, rest);
    case 'close': return close(ctx, rest);
    default: throw new CommandError(`unknown command "${sub}" for "gt convoy"`, false);
  }
}
