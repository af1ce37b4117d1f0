// Refinery merge metrics for a Rig: which merges finished since the last count, and the
// watermark that makes each one count once, kept in the Rig's status and nowhere else.
//
// How the operator learns that merges finished. `gt mq list <rig> --json` shows open merge
// requests only, and an open MR carries no outcome. gt has a supported way to list the
// finished ones: `gt mq list <rig> --status closed --json` (gastown internal/cmd/mq.go: the
// `--status` flag; mq_list.go: it is passed to the query and matched exactly). gt reads both
// beads tables for it (internal/beads/beads.go ListMergeRequests: `bd list --limit=0` for the
// issues table, its own SQL for wisps, which is where `gt mq submit` puts MRs), filters by the
// MR's `rig:` field and prints gt's Issue struct: `closed_at` only for issues-table MRs
// (the wisp SQL does not select it, so `updated_at` is the close time there) and never the
// bead's `close_reason`. Outcomes and the watermark rules are in observability/refinery.ts.
// The alternative (keep the open MR ids in status, `bd show` the ones that disappeared) was
// rejected: it still needs a per-rig `gt mq list` for the open ids, and misses every MR opened
// and closed between two reads.
//
// Cost (gastown #4028). There is no town-wide form of the query, so it is one call per rig,
// throttled here. Three kinds of read:
// - the *baseline*: a rig whose status holds no watermark yet (never counted) is read at once,
//   unbudgeted: the read ends in the status write that stores the first watermark, and that
//   write belongs to the start-up (or to the rig's creation), not to an idle town later;
// - an *activity* read, when the rig's queue figures from the town sync (`gt status --json`
//   rigs[].mq, already read every cycle) changed since the rig's last read (or since it was
//   first seen, before its first read), which is how a finished merge usually shows first; at
//   most once per rig per `minIntervalMs` (default 20 s, every 2nd town-sync cycle at its 10 s
//   default);
// - a *scheduled* read: a rig's first after a restart (the merges finished while the operator
//   was away) and the safety net `intervalMs` (default 5 min) after its last read. These are
//   what an idle town pays, so they share ONE town-wide schedule: one slot per
//   `scheduledSpacingMs` (the town-sync interval) whatever the number of rigs; a rig that
//   finds no slot free reserves the next one and its reconcile requeues for it. They write the
//   status only when they find new merges. An idle town thus costs one `gt mq list` per sync
//   cycle on average at most, on top of the cycle's own calls, instead of rigs / 30 (3.3 at 100
//   rigs), and a restart no longer reads every rig's queue at once; the price is that at more
//   than intervalMs / scheduledSpacingMs rigs (30 at the defaults) the safety net comes round
//   every rigs x scheduledSpacingMs (about 17 minutes at 100 rigs).
// Plus one `bd show` of the new merges whose outcome gt's JSON does not tell (closed with
// neither `merge_commit` nor `close_reason` in the description, e.g. `merged after conflict
// resolution` or `rejected: ...`): only when such merges appear, for just their ids. Nothing is
// read while the town read fails or gt does not list the rig. gt itself purges closed wisps (`gt done` runs `bd purge`; the daemon's
// reaper after 7 days): a merge closed and purged between two reads is never seen, which the
// read on queue changes keeps rare.
//
// State: the watermark lives in `status.mergeQueue.countedThrough` (bounded: a time and at
// most 50 ids). The adapter keeps in memory only what may be lost: the read schedule, and the
// newest watermark it handed out (refinery.ts createMergeCounter: guards a stale informer
// cache). After a restart the stored watermark alone decides, so merges counted before are not
// counted again. A merge counted in the moment between the count and the status write of the
// same reconcile can be counted again if the operator dies in that moment.
//
// Wiring (Rig reconcile, after decideRig; decideRig rebuilds mergeQueue without the
// watermark, so it must always be put back):
//   const watermark = await deps.merges?.observe({ rig: gtName, stored: storedWatermark(rig.status),
//     queue: decision.status.mergeQueue, canRead: snapshot.ok && decision.status.operationalState !== undefined });
//   const written = await status.write(obj, withMergeWatermark(decision.status, watermark ?? storedWatermark(rig.status)));
import type { MergeQueueStatus, RigStatus } from '../../api/index.ts';
import type { GtClient } from '../../gt/index.ts';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import type { MergeRecord, OperatorMetrics } from '../../observability/metrics.ts';
import {
  countNewMerges, createMergeCounter, laterWatermark, type MergeCounter, type MergeRequestLike,
  type MergeWatermark,
} from '../../observability/refinery.ts';
import type { Clock } from '../../runtime/clock.ts';

export const RIG_MERGES_DEFAULTS = {
  /**
   * A rig's closed MRs are read this long after the last read at the latest: a safety net, since
   * a finished merge usually changes the queue figures first (which triggers an earlier read).
   */
  intervalMs: 300_000,
  /** ...and never sooner than this after the last read (even when the queue changed). */
  minIntervalMs: 20_000,
  /**
   * Scheduled reads (a restart's first reads and the safety net) of all rigs together: one slot
   * per this long (the operator passes its town-sync interval).
   */
  scheduledSpacingMs: 10_000,
} as const;

// ---- Pure ----

export interface MergeDecision {
  /** What to record, oldest first. */
  readonly merges: readonly MergeRecord[];
  /** The watermark to store; the given object when nothing was counted. */
  readonly watermark: MergeWatermark;
}

/**
 * The merges of `rig` in `mrs` (its closed merge requests) that `stored` has not counted, and
 * the watermark after counting them. No stored watermark (a rig seen for the first time)
 * counts nothing and starts the watermark at the latest close.
 */
export function decideMerges(rig: string, mrs: readonly MergeRequestLike[], stored: MergeWatermark | undefined): MergeDecision {
  const { merges, newWatermark } = countNewMerges(mrs, stored);
  return {
    merges: merges.map((m) => (m.durationSeconds === undefined ? { rig, result: m.result } : { rig, result: m.result, durationSeconds: m.durationSeconds })),
    watermark: newWatermark,
  };
}

/** Merges not counted yet whose outcome needs the bead's close_reason (gt's JSON lacks it). */
export function idsNeedingCloseReason(mrs: readonly MergeRequestLike[], stored: MergeWatermark | undefined): string[] {
  const fresh = new Set(countNewMerges(mrs, stored).merges.map((m) => m.id));
  return mrs
    .filter((mr) => fresh.has(mr.id) && blank(mr.mergeRequest.mergeCommit) && blank(mr.mergeRequest.closeReason) && blank(mr.closeReason))
    .map((mr) => mr.id);
}

/** `mrs` with the close reasons bd reported filled in (times untouched: they order the watermark). */
export function withCloseReasons<T extends MergeRequestLike>(mrs: readonly T[], reasons: ReadonlyMap<string, string>): T[] {
  return mrs.map((mr) => {
    const reason = reasons.get(mr.id);
    return reason === undefined || !blank(mr.closeReason) ? mr : { ...mr, closeReason: reason };
  });
}

/** The watermark stored in a Rig's status. */
export function storedWatermark(status: Pick<RigStatus, 'mergeQueue'> | undefined): MergeWatermark | undefined {
  return status?.mergeQueue?.countedThrough;
}

/**
 * `status` with `watermark` in `mergeQueue.countedThrough` (closedAt normalised to RFC 3339 UTC
 * as the CRD wants; the instant is unchanged at the millisecond precision it is compared at).
 * Undefined leaves the status as it is.
 */
export function withMergeWatermark(status: RigStatus, watermark: MergeWatermark | undefined): RigStatus {
  if (watermark === undefined) return status;
  const millis = Date.parse(watermark.closedAt);
  if (Number.isNaN(millis)) return status;
  const countedThrough = { closedAt: new Date(millis).toISOString(), ids: [...watermark.ids] };
  const mergeQueue: MergeQueueStatus = { ...status.mergeQueue, countedThrough };
  return { ...status, mergeQueue };
}

function blank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}

/** The queue figures that, when they change, suggest a merge finished. */
function queueSignature(queue: Pick<MergeQueueStatus, 'pending' | 'inFlight' | 'blocked'> | undefined): string {
  return queue === undefined ? '-' : `${queue.pending ?? 0}/${queue.inFlight ?? 0}/${queue.blocked ?? 0}`;
}

// ---- The adapter the Rig reconcile calls ----

export interface RigMergesDeps {
  readonly client: Pick<GtClient, 'mqList' | 'beadShow'>;
  readonly metrics: Pick<OperatorMetrics, 'recordMerge'>;
  readonly clock: Pick<Clock, 'now'>;
  readonly intervalMs?: number;
  readonly minIntervalMs?: number;
  /** One slot for a scheduled read per this long, town-wide; default 10 s. */
  readonly scheduledSpacingMs?: number;
  readonly logger?: Logger;
}

export interface ObserveMergesInput {
  /** The gt rig name (the metrics' `rig` label). */
  readonly rig: string;
  /** `status.mergeQueue.countedThrough` as read from the cache (storedWatermark). */
  readonly stored: MergeWatermark | undefined;
  /** The queue figures just decided from the town snapshot (status.mergeQueue), if any. */
  readonly queue?: Pick<MergeQueueStatus, 'pending' | 'inFlight' | 'blocked'> | undefined;
  /** False while the town read fails or gt does not list the rig: nothing is read then. */
  readonly canRead: boolean;
  readonly signal?: AbortSignal;
}

interface ReadSchedule {
  readonly at: number;
  readonly queue: string;
}

type ReadKind = 'baseline' | 'activity' | 'scheduled';

/**
 * The town-wide schedule of scheduled reads: one slot per `spacingMs`, handed out in the order
 * rigs ask. A rig that asks when no slot is free reserves the next one and is told when it comes
 * (its reconcile requeues for it); the slot is kept for it until it comes back, however late.
 * Rigs reconcile in clusters (a start-up's events, then their resyncs 60 s apart), so a budget
 * that only says "not now" lets the slots between the clusters go unused: a one-token bucket
 * made 12 reads in a 10-minute idle run at 50 rigs (57 cycles), all 50 due. Synchronous, so
 * concurrent reconciles never take one slot twice.
 */
class ScheduledReads {
  readonly #spacingMs: number;
  /** When the next unreserved slot starts. */
  #nextFree = Number.NEGATIVE_INFINITY;
  readonly #reserved = new Map<string, number>();

  constructor(spacingMs: number) {
    this.#spacingMs = spacingMs;
  }

  /** 0: read now; otherwise how long until the rig's reserved slot. */
  admit(rig: string, now: number): number {
    if (this.#spacingMs <= 0) return 0;
    let slot = this.#reserved.get(rig);
    if (slot === undefined) {
      slot = Math.max(now, this.#nextFree);
      this.#nextFree = slot + this.#spacingMs;
    }
    if (slot <= now) {
      this.#reserved.delete(rig);
      return 0;
    }
    this.#reserved.set(rig, slot);
    return slot - now;
  }

  /** How long until the rig's reserved slot, if it holds one still to come. */
  waitOf(rig: string, now: number): number | undefined {
    const slot = this.#reserved.get(rig);
    return slot !== undefined && slot > now ? slot - now : undefined;
  }

  /** The rig read anyway (its queue moved) or is gone: its slot is given up. */
  release(rig: string): void {
    this.#reserved.delete(rig);
  }
}

export class RigMerges {
  readonly #client: RigMergesDeps['client'];
  readonly #clock: RigMergesDeps['clock'];
  readonly #counter: MergeCounter;
  readonly #intervalMs: number;
  readonly #minIntervalMs: number;
  readonly #log: Logger;
  readonly #reads = new Map<string, ReadSchedule>();
  /** The queue figures a rig showed when first seen, until its first read. */
  readonly #firstSeen = new Map<string, string>();
  readonly #scheduled: ScheduledReads;
  /** The newest watermark handed out per rig (what the counter counts from, too). */
  readonly #handedOut = new Map<string, MergeWatermark>();

  constructor(deps: RigMergesDeps) {
    this.#client = deps.client;
    this.#clock = deps.clock;
    this.#counter = createMergeCounter(deps.metrics);
    this.#intervalMs = deps.intervalMs ?? RIG_MERGES_DEFAULTS.intervalMs;
    this.#minIntervalMs = Math.min(deps.minIntervalMs ?? RIG_MERGES_DEFAULTS.minIntervalMs, this.#intervalMs);
    this.#scheduled = new ScheduledReads(deps.scheduledSpacingMs ?? RIG_MERGES_DEFAULTS.scheduledSpacingMs);
    this.#log = (deps.logger ?? silentLogger()).child({ component: 'rig-merges' });
  }

  /**
   * Counts the rig's merges finished since the watermark (reading gt only when due) and
   * returns the watermark to put into the status (withMergeWatermark); never throws: a failed
   * read keeps the watermark and is retried when next due.
   */
  async observe(input: ObserveMergesInput): Promise<MergeWatermark | undefined> {
    const { rig, stored } = input;
    const keep = laterWatermark(stored, this.#handedOut.get(rig));
    const now = this.#clock.now();
    const queue = queueSignature(input.queue);
    if (!input.canRead) return keep;
    const kind = this.#due(rig, stored, now, queue);
    if (kind === undefined || (kind === 'scheduled' && this.#scheduled.admit(rig, now) > 0)) return keep;
    this.#reads.set(rig, { at: now, queue });
    this.#firstSeen.delete(rig);
    this.#scheduled.release(rig);
    try {
      const closed = await this.#client.mqList(rig, { status: 'closed', ...(input.signal ? { signal: input.signal } : {}) });
      const mrs = await this.#withReasons(closed, keep, input.signal);
      const watermark = this.#counter.observe(rig, mrs, stored);
      this.#handedOut.set(rig, watermark);
      return watermark;
    } catch (error) {
      this.#log.warn({ rig, err: error }, 'reading closed merge requests failed; merges are counted at the next read');
      return keep;
    }
  }

  /**
   * How long until the rig's scheduled read, when it waits for a slot of the town-wide schedule:
   * the Rig reconcile requeues for it rather than waiting for its next resync.
   */
  waitingMs(rig: string): number | undefined {
    return this.#scheduled.waitOf(rig, this.#clock.now());
  }

  /** Drops what is kept for a deleted rig. */
  forget(rig: string): void {
    this.#scheduled.release(rig);
    this.#reads.delete(rig);
    this.#firstSeen.delete(rig);
    this.#handedOut.delete(rig);
    this.#counter.forget(rig);
  }

  /**
   * Which read is due now, if any (see the header: only scheduled reads are budgeted). Before a
   * rig's first read it also records the queue figures the rig first showed, so a change of them
   * is an activity read.
   */
  #due(rig: string, stored: MergeWatermark | undefined, now: number, queue: string): ReadKind | undefined {
    const last = this.#reads.get(rig);
    if (last === undefined) {
      if (stored === undefined) return 'baseline';
      const first = this.#firstSeen.get(rig);
      if (first === undefined) this.#firstSeen.set(rig, queue);
      return first !== undefined && first !== queue ? 'activity' : 'scheduled';
    }
    const since = now - last.at;
    if (since >= this.#minIntervalMs && last.queue !== queue) return 'activity';
    return since >= this.#intervalMs ? 'scheduled' : undefined;
  }

  /** One `bd show` for the new merges whose outcome only the bead's close_reason tells. */
  async #withReasons<T extends MergeRequestLike>(mrs: readonly T[], from: MergeWatermark | undefined, signal: AbortSignal | undefined): Promise<T[]> {
    const ids = from === undefined ? [] : idsNeedingCloseReason(mrs, from);
    if (ids.length === 0) return [...mrs];
    const shown = await this.#client.beadShow(ids, signal ? { signal } : {});
    const reasons = new Map<string, string>();
    for (const bead of shown.found) if (bead.closeReason !== undefined) reasons.set(bead.id, bead.closeReason);
    return withCloseReasons(mrs, reasons);
  }
}
