// The Rig reconcile: gather -> decide -> write status, level-based on a key.
//
// Gather: the Rig from the informer cache, one stat of `spec.localPath` on the town host and
// the latest town snapshot (one batched town read serves every Rig: no gt call here). Decide:
// decide.ts. Write: the status once, only if it changed, with the read resourceVersion as
// precondition; Events for phase / readiness transitions. The operator never creates the
// directory, clones or touches gt configuration: the file-system calls are the stat and a read
// of the rig's settings/config.json (`runtime.exec_wrapper`, for the ExecutionWired condition).
//
// Merges: the refinery's finished merge requests are counted for the metrics by `merges`
// (merges.ts: a throttled `gt mq list --status closed` per rig), and the watermark that keeps
// each merge counted once across restarts is written with the rest of the status.
//
// Requeues: a path problem is re-checked after `pathRecheckMs` (no signal reports a directory
// appearing); every Rig is looked at again after `resyncMs` as a level-based safety net, which
// costs a stat and a comparison (town changes themselves arrive through town sync), or sooner
// when its merge read waits for a slot of the town-wide schedule (merges.ts).
import { stat } from 'node:fs/promises';
import { decodeRig, gtRigName, type RigStatus } from '../../api/index.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ReconcileContext, ReconcileResult } from '../../runtime/controller.ts';
import type { WithStatus } from '../../runtime/status.ts';
import { decodeOrThrow } from '../shared/controller.ts';
import type { EventSink, StatusSink } from '../shared/sinks.ts';
import type { TownView } from '../town-sync/snapshot.ts';
import { decideRig, type PathCheck } from './decide.ts';
import { readExecWrapper, type WrapperCheck } from './execution-wiring.ts';
import { storedWatermark, withMergeWatermark, type RigMerges } from './merges.ts';

export const RIG_RECONCILE_DEFAULTS = {
  /** How soon a missing or wrong path is checked again. */
  pathRecheckMs: 15_000,
  /** Level-based safety net: every Rig is recomputed this often. */
  resyncMs: 60_000,
  /** How soon to look again while town sync has produced no snapshot yet. */
  waitForTownMs: 1_000,
} as const;

export interface RigReconcilerDeps {
  /** Reads a Rig from the informer cache by name. */
  readonly get: (key: string) => WithStatus<RigStatus> | undefined;
  readonly town: Pick<TownView, 'current'>;
  readonly status: StatusSink<RigStatus>;
  readonly events: EventSink;
  readonly clock: Clock;
  /** Checks `spec.localPath` on the town host; default a stat. */
  readonly checkPath?: (path: string) => Promise<PathCheck>;
  /** Reads the rig's gt `runtime.exec_wrapper` (read-only); default settings/config.json. */
  readonly readWrapper?: (rigDir: string) => Promise<WrapperCheck>;
  readonly pathRecheckMs?: number;
  /** Counts finished merges for the refinery metrics; omit to count none. */
  readonly merges?: Pick<RigMerges, 'observe' | 'waitingMs'>;
  readonly resyncMs?: number;
}

/** A stat of the path: directory, missing, something else, or why it could not be checked. */
export async function statPath(path: string): Promise<PathCheck> {
  try {
    return (await stat(path)).isDirectory() ? { kind: 'directory' } : { kind: 'not-directory' };
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}

export class RigReconciler {
  readonly #deps: RigReconcilerDeps;
  readonly #checkPath: (path: string) => Promise<PathCheck>;

  constructor(deps: RigReconcilerDeps) {
    this.#deps = deps;
    this.#checkPath = deps.checkPath ?? statPath;
  }

  async reconcile(key: string, ctx: Pick<ReconcileContext, 'logger'>): Promise<ReconcileResult> {
    const { get, town, status, events, clock } = this.#deps;
    const obj = get(key);
    if (!obj || obj.metadata?.deletionTimestamp) return undefined;
    const rig = decodeOrThrow(decodeRig, obj);
    const snapshot = town.current();
    if (!snapshot) return { requeueAfterMs: RIG_RECONCILE_DEFAULTS.waitForTownMs };
    const path = await this.#checkPath(rig.spec.localPath);
    const gtName = gtRigName(rig);
    const wrapper = path.kind === 'directory' ? await (this.#deps.readWrapper ?? readExecWrapper)(rig.spec.localPath) : undefined;
    const decision = decideRig({ rig, gtName, path, town: snapshot, now: clock.now(), wrapper });
    // decideRig rebuilds mergeQueue from the town; the counting watermark is carried over.
    const stored = storedWatermark(rig.status);
    const watermark = await this.#deps.merges?.observe({
      rig: gtName, stored, queue: decision.status.mergeQueue,
      canRead: snapshot.ok && decision.status.operationalState !== undefined,
    });
    const written = await status.write(obj, withMergeWatermark(decision.status, watermark ?? stored));
    if (written) {
      for (const e of decision.events) events.event(obj, e.type, e.reason, e.message);
      ctx.logger.debug({ phase: decision.status.phase }, 'rig status written');
    }
    const recheck = path.kind === 'directory' ? undefined : (this.#deps.pathRecheckMs ?? RIG_RECONCILE_DEFAULTS.pathRecheckMs);
    const next = recheck ?? this.#deps.resyncMs ?? RIG_RECONCILE_DEFAULTS.resyncMs;
    // A merge read waiting for its slot of the town-wide schedule comes back for it (merges.ts).
    const mergeSlot = this.#deps.merges?.waitingMs(gtName);
    return { requeueAfterMs: mergeSlot === undefined ? next : Math.min(next, mergeSlot) };
  }
}
