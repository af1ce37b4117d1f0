// Parsers for `gt convoy status <id> --json` and `gt convoy list --json`.
//
// Guarantees: field names as gastown internal/cmd/convoy.go prints them; `tracked: null`
// reads as `[]`; statuses are open enums; `No active convoys.` (printed by
// `gt convoy status --json` without an id when there are none) reads as an empty list.
import { z } from 'zod';
import {
  BEAD_STATUSES, CONVOY_STATUSES,
  type Convoy, type ConvoyListItem, type TrackedBead,
} from '../types.ts';
import { count, flag, list, openEnum, optString, str } from './fields.ts';
import { isPlainReply, parseJsonOutput } from './json.ts';
import { gtTime } from './time.ts';

const trackedBead = z
  .object({
    id: z.string(),
    title: str,
    status: openEnum(BEAD_STATUSES),
    dependency_type: str,
    issue_type: str,
    blocked: flag,
    assignee: optString,
    labels: list(z.string()),
    worker: optString,
    worker_age: optString,
  })
  .transform((t): TrackedBead => ({
    id: t.id,
    title: t.title,
    status: t.status,
    dependencyType: t.dependency_type,
    issueType: t.issue_type,
    blocked: t.blocked,
    assignee: t.assignee,
    labels: t.labels,
    worker: t.worker,
    workerAge: t.worker_age,
  }));

const convoyStatus = z
  .object({
    id: z.string(),
    title: str,
    status: openEnum(CONVOY_STATUSES),
    owned: flag,
    lifecycle: str,
    merge_strategy: optString,
    tracked: list(trackedBead),
    completed: count,
    total: count,
  })
  .transform((c): Convoy => ({
    id: c.id,
    title: c.title,
    status: c.status,
    owned: c.owned,
    lifecycle: c.lifecycle,
    mergeStrategy: c.merge_strategy,
    tracked: c.tracked,
    completed: c.completed,
    total: c.total,
  }));

export function parseConvoyStatus(stdout: string): Convoy {
  return parseJsonOutput(convoyStatus, stdout, 'gt convoy status');
}

const convoyListItem = z
  .object({
    id: z.string(),
    title: str,
    status: openEnum(CONVOY_STATUSES),
    // Relayed from bd (RFC 3339); gtTime accepts that as well as gt's own format.
    created_at: gtTime,
    tracked: list(trackedBead),
    completed: count,
    total: count,
  })
  .transform((c): ConvoyListItem => ({
    id: c.id,
    title: c.title,
    status: c.status,
    createdAt: c.created_at,
    tracked: c.tracked,
    completed: c.completed,
    total: c.total,
  }));

export function parseConvoyList(stdout: string): ConvoyListItem[] {
  if (isPlainReply(stdout, 'No active convoys.')) return [];
  return parseJsonOutput(list(convoyListItem), stdout, 'gt convoy list');
}
