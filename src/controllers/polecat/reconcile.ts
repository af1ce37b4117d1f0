// The Polecat reconcile: gather -> decide -> act -> write status, level-based on a key.
//
// Gather: the Polecat from the informer cache, the latest town snapshot (one batched read of
// the town serves every view) and only the targeted gt reads decide asks for (probesFor:
// check-recovery before a nuke, then git-state if gt said "not safe" without a reason;
// polecat status when a working polecat may have been silent too long).
// Act: sling / nuke / escalation mail through the GtClient, then ask town sync for a fresh
// snapshot. Write: the status once, only if it changed, with the read resourceVersion as
// precondition (a stale read is a 409: requeued, nothing written).
//
// Two guards make side effects happen once:
// - slings: a bead is slung only when no polecat of the rig holds it in a snapshot read
//   *after* this process's last sling of it. The in-flight record (`SlingFences`) is memory
//   only, like the ReplicaSet controller's expectations: after a restart the first snapshot
//   is read after any earlier sling, so it shows the polecat and the view adopts it.
// - escalation mails: the new escalation count is written first (precondition checked),
//   then the mail is sent, so a stale cache or a crash can skip a mail but never repeat one.
// Deletion runs through the runtime's finalizer helper; cleanup that is held back (unsaved
// work, or contradicting delete annotations) keeps the finalizer and requeues without counting
// as a failure. A view annotated on-delete "orphan" is released with no gt call at all
// (decide.ts: deletePolicy), so the gt polecat keeps running.
import { FINALIZER, decodePolecat, type Polecat, type PolecatStatus } from '../../api/index.ts';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import type { ReconcileContext, ReconcileResult } from '../../runtime/controller.ts';
import { withFinalizer } from '../../runtime/finalizers.ts';
import type { KubeClient, ResourceKind } from '../../runtime/k8s.ts';
import type { WithStatus } from '../../runtime/status.ts';
import { decodeOrThrow } from '../shared/controller.ts';
import { probe } from '../shared/probe.ts';
import type { TownSnapshot } from '../town-sync/snapshot.ts';
import type { GtViewReconcilerDeps } from '../shared/sinks.ts';
import {
  DEFAULT_POLECAT_CONFIG, decidePolecat, probesFor, terminationTarget, type PolecatConfig, type PolecatDecision, type SlingInFlight,
} from './decide.ts';
import { applyEscalation, applyNuke, applySling } from './outcome.ts';
import { needsGitState } from './status.ts';

export interface PolecatReconcilerDeps extends GtViewReconcilerDeps<PolecatStatus, PolecatConfig> {
  /** For the finalizer patches. */
  readonly kube: KubeClient;
  readonly kind: ResourceKind;
}

type PolecatObject = WithStatus<PolecatStatus>;

/** Thrown inside the finalizer's cleanup to keep the finalizer and look again later. */
class CleanupHeldBack extends Error {
  readonly requeueAfterMs: number | undefined;
  constructor(requeueAfterMs: number | undefined) {
    super('polecat cleanup held back');
    this.requeueAfterMs = requeueAfterMs;
  }
}

/**
 * Slings this process made (see header). A fence is kept until both a snapshot read after the
 * sling exists and the view's object (from the informer) records the bead as dispatched: a
 * scheduled sling (scheduler mode) never shows in a snapshot, and a newer snapshot alone would
 * let a stale object sling the bead again.
 */
export class SlingFences {
  readonly #fences = new Map<string, SlingInFlight>();

  /** `recorded`: the bead the object's status records as dispatched (dispatchedBeadID, else beadID). */
  get(key: string, snapshotAt: number | undefined, recorded: string | undefined): SlingInFlight | undefined {
    const fence = this.#fences.get(key);
    if (fence !== undefined && snapshotAt !== undefined && snapshotAt > fence.at && recorded === fence.beadID) {
      this.#fences.delete(key);
      return undefined;
    }
    return fence;
  }

  set(key: string, fence: SlingInFlight): void {
    this.#fences.set(key, fence);
  }

  delete(key: string): void {
    this.#fences.delete(key);
  }
}

/** A Polecat the API server accepted but this operator cannot read is a permanent error. */
function decode(obj: PolecatObject): Polecat {
  return decodeOrThrow(decodePolecat, obj);
}

/** The followed polecat, or (terminating, no name recorded) one holding the view's bead. */
function targetName(polecat: Polecat, snapshot: TownSnapshot | undefined): string {
  return terminationTarget(polecat, snapshot?.ok === true ? snapshot : undefined) ?? '';
}

/** The bead the object (as the informer has it) records as dispatched. */
function recordedDispatch(polecat: Polecat): string | undefined {
  return polecat.status?.dispatchedBeadID ?? polecat.status?.beadID;
}

export function beadInterestOwner(key: string): string {
  return `polecat:${key}`;
}

export class PolecatReconciler {
  readonly #deps: PolecatReconcilerDeps;
  readonly #config: PolecatConfig;
  readonly #fences = new SlingFences();
  readonly #log: Logger;

  constructor(deps: PolecatReconcilerDeps) {
    this.#deps = deps;
    this.#config = deps.config ?? DEFAULT_POLECAT_CONFIG;
    this.#log = deps.logger ?? silentLogger();
  }

  async reconcile(key: string, ctx?: Pick<ReconcileContext, 'signal' | 'logger'>): Promise<ReconcileResult> {
    const { town, kube, kind, get } = this.#deps;
    const obj = get(key);
    if (obj === undefined) {
      town.unregisterBeadInterest(beadInterestOwner(key));
      this.#fences.delete(key);
      return undefined;
    }
    const polecat = decode(obj);
    const beads = [polecat.spec.beadID, polecat.status?.beadID, polecat.status?.dispatchedBeadID].filter((b): b is string => b !== undefined);
    town.registerBeadInterest(beadInterestOwner(key), [...new Set(beads)]);
    const signal = ctx?.signal;
    try {
      return await withFinalizer<PolecatObject, ReconcileResult>(
        { client: kube, kind, finalizer: FINALIZER, obj },
        {
          apply: (current) => this.#run(key, current, false, signal),
          cleanup: async (current) => {
            const result = await this.#run(key, current, true, signal);
            town.unregisterBeadInterest(beadInterestOwner(key));
            return result;
          },
        },
      );
    } catch (error) {
      if (error instanceof CleanupHeldBack) {
        return error.requeueAfterMs === undefined ? undefined : { requeueAfterMs: error.requeueAfterMs };
      }
      throw error;
    }
  }

  async #run(key: string, obj: PolecatObject, deleting: boolean, signal: AbortSignal | undefined): Promise<ReconcileResult> {
    const { gt, town, clock } = this.#deps;
    const polecat = decode(obj);
    const snapshot = town.current();
    const now = clock.now();
    const wanted = probesFor(polecat, deleting, snapshot, now, this.#config);
    const rig = polecat.spec.rig;
    const name = targetName(polecat, snapshot);
    const opts = signal === undefined ? {} : { signal };
    const [recovery, activity] = await Promise.all([
      wanted.recovery ? probe(() => gt.polecatCheckRecovery(rig, name, opts)) : undefined,
      wanted.activity ? probe(() => gt.polecatStatus(rig, name, opts)) : undefined,
    ]);
    // Second stage: only when gt said "not safe" without saying why.
    const gitState = recovery?.ok === true && needsGitState(recovery.value) ? await probe(() => gt.polecatGitState(rig, name, opts)) : undefined;
    const slingInFlight = this.#fences.get(key, snapshot?.observedAt, recordedDispatch(polecat));
    const probes = { ...(recovery ? { recovery } : {}), ...(gitState ? { gitState } : {}), ...(activity ? { activity } : {}) };
    let d = decidePolecat(
      { polecat, deleting, snapshot, ...probes, ...(slingInFlight ? { slingInFlight } : {}) },
      now,
      this.#config,
    );
    let current = obj;
    if (d.actions.some((a) => a.type === 'escalate')) current = (await this.#deps.status.write(current, d.status)) ?? current;
    d = await this.#act(key, d, opts);
    for (const e of d.events) this.#deps.events.event(obj, e.type, e.reason, e.message);
    await this.#deps.status.write(current, d.status);
    if (d.actions.length > 0) town.requestSync(`polecat ${key}: ${d.actions.map((a) => a.type).join(',')}`);
    if (deleting && !d.released) throw new CleanupHeldBack(d.requeueAfterMs);
    return d.requeueAfterMs === undefined ? undefined : { requeueAfterMs: d.requeueAfterMs };
  }

  async #act(key: string, decision: PolecatDecision, opts: { signal?: AbortSignal }): Promise<PolecatDecision> {
    const { gt, clock } = this.#deps;
    let d = decision;
    for (const action of decision.actions) {
      switch (action.type) {
        case 'sling': {
          const result = await probe(() => gt.sling(action.bead, action.rig, opts));
          // Whatever the outcome (a timeout may still have slung), wait for a snapshot read after it.
          const scheduled = result.ok && result.value.outcome === 'scheduled';
          this.#fences.set(key, { beadID: action.bead, at: clock.now(), ...(scheduled ? { scheduled } : {}) });
          this.#log.info({ key, bead: action.bead, rig: action.rig, ok: result.ok }, 'gt sling');
          d = applySling(d, action, result, clock.now(), this.#config);
          break;
        }
        case 'nuke': {
          const result = await probe(() => gt.polecatNuke(action.rig, action.name, { ...opts, force: action.force }));
          this.#log.info({ key, target: `${action.rig}/${action.name}`, force: action.force, ok: result.ok }, 'gt polecat nuke');
          d = applyNuke(d, action, result, clock.now(), this.#config);
          break;
        }
        case 'escalate': {
          const result = await probe(() => gt.mailSend(action.address, action.subject, action.body, opts));
          d = applyEscalation(d, action.address, result);
          break;
        }
      }
    }
    return d;
  }
}
