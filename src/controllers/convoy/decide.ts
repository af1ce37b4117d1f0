// The Convoy decision, pure: (the Convoy, the town snapshot, the targeted gt reads reconcile
// made for it, now, config) -> (actions, status, events, when to look again). In order:
//
//   Completed/Failed at this generation  -> nothing more (no polling), except a notification
//                                           still owed
//   no snapshot yet / snapshot failed    -> wait; Synced=False with the gt error's reason
//   no beadsConvoyID                     -> adopt the gt convoy carrying our marker (found in
//                                           the snapshot or `convoy list --all`), else create
//   convoy gone (NotFound)               -> Failed/ConvoyNotFound only when confirmed: bd
//                                           answers for other beads but not for the convoy;
//                                           otherwise it may be a database outage: retry
//   beads not tracked                    -> `gt convoy add` the missing ones, verify again
//   progress                             -> per-bead status; Completed when all are closed
//
// Notification is at most once: the intent (Notified=Unknown, NotificationPending) is written
// with the read resourceVersion as precondition before the mail is sent, and the result after.
// A reconcile that finds an unconfirmed intent cannot know whether the mail went out, so it
// records NotificationFailed instead of sending again: the issue says never twice, and a lost
// mail is visible in the condition while a duplicate cannot be taken back.
import { ConditionType, ConvoyPhase, Reason, type Convoy, type ConvoyStatus } from '../../api/index.ts';
import { CONVOY_STATUSES, isRecognized, type ConvoyStatusKind, type GtError, type OpenEnum } from '../../gt/index.ts';
import type { Convoy as GtConvoy, ConvoyListItem, TrackedBead } from '../../gt/index.ts';
import { formatTime } from '../../runtime/conditions.ts';
import { DEFAULT_RETRY_DELAYS, gtFailure, type RetryDelays } from '../shared/gt-failure.ts';
import type { Probe } from '../shared/probe.ts';
import type { GtViewDecision } from '../shared/reconcile.ts';
import type { ViewEvent } from '../shared/sinks.ts';
import { baseStatus, conditionOf, withCondition, withSynced, withSyncFailure } from '../shared/status.ts';
import type { TownData, TownSnapshot } from '../town-sync/snapshot.ts';
import { beadProgress, convoyTitle, withPhase } from './status.ts';

export interface ConvoyConfig {
  readonly retry: RetryDelays;
  /** Wait for the first snapshot, or after acting, for gt to show the change. */
  readonly townWaitMs: number;
  /** Safety poll of a convoy in progress, besides snapshot changes. */
  readonly progressPollMs: number;
}

export const DEFAULT_CONVOY_CONFIG: ConvoyConfig = { retry: DEFAULT_RETRY_DELAYS, townWaitMs: 1_000, progressPollMs: 30_000 };

export interface ConvoyObservation {
  readonly convoy: Convoy;
  readonly snapshot: TownSnapshot | undefined;
  /** Our gt convoy found by marker (undefined value: none exists), when there is no ID yet. */
  readonly search?: Probe<ConvoyListItem | undefined>;
  /** `gt convoy status <id>`, when tracking is unverified or the snapshot does not list the convoy. */
  readonly gtConvoy?: Probe<GtConvoy>;
  /** False while the gt client's circuit breaker is open: a mail would not even be tried. */
  readonly gtReachable: boolean;
}

export type ConvoyAction =
  | { readonly type: 'create'; readonly title: string; readonly beads: readonly string[] }
  | { readonly type: 'add'; readonly id: string; readonly beads: readonly string[] }
  | { readonly type: 'notify'; readonly address: string; readonly subject: string; readonly body: string };

export type ConvoyEvent = ViewEvent;

export type ConvoyDecision = GtViewDecision<ConvoyStatus, ConvoyAction>;

// ---- What to gather ----

export interface ConvoyProbes {
  readonly search: boolean;
  readonly status: boolean;
}

/** Completed or Failed for the current spec: nothing left to watch. */
export function isSettled(convoy: Convoy): boolean {
  const s = convoy.status;
  const phase = s?.phase;
  return (phase === ConvoyPhase.Completed || phase === ConvoyPhase.Failed) && s?.observedGeneration === (convoy.metadata.generation ?? 0);
}

function trackingVerified(convoy: Convoy): boolean {
  const c = conditionOf(convoy.status, ConditionType.Tracking);
  return c?.status === 'True' && c.observedGeneration === (convoy.metadata.generation ?? 0);
}

/** Every bead of the spec appears among the convoy's tracked beads. */
function tracksAll(convoy: Convoy, tracked: readonly TrackedBead[]): boolean {
  const ids = new Set(tracked.map((t) => t.id));
  return convoy.spec.trackedBeads.every((b) => ids.has(b));
}

/**
 * `gt convoy status` is read when the open list does not show the convoy (closed, or beyond the
 * list's 50), and while tracking is unverified unless the list already shows every bead
 * tracked: the list prints the same tracked beads as `status` and was read after the convoy
 * existed, so a fresh convoy is verified by the next sync cycle without a call of its own.
 * A list showing a bead missing may predate an add: only `status` may justify another add.
 */
export function probesFor(convoy: Convoy, snapshot: TownSnapshot | undefined): ConvoyProbes {
  if (isSettled(convoy) || snapshot === undefined || !snapshot.ok) return { search: false, status: false };
  const id = convoy.status?.beadsConvoyID;
  if (id === undefined) return { search: true, status: false };
  const listed = snapshot.openConvoys.get(id);
  return { search: false, status: listed === undefined || (!trackingVerified(convoy) && !tracksAll(convoy, listed.tracked)) };
}

// ---- The decision ----

function decision(status: ConvoyStatus, rest: Partial<Omit<ConvoyDecision, 'status'>> = {}): ConvoyDecision {
  return { status, actions: [], events: [], ...rest };
}

export function decideConvoy(obs: ConvoyObservation, now: number, config: ConvoyConfig = DEFAULT_CONVOY_CONFIG): ConvoyDecision {
  const { convoy, snapshot } = obs;
  const status = baseStatus(convoy.status, convoy.metadata.generation);
  if (isSettled(convoy)) return notification(obs, decision(status), now, config);
  if (snapshot === undefined) return decision(status, { requeueAfterMs: config.townWaitMs });
  if (!snapshot.ok) {
    const failure = gtFailure(snapshot.error, config.retry);
    return decision(withSyncFailure(status, failure, now), { requeueAfterMs: failure.requeueAfterMs });
  }
  const synced = withSynced(status, now);
  const id = status.beadsConvoyID;
  if (id === undefined) return decideCreation(obs, synced, now, config);
  return decideProgress(obs, snapshot, id, synced, now, config);
}

function decideCreation(obs: ConvoyObservation, status: ConvoyStatus, now: number, config: ConvoyConfig): ConvoyDecision {
  const { convoy, search } = obs;
  if (search === undefined) return decision(status, { requeueAfterMs: config.townWaitMs });
  if (!search.ok) {
    const failure = gtFailure(search.error, config.retry);
    return decision(withSyncFailure(status, failure, now), { requeueAfterMs: failure.requeueAfterMs });
  }
  const found = search.value;
  if (found !== undefined) {
    const message = `found gt convoy ${found.id} created for this object earlier; adopting it`;
    const adopted: ConvoyStatus = { ...status, beadsConvoyID: found.id, startedAt: status.startedAt ?? startTime(found, now) };
    const next = withCondition(withPhase(adopted, ConvoyPhase.InProgress, Reason.ConvoyCreated, message, now), ConditionType.Tracking, 'Unknown', Reason.TrackingIncomplete, 'verifying tracked beads', now);
    return decision(next, { events: [{ type: 'Normal', reason: Reason.ConvoyCreated, message }], requeueAfterMs: config.townWaitMs });
  }
  const title = convoyTitle(convoy);
  const pending = withPhase(status, ConvoyPhase.Pending, Reason.ConvoyCreated, `creating gt convoy "${title}"`, now);
  return decision(pending, { actions: [{ type: 'create', title, beads: convoy.spec.trackedBeads }] });
}

function startTime(found: ConvoyListItem, now: number): string {
  const created = found.createdAt === undefined ? Number.NaN : Date.parse(found.createdAt);
  return formatTime(Number.isNaN(created) ? now : created);
}

/** A NotFound from `convoy status` is believed only when bd answers for other beads but not the convoy. */
function confirmedGone(town: TownData, id: string): boolean {
  return town.missingBeads.has(id) && town.beads.size > 0;
}

function decideProgress(obs: ConvoyObservation, town: TownData, id: string, status: ConvoyStatus, now: number, config: ConvoyConfig): ConvoyDecision {
  const probe = obs.gtConvoy;
  if (probe !== undefined && !probe.ok) return convoyReadFailed(probe.error, town, id, status, now, config);
  const listed = town.openConvoys.get(id);
  const gt: { status: OpenEnum<ConvoyStatusKind>; tracked: readonly TrackedBead[] } | undefined = probe?.ok ? probe.value : listed;
  if (gt === undefined) return decision(status, { requeueAfterMs: config.townWaitMs });
  let next: ConvoyStatus = { ...status, gtStatus: gt.status.raw.slice(0, 64), gtStatusKnown: isRecognized(gt.status, CONVOY_STATUSES) };
  const trackedIds = new Set(gt.tracked.map((t) => t.id));
  const missing = obs.convoy.spec.trackedBeads.filter((b) => !trackedIds.has(b));
  const actions: ConvoyAction[] = [];
  if (missing.length > 0) {
    const shown = missing.slice(0, 20).join(', ') + (missing.length > 20 ? `, … (${missing.length} in all)` : '');
    next = withCondition(next, ConditionType.Tracking, 'False', Reason.TrackingIncomplete, `gt convoy ${id} does not track ${shown}`, now);
    // Only a fresh `convoy status` justifies an add; a snapshot may predate an earlier add.
    if (probe?.ok === true) actions.push({ type: 'add', id, beads: missing });
  } else {
    next = withCondition(next, ConditionType.Tracking, 'True', Reason.Synced, `gt convoy ${id} tracks all ${trackedIds.size} beads`, now);
  }
  const progress = beadProgress(obs.convoy.spec.trackedBeads, town.beads, gt.tracked);
  next = { ...next, ...progress.summary };
  if (!progress.allClosed || missing.length > 0) {
    next = withPhase(next, ConvoyPhase.InProgress, Reason.BeadsPending, `${progress.summary.progress} beads closed`, now);
    const requeueAfterMs = missing.length > 0 ? config.townWaitMs : config.progressPollMs;
    return notification(obs, decision(next, { actions, requeueAfterMs }), now, config);
  }
  const message = `all ${progress.summary.totalBeads} tracked beads are closed`;
  const completed: ConvoyStatus = { ...next, completedAt: next.completedAt ?? formatTime(now) };
  const events: ConvoyEvent[] = status.phase === ConvoyPhase.Completed ? [] : [{ type: 'Normal', reason: Reason.AllBeadsClosed, message }];
  return notification(obs, decision(withPhase(completed, ConvoyPhase.Completed, Reason.AllBeadsClosed, message, now), { events }), now, config);
}

function convoyReadFailed(error: GtError, town: TownData, id: string, status: ConvoyStatus, now: number, config: ConvoyConfig): ConvoyDecision {
  if (error.kind === 'NotFound' && confirmedGone(town, id)) {
    const message = `gt convoy ${id} no longer exists (bd knows the other beads but not the convoy)`;
    const failed = withPhase(status, ConvoyPhase.Failed, Reason.ConvoyNotFound, message, now);
    return decision(failed, { events: [{ type: 'Warning', reason: Reason.ConvoyNotFound, message }] });
  }
  if (error.kind === 'NotFound') {
    const failure = { reason: Reason.GTUnavailable, message: `${error.message} (gt prints this for a database outage too; not concluding)`, requeueAfterMs: config.retry.transientMs };
    return decision(withSyncFailure(status, failure, now), { requeueAfterMs: failure.requeueAfterMs });
  }
  const failure = gtFailure(error, config.retry);
  return decision(withSyncFailure(status, failure, now), { requeueAfterMs: failure.requeueAfterMs });
}

// ---- Notification (at most once, see header) ----

function notification(obs: ConvoyObservation, d: ConvoyDecision, now: number, config: ConvoyConfig): ConvoyDecision {
  const { convoy } = obs;
  const current = conditionOf(d.status, ConditionType.Notified);
  if (!convoy.spec.notifyOnComplete) {
    return { ...d, status: withCondition(d.status, ConditionType.Notified, 'False', Reason.NotificationNotRequested, 'spec.notifyOnComplete is false', now) };
  }
  if (current?.status === 'True' || current?.reason === Reason.NotificationFailed) return d;
  if (current?.status === 'Unknown') {
    const message = 'the operator stopped between deciding to send the notification and confirming it; it may have been sent and is not sent again';
    const status = withCondition(d.status, ConditionType.Notified, 'False', Reason.NotificationFailed, message, now);
    return { ...d, status, events: [...d.events, { type: 'Warning', reason: Reason.NotificationFailed, message }] };
  }
  if (d.status.phase !== ConvoyPhase.Completed) {
    return { ...d, status: withCondition(d.status, ConditionType.Notified, 'False', Reason.NotificationPending, 'waiting for every tracked bead to close', now) };
  }
  if (!obs.gtReachable) return { ...d, requeueAfterMs: config.retry.transientMs };
  const address = convoy.spec.notifyAddress;
  const intent = withCondition(d.status, ConditionType.Notified, 'Unknown', Reason.NotificationPending, `sending the completion mail to ${address}`, now);
  const id = d.status.beadsConvoyID ?? '?';
  const action: ConvoyAction = {
    type: 'notify',
    address,
    subject: `Convoy ${id} complete: ${convoyTitle(convoy)}`,
    body: `All ${d.status.totalBeads ?? convoy.spec.trackedBeads.length} tracked beads of convoy ${id} (${convoy.metadata.namespace}/${convoy.metadata.name}) are closed.\nSent once by gastown-operator.`,
  };
  return { ...d, status: intent, actions: [...d.actions, action] };
}
