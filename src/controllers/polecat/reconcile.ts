// The Polecat reconcile: gather -> decide -> act -> write status, level-based on a key.
//
// Gather: the Polecat from the informer cache, the latest town snapshot (one batched read of
// the town serves every view) and only the targeted gt reads its situation asks for
// (situation.ts probesNeeded: check-recovery before a nuke, then git-state if gt said "not
// safe" without a reason; polecat status when a working polecat may have been silent too long;
// the rig's merge requests when a followed polecat vanished with its bead still open).
// Act, fold, write, Events, sync request: shared/reconcile.ts carryOut (sling / nuke /
// escalation mail through the GtClient; the status once, only if it changed, with the read
// resourceVersion as precondition: a stale read is a 409, requeued, nothing written).
//
// Two guards make side effects happen once:
// - slings: a bead is slung only when no polecat of the rig holds it in a snapshot read
//   *after* this process's last sling of it. The in-flight record (`SlingFences`) is memory
//   only, like the ReplicaSet controller's expectations: after a restart the first snapshot
//   is read after any earlier sling, so it shows the polecat and the view adopts it.
// - escalation mails: the intent (the new count and the mail's tag in `pendingMail`) is written
//   first (precondition checked), and only then handed to the escalation outbox, which sends the
//   intents of one rig and town read as one mail; a later reconcile settles the tag from the
//   outbox, or after a restart from the town event log (escalation-outbox.ts), so a crash
//   between intent and send neither repeats the mail nor loses it.
// Deletion runs through the runtime's finalizer helper; cleanup that is held back (unsaved
// work, or contradicting delete annotations) is a returned decision that is not `released`:
// the finalizer stays and the view is looked at again, without counting as a failure. A view annotated on-delete "orphan" is released with no gt call at all
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
import { carryOut, requeueOf } from '../shared/reconcile.ts';
import type { GtViewReconcilerDeps } from '../shared/sinks.ts';
import { DEFAULT_POLECAT_CONFIG, decidePolecat, type PolecatAction, type PolecatConfig, type PolecatDecision } from './decide.ts';
import { EscalationOutbox } from './escalation-outbox.ts';
import { applyNuke, applySling } from './outcome.ts';
import type { BranchRead } from '../../execution/pushed-branches.ts';
import { followedPolecat } from './identity.ts';
import { classifyPolecat, probesNeeded, type PolecatView, type SessionView, type SlingInFlight } from './situation.ts';
import { needsGitState } from './status.ts';
import { escalationTag, type PendingMailOutcome } from './stuck.ts';
import type { TownSnapshot } from '../town-sync/snapshot.ts';

export interface PolecatReconcilerDeps extends GtViewReconcilerDeps<PolecatStatus, PolecatConfig> {
  /** For the finalizer patches. */
  readonly kube: KubeClient;
  readonly kind: ResourceKind;
  /** Where escalation mails leave (one per process); default: one with no event log receipts. */
  readonly outbox?: EscalationOutbox;
  /**
   * Pod execution: the session of a gt polecat (from the informer caches), or undefined when
   * its rig runs agents on the town host. Absent when Pod execution is off.
   */
  readonly sessions?: (rig: string, name: string) => SessionView | undefined;
  /** Pod execution: the polecat's pushed `polecat/<name>-*` branches (execution/pushed-branches.ts). */
  readonly pushedBranches?: (rig: string, name: string) => Promise<BranchRead>;
}

type PolecatObject = WithStatus<PolecatStatus>;

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
  readonly #outbox: EscalationOutbox;

  constructor(deps: PolecatReconcilerDeps) {
    this.#deps = deps;
    this.#config = deps.config ?? DEFAULT_POLECAT_CONFIG;
    this.#log = deps.logger ?? silentLogger();
    this.#outbox =
      deps.outbox ?? new EscalationOutbox({ gt: deps.gt, clock: deps.clock, windowMs: this.#config.escalation.batchWindowMs, logger: this.#log });
  }

  /** What became of the escalation mail the status records as pending, if any. */
  async #pendingMail(status: PolecatStatus | undefined): Promise<PendingMailOutcome | undefined> {
    const tag = status?.escalation?.pendingMail;
    if (tag === undefined) return undefined;
    const known = this.#outbox.outcome(tag);
    if (known !== undefined) return known;
    const intentAt = Date.parse(status?.escalation?.lastSentAt ?? '');
    return this.#outbox.receipt(tag, Number.isNaN(intentAt) ? 0 : intentAt);
  }

  /**
   * Whether this outbox already sent (or tried) the mail of `rig`'s polecats due in the read
   * `snapshot`: a new intent on that read would reuse its tag. In memory only, and that is enough:
   * a restarted process's reads are all newer than the mails of the process before it.
   */
  #readMailed(rig: string, snapshot: TownSnapshot | undefined): boolean {
    if (snapshot === undefined) return false;
    const outcome = this.#outbox.outcome(escalationTag(rig, snapshot.observedAt));
    return outcome === 'sent' || outcome === 'failed';
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
    const outcome = await withFinalizer<PolecatObject, PolecatDecision>(
      { client: kube, kind, finalizer: FINALIZER, obj },
      {
        apply: (current) => this.#run(key, current, false, signal),
        cleanup: async (current) => {
          const result = await this.#run(key, current, true, signal);
          if (result.released) town.unregisterBeadInterest(beadInterestOwner(key));
          return result;
        },
        // Cleanup held back (unsaved work, contradicting annotations): keep the finalizer, look again.
        finished: (result) => result.released,
      },
    );
    return outcome === undefined ? undefined : requeueOf(outcome);
  }

  async #run(key: string, obj: PolecatObject, deleting: boolean, signal: AbortSignal | undefined): Promise<PolecatDecision> {
    const { gt, town, clock } = this.#deps;
    const view = this.#view(key, obj, deleting);
    const { polecat } = view;
    const now = clock.now();
    const needed = probesNeeded(classifyPolecat(view), polecat.status?.lastActivity, now, this.#config.escalation.stuckAfterMs, view.session !== undefined);
    const opts = signal === undefined ? {} : { signal };
    const { recovery: r, activity: a, mergeRequests: m } = needed;
    const [recovery, activity, mergeRequests] = await Promise.all([
      r ? probe(() => gt.polecatCheckRecovery(r.rig, r.name, opts)) : undefined,
      a ? probe(() => gt.polecatStatus(a.rig, a.name, opts)) : undefined,
      m ? probe(() => gt.mqList(m, { ...opts, status: 'all' })) : undefined,
    ]);
    // Second stage: only when gt said "not safe" without saying why.
    const gitState = r && recovery?.ok === true && needsGitState(recovery.value) ? await probe(() => gt.polecatGitState(r.rig, r.name, opts)) : undefined;
    const pendingMail = await this.#pendingMail(polecat.status);
    const readMailed = this.#readMailed(polecat.spec.rig, view.snapshot);
    const pushed = needed.pushed && this.#deps.pushedBranches ? await this.#deps.pushedBranches(needed.pushed.rig, needed.pushed.name) : undefined;
    const probes = {
      ...(recovery ? { recovery } : {}), ...(gitState ? { gitState } : {}), ...(activity ? { activity } : {}), ...(pendingMail ? { pendingMail } : {}), ...(readMailed ? { readMailed } : {}),
      ...(mergeRequests ? { mergeRequests } : {}),
      ...(pushed ? { pushed } : {}),
    };
    const decision = decidePolecat({ ...view, ...probes }, now, this.#config);
    return carryOut<PolecatStatus, PolecatAction, PolecatDecision>({
      subject: `polecat ${key}`,
      obj,
      decision,
      intent: (action) => action.type === 'escalate',
      // The outbox sends the mail after its window; a mail changes nothing town sync reads.
      changesTown: (action) => action.type !== 'escalate',
      act: (action, d) => this.#act(key, action, d, opts),
      status: this.#deps.status,
      events: this.#deps.events,
      town,
    });
  }

  /** What classification reads: the cached view, the town, our sling in flight, its session pod. */
  #view(key: string, obj: PolecatObject, deleting: boolean): PolecatView {
    const polecat = decode(obj);
    const snapshot = this.#deps.town.current();
    const slingInFlight = this.#fences.get(key, snapshot?.observedAt, recordedDispatch(polecat));
    const followed = followedPolecat(polecat);
    const session = followed === undefined ? undefined : this.#deps.sessions?.(followed.rig, followed.name);
    return { polecat, deleting, snapshot, ...(slingInFlight ? { slingInFlight } : {}), ...(session ? { session } : {}) };
  }

  async #act(key: string, action: PolecatAction, d: PolecatDecision, opts: { signal?: AbortSignal }): Promise<PolecatDecision> {
    const { gt, clock } = this.#deps;
    switch (action.type) {
      case 'sling': {
        const result = await probe(() => gt.sling(action.bead, action.rig, opts));
        // Whatever the outcome (a timeout may still have slung), wait for a snapshot read after it.
        const scheduled = result.ok && result.value.outcome === 'scheduled';
        this.#fences.set(key, { beadID: action.bead, at: clock.now(), ...(scheduled ? { scheduled } : {}) });
        this.#log.info({ key, bead: action.bead, rig: action.rig, ok: result.ok }, 'gt sling');
        return applySling(d, action, result, clock.now(), this.#config);
      }
      case 'nuke': {
        const result = await probe(() => gt.polecatNuke(action.rig, action.name, { ...opts, force: action.force }));
        this.#log.info({ key, target: `${action.rig}/${action.name}`, force: action.force, ok: result.ok }, 'gt polecat nuke');
        return applyNuke(d, action, result, clock.now(), this.#config);
      }
      case 'escalate':
        // The intent is in status already (carryOut writes it before any action runs).
        this.#outbox.enqueue(key, action);
        return d;
    }
  }
}
