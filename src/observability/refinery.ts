// Refinery merge outcomes, derived from merge-request beads, counted once each.
//
// Outcome of a merge-request bead (docs/gt-contract.md, gastown internal/refinery): not closed =
// still queued; closed with a `merge_commit` = success (the Engineer writes `merge_commit` and
// `close_reason: merged` into the description, then `bd close --reason merged`: engineer.go
// HandleMRInfoSuccess); closed with a reason starting with "merged" = success too (the
// conflict-resolution formula closes the original MR with `merged after conflict resolution`
// and no merge_commit); closed with "conflict" in its close reason (the bead's or the
// description's `close_reason`) = conflict; any other close (`rejected: ...` from
// `gt mq reject`, `superseded`, a vanished branch) = failure. Duration = created_at to
// closed_at. The reason is checked on the bead's close_reason first: `gt mq list` does not
// print it (gt's Issue struct has no such field), so controllers/rig/merges.ts reads it with
// `bd show` for the new merges whose description says nothing.
//
// Counting once, across restarts, without state outside resource status: the Rig's status
// carries a bounded watermark, `status.mergeQueue.countedThrough = {closedAt, ids}`: the
// latest closed_at counted and the ids closed at exactly that instant. A merge request is new
// when it closed after the watermark, or at the watermark's instant with an id not listed.
// bd stamps closed_at when a bead is closed, so later closes have later (or equal) times;
// the id list covers several closes within one timestamp tick. Re-opened and closed again is
// a new attempt and counts again. The close time is `closed_at`, else `updated_at`: merge
// requests are wisps (`gt mq submit` creates them ephemeral) and gt lists closed wisps from
// SQL that selects `updated_at` but not `closed_at` (gastown internal/beads/beads.go
// ListMergeRequests). The same source must give the same time on every read: do not mix in
// closed_at from another command.
//
// The first time a rig is observed (no watermark) nothing is counted: the merges of the past
// did not happen "now", and counting them would show a burst in rate(). The watermark starts
// at the latest close seen (or the epoch when there is none, so the first merge counts).
//
// Input: closed merge requests, `gt mq list <rig> --status closed --json` (`gt mq list`
// without --status lists only open ones, which never carry an outcome).
//
// createMergeCounter adds one guard for the time between a status write and the informer
// cache seeing it: it keeps the newest watermark it returned per rig and counts from the newer
// of that and the stored one, so a reconcile reading a stale cache does not count twice.
import type { MergeRequest } from '../gt/index.ts';
import type { MergeRecord, MergeResult, OperatorMetrics } from './metrics.ts';

/** What status.mergeQueue.countedThrough holds. */
export interface MergeWatermark {
  /** RFC 3339 closed_at of the latest counted merge request (the epoch before any). */
  readonly closedAt: string;
  /** Ids of the merge requests closed at exactly `closedAt` that were counted (bounded). */
  readonly ids: readonly string[];
}

/** At most this many ids are kept at one instant (far more than close within one tick). */
export const WATERMARK_MAX_IDS = 50;
export const EPOCH_WATERMARK: MergeWatermark = { closedAt: '1970-01-01T00:00:00Z', ids: [] };

/** The fields of a merge-request bead this module reads. */
export type MergeRequestLike = Pick<MergeRequest, 'id' | 'status' | 'createdAt' | 'closedAt' | 'updatedAt' | 'closeReason'> & {
  readonly mergeRequest: Pick<MergeRequest['mergeRequest'], 'mergeCommit' | 'closeReason'>;
};

export interface MergeOutcome {
  readonly id: string;
  readonly result: MergeResult;
  readonly closedAt: string;
  /** Created to closed; undefined when either time is missing or unparseable. */
  readonly durationSeconds?: number;
}

export interface MergeCount {
  /** Merges not counted before, oldest first. */
  readonly merges: readonly MergeOutcome[];
  /** The watermark to store; the same object as given when nothing changed (no status churn). */
  readonly newWatermark: MergeWatermark;
}

/** `merged` (Engineer, gt mq post-merge) and `merged after conflict resolution` (formula). */
const MERGED = /^\s*merged\b/i;
const CONFLICT = /conflict/i;

/** The outcome of one merge request; undefined while it is not closed. */
export function mergeOutcome(mr: MergeRequestLike): MergeOutcome | undefined {
  if (mr.status.kind !== 'closed') return undefined;
  const closedAt = mr.closedAt ?? mr.updatedAt;
  if (closedAt === undefined || Number.isNaN(Date.parse(closedAt))) return undefined;
  const reasons = [mr.closeReason, mr.mergeRequest.closeReason].filter(nonEmpty);
  const result: MergeResult = nonEmpty(mr.mergeRequest.mergeCommit) || reasons.some((r) => MERGED.test(r))
    ? 'success'
    : reasons.some((r) => CONFLICT.test(r)) ? 'conflict' : 'failure';
  const created = mr.createdAt === undefined ? Number.NaN : Date.parse(mr.createdAt);
  const seconds = (Date.parse(closedAt) - created) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? { id: mr.id, result, closedAt, durationSeconds: seconds } : { id: mr.id, result, closedAt };
}

/** Merges in `mrs` that `watermark` has not counted, and the watermark after counting them. */
export function countNewMerges(mrs: readonly MergeRequestLike[], watermark: MergeWatermark | undefined): MergeCount {
  const closed = mrs.map(mergeOutcome).filter((o): o is MergeOutcome => o !== undefined);
  closed.sort((a, b) => Date.parse(a.closedAt) - Date.parse(b.closedAt) || a.id.localeCompare(b.id));
  if (watermark === undefined) return { merges: [], newWatermark: advance(EPOCH_WATERMARK, closed) };
  const mark = Date.parse(watermark.closedAt);
  const seen = new Set(watermark.ids);
  const merges = closed.filter((o) => {
    const t = Date.parse(o.closedAt);
    return t > mark || (t === mark && !seen.has(o.id));
  });
  return { merges, newWatermark: merges.length === 0 ? watermark : advance(watermark, merges) };
}

/** The newer of two watermarks (ids merged when they name the same instant). */
export function laterWatermark(a: MergeWatermark | undefined, b: MergeWatermark | undefined): MergeWatermark | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  const ta = Date.parse(a.closedAt);
  const tb = Date.parse(b.closedAt);
  if (ta !== tb) return ta > tb ? a : b;
  const ids = [...new Set([...a.ids, ...b.ids])];
  return ids.length === a.ids.length ? a : { closedAt: a.closedAt, ids: ids.slice(-WATERMARK_MAX_IDS) };
}

/** Moves `from` to the latest of `counted` (sorted oldest first). */
function advance(from: MergeWatermark, counted: readonly MergeOutcome[]): MergeWatermark {
  const last = counted.at(-1);
  if (!last) return from;
  const t = Date.parse(last.closedAt);
  const atLast = counted.filter((o) => Date.parse(o.closedAt) === t).map((o) => o.id);
  const carried = Date.parse(from.closedAt) === t ? from.ids : [];
  const ids = [...new Set([...carried, ...atLast])].slice(-WATERMARK_MAX_IDS);
  return { closedAt: last.closedAt, ids };
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

export interface MergeCounter {
  /**
   * Records the merges of `rig` not counted yet (per `stored`, the Rig's
   * status.mergeQueue.countedThrough, or the newer watermark this process returned) and
   * returns the watermark to write back (compare before patching: unchanged = same object).
   */
  observe(rig: string, mrs: readonly MergeRequestLike[], stored: MergeWatermark | undefined): MergeWatermark;
  /** Drops the in-process watermark of a deleted rig. */
  forget(rig: string): void;
}

export function createMergeCounter(metrics: Pick<OperatorMetrics, 'recordMerge'>): MergeCounter {
  const returned = new Map<string, MergeWatermark>();
  return {
    observe(rig, mrs, stored) {
      const from = laterWatermark(stored, returned.get(rig));
      const { merges, newWatermark } = countNewMerges(mrs, from);
      for (const m of merges) metrics.recordMerge(toRecord(rig, m));
      returned.set(rig, newWatermark);
      // Unchanged relative to what is stored: hand back the stored object itself.
      return stored !== undefined && sameWatermark(stored, newWatermark) ? stored : newWatermark;
    },
    forget(rig) {
      returned.delete(rig);
    },
  };
}

function toRecord(rig: string, m: MergeOutcome): MergeRecord {
  return m.durationSeconds === undefined ? { rig, result: m.result } : { rig, result: m.result, durationSeconds: m.durationSeconds };
}

function sameWatermark(a: MergeWatermark, b: MergeWatermark): boolean {
  return a.closedAt === b.closedAt && a.ids.length === b.ids.length && a.ids.every((id, i) => id === b.ids[i]);
}
