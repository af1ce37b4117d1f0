// Parsers for beads: `bd show <ids...> --json` and `gt mq list <rig> --json`.
//
// Guarantees: both bd JSON shapes are accepted (bare, or the `{"schema_version","data"}`
// envelope); `bd show` always answers with a list, and the ids it did not return are
// reported as missing rather than thrown; bd's RFC 3339 times are validated and kept;
// merge-request beads get their `key: value` description fields parsed.
import { z } from 'zod';
import {
  BEAD_STATUSES,
  type Bead, type BeadDependency, type BeadShowResult, type MergeRequest, type MergeRequestFields,
} from '../types.ts';
import { list, openEnum, toOpenEnum, optNumber, optString, str } from './fields.ts';
import { ContractViolation, extractJson, unwrapBdEnvelope, validate } from './json.ts';
import { bdTime, gtTime } from './time.ts';

// bd prints dependencies as issues enriched with `dependency_type`; older versions printed
// raw edges (`depends_on_id`, `type`). Both read as a BeadDependency.
const dependency = z
  .object({
    id: optString,
    depends_on_id: optString,
    type: optString,
    dependency_type: optString,
    status: z.string().nullish(),
  })
  .transform((d): BeadDependency | undefined => {
    const id = d.id ?? d.depends_on_id;
    if (id === undefined) return undefined;
    return {
      id,
      type: d.type,
      dependencyType: d.dependency_type ?? d.type,
      ...(d.status ? { status: toOpenEnum(BEAD_STATUSES, d.status) } : {}),
    };
  });

/**
 * Time fields: bd prints RFC 3339, but beads relayed by gt (mq list) may carry whatever gt
 * stored, so both formats are accepted there.
 */
function beadSchema(time: typeof bdTime) {
  return z
    .object({
      id: z.string().min(1),
      title: str,
      description: str,
      status: openEnum(BEAD_STATUSES),
      priority: optNumber,
      issue_type: optString,
      assignee: optString,
      owner: optString,
      created_at: time,
      updated_at: time,
      closed_at: time,
      close_reason: optString,
      labels: list(z.string()),
      dependencies: list(dependency),
    })
    .transform((b): Bead => ({
      id: b.id,
      title: b.title,
      description: b.description,
      status: b.status,
      priority: b.priority,
      issueType: b.issue_type,
      assignee: b.assignee,
      owner: b.owner,
      createdAt: b.created_at,
      updatedAt: b.updated_at,
      closedAt: b.closed_at,
      closeReason: b.close_reason,
      labels: b.labels,
      dependencies: b.dependencies.filter((d): d is BeadDependency => d !== undefined),
    }));
}

const bdBead = beadSchema(bdTime);
const relayedBead = beadSchema(gtTime);

/** Schema of a bead object relayed inside gt's own JSON (hook status, mq list). */
export const relayedBeadSchema = relayedBead;

const NO_MATCH = /^no issues found/i;

/**
 * `bd show` output for the `requested` ids. bd's exit-1 reply `{"error": "no issues found
 * ..."}` means "none of these exist" and reads as all missing, not as a failure.
 */
export function parseBeadShow(stdout: string, requested: readonly string[]): BeadShowResult {
  const doc = unwrapBdEnvelope(extractJson(stdout));
  if (isNoMatchReply(doc)) return { found: [], missing: [...requested] };
  const found = validate(z.array(bdBead), doc, stdout, 'bd show');
  const seen = new Set(found.map((b) => b.id));
  return { found, missing: requested.filter((id) => !seen.has(id)) };
}

/** True for bd's `{"error": "no issues found matching the provided IDs", ...}` reply. */
export function isNoMatchReply(doc: unknown): boolean {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const error = (doc as { error?: unknown }).error;
  return typeof error === 'string' && NO_MATCH.test(error);
}

/** Reads stdout of a failed `bd show` and tells whether it is the "none found" reply. */
export function isBeadShowNoMatch(stdout: string): boolean {
  try {
    return isNoMatchReply(unwrapBdEnvelope(extractJson(stdout)));
  } catch (err) {
    if (err instanceof ContractViolation) return false;
    throw err;
  }
}

const MR_KEYS: Readonly<Record<string, keyof MergeRequestFields>> = {
  branch: 'branch',
  target: 'target',
  source_issue: 'sourceIssue',
  worker: 'worker',
  rig: 'rig',
  commit_sha: 'commitSha',
  merge_commit: 'mergeCommit',
  close_reason: 'closeReason',
  retry_count: 'retryCount',
  convoy_id: 'convoyId',
};

/** The `key: value` lines of a merge-request description; unknown keys are ignored. */
export function parseMergeRequestFields(description: string): MergeRequestFields {
  const fields: { -readonly [K in keyof MergeRequestFields]: MergeRequestFields[K] } = {};
  for (const line of description.split(/\r?\n/)) {
    const m = /^\s*([a-z_]+):\s*(.*?)\s*$/.exec(line);
    const key = m ? MR_KEYS[m[1]!] : undefined;
    if (!m || key === undefined || m[2] === '' || key in fields) continue;
    if (key === 'retryCount') {
      const n = Number(m[2]);
      if (Number.isInteger(n)) fields.retryCount = n;
    } else {
      fields[key] = m[2];
    }
  }
  return fields;
}

export function parseMqList(stdout: string): MergeRequest[] {
  const doc = unwrapBdEnvelope(extractJson(stdout));
  const beads = validate(list(relayedBead), doc, stdout, 'gt mq list');
  return beads.map((b) => ({ ...b, mergeRequest: parseMergeRequestFields(b.description) }));
}
