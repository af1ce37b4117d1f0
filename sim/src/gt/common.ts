// Helpers shared by the gt command modules: rig and polecat lookups with gt's exact error
// texts, the database-down error, and bead rendering in bd's JSON shape (gt embeds bd's
// issue objects re-encoded with its own Issue struct, see gtIssue).
import { findPolecat } from '../domain.ts';
import type { SimBead, SimPolecat, SimRig, SimState } from '../model.ts';
import { CommandError } from '../output.ts';
import type { CommandContext } from '../runtime.ts';

/** What bd prints when the town's Dolt server is unreachable. */
export const DB_DOWN_MESSAGE =
  'failed to open database: dolt server unreachable at 127.0.0.1:3307: dial tcp 127.0.0.1:3307: connect: connection refused';

export function dbDown(ctx: CommandContext): boolean {
  return ctx.faults.dbDown;
}

export function requireRig(state: SimState, name: string): SimRig {
  const rig = state.rigs[name];
  if (rig === undefined) throw new CommandError(`rig '${name}' not found`);
  return rig;
}

export interface PolecatAddress {
  rig: string;
  name: string;
}

/** Parses `<rig>/<name>` (also `<rig>/polecats/<name>`) with gt's error text. */
export function parsePolecatAddress(arg: string): PolecatAddress {
  const parts = arg.split('/');
  if (parts.length === 3 && parts[1] === 'polecats' && parts[0] !== '' && parts[2] !== '') return { rig: parts[0] ?? '', name: parts[2] ?? '' };
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new CommandError(`invalid address '${arg}': must be in 'rig/polecat' format (e.g., 'gastown/Toast')`);
  }
  return { rig: parts[0] ?? '', name: parts[1] ?? '' };
}

export function requirePolecat(state: SimState, arg: string): SimPolecat {
  const addr = parsePolecatAddress(arg);
  requireRig(state, addr.rig);
  const polecat = findPolecat(state, addr.rig, addr.name);
  if (polecat === undefined) throw new CommandError(`polecat '${addr.name}' not found in rig '${addr.rig}'`);
  return polecat;
}

export function requireArgs(args: readonly string[], min: number, max: number, usage: string): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `accepts ${min} arg(s)` : `accepts between ${min} and ${max} arg(s)`;
    throw new CommandError(`${expected}, received ${args.length}\n${usage}`.trimEnd());
  }
}

/** The actor gt records in events for a CLI user (detectActor falls back to the overseer). */
export function actor(ctx: CommandContext): string {
  return ctx.env['GT_ROLE'] ?? ctx.env['BD_ACTOR'] ?? 'overseer';
}

export interface BdDependency {
  issue_id: string;
  depends_on_id: string;
  type: string;
  created_at: string;
  created_by: string;
}

export interface BdIssue {
  id: string;
  title: string;
  description?: string;
  status: string;
  priority: number;
  issue_type: string;
  assignee?: string;
  owner?: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  closed_at?: string;
  close_reason?: string;
  labels?: string[];
  dependencies?: BdDependency[];
}

/** A bead as bd's JSON prints it: snake_case, empty optionals omitted (Go omitempty). */
export function bdIssue(bead: SimBead): BdIssue {
  // Built in bd's struct field order so the printed JSON reads like bd's.
  const tracks = bead.tracks ?? [];
  return {
    id: bead.id,
    title: bead.title,
    ...(bead.description !== '' ? { description: bead.description } : {}),
    status: bead.status,
    priority: bead.priority,
    issue_type: bead.issueType,
    ...(bead.assignee !== '' ? { assignee: bead.assignee } : {}),
    ...(bead.owner !== '' ? { owner: bead.owner } : {}),
    created_at: bead.createdAt,
    created_by: bead.owner,
    updated_at: bead.updatedAt,
    ...(bead.closedAt !== undefined ? { closed_at: bead.closedAt } : {}),
    ...(bead.closeReason !== undefined ? { close_reason: bead.closeReason } : {}),
    ...(bead.labels.length > 0 ? { labels: [...bead.labels] } : {}),
    ...(tracks.length > 0
      ? { dependencies: tracks.map((id) => ({ issue_id: bead.id, depends_on_id: id, type: 'tracks', created_at: bead.createdAt, created_by: bead.owner })) }
      : {}),
  };
}

/**
 * A bead as gt re-encodes it after reading bd's JSON: gastown internal/beads/beads.go `Issue`
 * (`gt mq list --json`, `pinned_bead` of `gt hook status --json`). Unlike bd: `description`
 * is always present, there is no `owner` or `close_reason`, `created_by` is omitempty, and
 * dependencies are not carried over from a list.
 */
export function gtIssue(bead: SimBead): Record<string, unknown> {
  return {
    id: bead.id,
    title: bead.title,
    description: bead.description,
    status: bead.status,
    priority: bead.priority,
    issue_type: bead.issueType,
    created_at: bead.createdAt,
    ...(bead.owner !== '' ? { created_by: bead.owner } : {}),
    updated_at: bead.updatedAt,
    ...(bead.closedAt !== undefined ? { closed_at: bead.closedAt } : {}),
    ...(bead.assignee !== '' ? { assignee: bead.assignee } : {}),
    ...(bead.labels.length > 0 ? { labels: [...bead.labels] } : {}),
  };
}

/**
 * A merge request as `gt mq list --json` prints it. Issues-table MRs go through bd list and
 * print as gtIssue. Wisp MRs (the normal case: `gt mq submit` creates them ephemeral) come from
 * gt's own SQL over the wisps table (gastown internal/beads/beads.go ListMergeRequests), which
 * selects id, title, description, status, priority, assignee, created_at, updated_at,
 * created_by and the labels, and sets `Ephemeral`: so no `closed_at` (even when closed),
 * `issue_type` is `""`, and `ephemeral: true` comes last.
 */
export function gtMqIssue(bead: SimBead): Record<string, unknown> {
  if (bead.ephemeral !== true) return gtIssue(bead);
  return {
    id: bead.id,
    title: bead.title,
    description: bead.description,
    status: bead.status,
    priority: bead.priority,
    issue_type: '',
    created_at: bead.createdAt,
    ...(bead.owner !== '' ? { created_by: bead.owner } : {}),
    updated_at: bead.updatedAt,
    ...(bead.assignee !== '' ? { assignee: bead.assignee } : {}),
    ...(bead.labels.length > 0 ? { labels: [...bead.labels] } : {}),
    ephemeral: true,
  };
}
