// How a Convoy's status is spelled: conditions stamped with observedGeneration, gt errors as
// reasons and requeue delays, the marker that lets the operator find its own gt convoy again,
// and bead progress computed per bead (gt's own auto-close is unreliable across rigs).
//
// Pure functions; decide.ts and outcome.ts build every status from these.
import {
  ConditionType, ConvoyPhase, Reason, convoyBeadSummary, type Condition, type Convoy, type ConvoyBeadSummary, type ConvoyStatus,
} from '../../api/index.ts';
import type { GtError } from '../../gt/errors.ts';
import type { Bead, TrackedBead } from '../../gt/types.ts';
import { setCondition, type ConditionStatus } from '../../runtime/conditions.ts';

export interface RetryDelays {
  readonly transientMs: number;
  readonly unavailableMs: number;
  readonly cliErrorMs: number;
  readonly parseErrorMs: number;
}

export const DEFAULT_RETRY_DELAYS: RetryDelays = { transientMs: 5_000, unavailableMs: 30_000, cliErrorMs: 60_000, parseErrorMs: 60_000 };

export interface GtFailure {
  readonly reason: Reason;
  readonly message: string;
  readonly requeueAfterMs: number | undefined;
}

/** gt error kind -> reason and retry (InvalidArgument is permanent: no retry). */
export function gtFailure(error: GtError, delays: RetryDelays): GtFailure {
  const message = error.message.slice(0, 1024);
  switch (error.kind) {
    case 'Transient':
      return { reason: Reason.GTUnavailable, message, requeueAfterMs: delays.transientMs };
    case 'Unavailable':
      return { reason: Reason.GTUnavailable, message, requeueAfterMs: delays.unavailableMs };
    case 'CLIError':
    case 'NotFound':
      return { reason: Reason.GTError, message, requeueAfterMs: delays.cliErrorMs };
    case 'ParseError':
      return { reason: Reason.GTOutputInvalid, message, requeueAfterMs: delays.parseErrorMs };
    case 'InvalidArgument':
      return { reason: Reason.GTError, message, requeueAfterMs: undefined };
  }
}

export function withCondition(status: ConvoyStatus, type: string, condStatus: ConditionStatus, reason: Reason, message: string, now: number): ConvoyStatus {
  const input = { type, status: condStatus, reason, message, observedGeneration: status.observedGeneration ?? 0 };
  const conditions: Condition[] = setCondition(status.conditions, input, now);
  return { ...status, conditions };
}

export function conditionOf(status: ConvoyStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** Phase with Ready: True while the gt convoy exists (InProgress, Completed). */
export function withPhase(status: ConvoyStatus, phase: ConvoyPhase, reason: Reason, message: string, now: number): ConvoyStatus {
  const ok = phase === ConvoyPhase.InProgress || phase === ConvoyPhase.Completed;
  return withCondition({ ...status, phase }, ConditionType.Ready, ok ? 'True' : 'False', reason, message, now);
}

export function withSynced(status: ConvoyStatus, now: number): ConvoyStatus {
  return withCondition(status, ConditionType.Synced, 'True', Reason.Synced, 'gt read succeeded', now);
}

export function withSyncFailure(status: ConvoyStatus, failure: GtFailure, now: number): ConvoyStatus {
  return withCondition(status, ConditionType.Synced, 'False', failure.reason, failure.message, now);
}

// ---- The marker ----

const MAX_TITLE_DESCRIPTION = 200;

/** `[k8s:<namespace>/<name>/<uid prefix>]`: unique per object, stable across restarts. */
export function convoyMarker(convoy: Convoy): string {
  const uid = (convoy.metadata.uid ?? '').replace(/-/g, '').slice(0, 8);
  return `[k8s:${convoy.metadata.namespace}/${convoy.metadata.name}/${uid}]`;
}

/**
 * The gt convoy title: the description on one line (bounded, never starting with `-`, which
 * gt would read as a flag), then the marker. The marker ends the title so a search by suffix
 * cannot match another object whose name merely starts the same way.
 */
export function convoyTitle(convoy: Convoy): string {
  const text = (convoy.spec.description ?? convoy.metadata.name).replace(/\s+/g, ' ').trim().replace(/^-+\s*/, '');
  const short = text.length > MAX_TITLE_DESCRIPTION ? `${text.slice(0, MAX_TITLE_DESCRIPTION - 1)}…` : text;
  return `${short || convoy.metadata.name} ${convoyMarker(convoy)}`;
}

/** The gt convoy whose title carries this object's marker (oldest first if several). */
export function findByMarker<T extends { readonly id: string; readonly title: string }>(convoys: Iterable<T>, convoy: Convoy): T | undefined {
  const marker = convoyMarker(convoy);
  const hits = [...convoys].filter((c) => c.title.trimEnd().endsWith(marker));
  return hits.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
}

// ---- Progress ----

export interface Progress {
  readonly summary: ConvoyBeadSummary;
  readonly allClosed: boolean;
}

/**
 * Closed or not, per bead of the spec: the batched bead read first (fresh per sync cycle),
 * then the status gt printed for the tracked bead. A bead neither knows is pending.
 */
export function beadProgress(beadIds: readonly string[], beads: ReadonlyMap<string, Bead>, tracked: readonly TrackedBead[]): Progress {
  const trackedById = new Map(tracked.map((t) => [t.id, t]));
  const completed: string[] = [];
  const pending: string[] = [];
  for (const id of beadIds) {
    const kind = beads.get(id)?.status.kind ?? trackedById.get(id)?.status.kind;
    (kind === 'closed' ? completed : pending).push(id);
  }
  const summary = convoyBeadSummary(completed, pending);
  return { summary, allClosed: pending.length === 0 && completed.length > 0 };
}
