// Entry point of the simulated `bd` (beads): `show`, `close`, `list`, `create`. `--json` is
// global in bd. bd v1.1 (the town's version 1.2, version.ts; beads cmd/bd/output.go): top-level
// JSON objects carry `schema_version: 1` (arrays pass through), BD_JSON_ENVELOPE=1 wraps every
// JSON reply as {"schema_version":1,"data":...} (the operator must strip it), and without the
// envelope every JSON reply is followed by the v2.0 deprecation notice on stderr (real bd prints
// it only to a terminal: the sim prints it always, so the noisy case is the one tested). bd
// v1.0 (version 1.0) has none of the three. One store serves every prefix, as `gt show`
// routing does; a down database fails every command fast.
import { relative } from 'node:path';
import { flagBool, flagValue, parseArgs } from './args.ts';
import type { ParsedArgs } from './args.ts';
import { TOWN_PREFIX, addBead, closeBead } from './domain.ts';
import { DB_DOWN_MESSAGE, bdIssue } from './gt/common.ts';
import { defaultRng } from './ids.ts';
import type { SimBead } from './model.ts';
import { CommandError, err, json, out } from './output.ts';
import { runMain } from './runtime.ts';
import type { CommandContext } from './runtime.ts';
import { isCurrent } from './version.ts';

const GLOBAL_BOOLS = ['json', 'quiet', 'verbose', 'no-daemon', 'sandbox', 'readonly'];

/** bd's one-time notice (beads cmd/bd/output.go emitEnvelopeDeprecation). */
export const ENVELOPE_DEPRECATION =
  'NOTE: bd --json output format will change in v2.0. Set BD_JSON_ENVELOPE=1 to opt in early. See docs/JSON_SCHEMA.md for migration details.';

/** bd's outputJSON: v1.1 injects schema_version into objects or wraps everything in the envelope. */
function emitJson(ctx: CommandContext, value: unknown): void {
  if (!isCurrent(ctx.read(), ctx.env)) {
    json(ctx.output, value);
    return;
  }
  if (ctx.env['BD_JSON_ENVELOPE'] === '1') {
    json(ctx.output, { schema_version: 1, data: value });
    return;
  }
  json(ctx.output, Array.isArray(value) || typeof value !== 'object' || value === null ? value : { ...value, schema_version: 1 });
  err(ctx.output, ENVELOPE_DEPRECATION);
}

function show(ctx: CommandContext, parsed: ParsedArgs): void {
  const ids = parsed.positionals;
  if (ids.length === 0) throw new CommandError('requires at least 1 arg(s), only received 0');
  const beads = ctx.read().beads;
  const found: SimBead[] = [];
  for (const id of ids) {
    const bead = beads[id];
    if (bead === undefined) err(ctx.output, `Error resolving ${id}: no issue found matching "${id}"`);
    else found.push(bead);
  }
  if (found.length === 0) {
    // FatalErrorRespectJSON: stdout, through outputJSON on bd v1.1 (schema_version), plain before.
    emitJson(ctx, { error: 'no issues found matching the provided IDs' });
    ctx.output.exitCode = 1;
    return;
  }
  if (flagBool(parsed, 'json')) {
    emitJson(ctx, found.map(bdIssue));
    return;
  }
  for (const b of found) {
    out(ctx.output, `${b.status === 'closed' ? '✓' : '○'} ${b.id} · ${b.title}   [● P${b.priority} · ${b.status.toUpperCase()}]`);
    if (b.assignee !== '') out(ctx.output, `Assignee: ${b.assignee}`);
    if (b.description !== '') out(ctx.output, `\n${b.description}`);
  }
}

async function close(ctx: CommandContext, parsed: ParsedArgs): Promise<void> {
  const ids = parsed.positionals;
  if (ids.length === 0) throw new CommandError('requires at least 1 arg(s), only received 0');
  const reason = flagValue(parsed, 'reason') ?? 'Closed';
  const closed = await ctx.mutate((state) => {
    const done: SimBead[] = [];
    for (const id of ids) {
      const bead = state.beads[id];
      if (bead === undefined) throw new CommandError(`resolving ${id}: no issue found matching "${id}"`);
      closeBead(bead, reason);
      done.push(bead);
    }
    return done;
  });
  if (flagBool(parsed, 'json')) {
    emitJson(ctx, closed.map(bdIssue));
    return;
  }
  for (const b of closed) out(ctx.output, `✓ Closed ${b.id}: ${reason}`);
}

function list(ctx: CommandContext, parsed: ParsedArgs): void {
  const status = flagValue(parsed, 'status');
  const type = flagValue(parsed, 'type');
  const assignee = flagValue(parsed, 'assignee');
  const limit = Number(flagValue(parsed, 'limit') ?? '50');
  let rows = Object.values(ctx.read().beads);
  if (status !== undefined) rows = rows.filter((b) => status.split(',').includes(b.status));
  else if (!flagBool(parsed, 'all')) rows = rows.filter((b) => b.status !== 'closed');
  if (type !== undefined) rows = rows.filter((b) => b.issueType === type);
  if (assignee !== undefined) rows = rows.filter((b) => b.assignee === assignee);
  rows.sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  if (Number.isFinite(limit) && limit > 0) rows = rows.slice(0, limit);
  if (flagBool(parsed, 'json')) {
    emitJson(ctx, rows.map(bdIssue));
    return;
  }
  for (const b of rows) out(ctx.output, `${b.id} [P${b.priority}] [${b.issueType}] ${b.status} - ${b.title}`);
}

/** The database a bare `bd create` writes to: the rig whose directory holds the cwd, else town. */
function prefixFromCwd(ctx: CommandContext): string {
  const first = relative(ctx.root, ctx.cwd).split('/')[0] ?? '';
  return ctx.read().rigs[first]?.prefix ?? TOWN_PREFIX;
}

async function create(ctx: CommandContext, parsed: ParsedArgs): Promise<void> {
  const title = parsed.positionals[0] ?? flagValue(parsed, 'title');
  if (title === undefined || title === '') throw new CommandError('title required');
  const rigName = flagValue(parsed, 'rig');
  const bead = await ctx.mutate((state) => {
    const prefix = flagValue(parsed, 'prefix') ?? (rigName !== undefined ? state.rigs[rigName]?.prefix : undefined) ?? prefixFromCwd(ctx);
    const id = flagValue(parsed, 'id');
    if (id !== undefined && id in state.beads) throw new CommandError(`issue ${id} already exists`);
    return addBead(state, {
      prefix,
      title,
      description: flagValue(parsed, 'description') ?? '',
      issueType: flagValue(parsed, 'type') ?? 'task',
      priority: Number(flagValue(parsed, 'priority') ?? '2'),
      ...(id !== undefined ? { id } : {}),
    }, defaultRng);
  });
  if (flagBool(parsed, 'json')) {
    emitJson(ctx, bdIssue(bead));
    return;
  }
  out(ctx.output, `✓ Created issue: ${bead.id}`);
  out(ctx.output, `  Title: ${bead.title}`);
  out(ctx.output, `  Priority: P${bead.priority}`);
  out(ctx.output, `  Status: ${bead.status}`);
}

const SPECS = {
  show: { bools: GLOBAL_BOOLS },
  close: { bools: GLOBAL_BOOLS, values: ['reason'], short: { r: 'reason' } },
  list: { bools: [...GLOBAL_BOOLS, 'all', 'flat'], values: ['status', 'type', 'assignee', 'limit', 'label'], short: { n: 'limit', s: 'status', t: 'type', a: 'assignee', l: 'label' } },
  create: { bools: [...GLOBAL_BOOLS, 'force'], values: ['type', 'priority', 'description', 'id', 'title', 'prefix', 'rig', 'labels', 'assignee'], short: { t: 'type', p: 'priority', d: 'description' } },
} as const;

async function dispatch(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const [command = '', ...rest] = args;
  ctx.commandPath = command;
  if (!(command in SPECS)) {
    ctx.output.stderr.push(`Error: unknown command "${command}" for "bd"\nRun 'bd --help' for usage.\n`);
    ctx.output.exitCode = 1;
    return;
  }
  const name = command as keyof typeof SPECS;
  const parsed = parseArgs(rest, SPECS[name]);
  if (ctx.faults.dbDown) throw new CommandError(DB_DOWN_MESSAGE, false);
  if (name === 'show') return show(ctx, parsed);
  if (name === 'close') return close(ctx, parsed);
  if (name === 'list') return list(ctx, parsed);
  return create(ctx, parsed);
}

await runMain('bd', process.argv.slice(2), dispatch);
