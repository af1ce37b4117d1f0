// How a Convoy's status is spelled: phase with Ready (conditions and gt failures: ../shared/), the marker that lets the operator find its own gt convoy again,
// and bead progress computed per bead (gt's own auto-close is unreliable across rigs).
//
// Pure functions; decide.ts and outcome.ts build every status from these.
import { ConditionType, ConvoyPhase, type Reason, convoyBeadSummary, type Convoy, type ConvoyBeadSummary, type ConvoyStatus } from '../../api/index.ts';
import type { Bead, TrackedBead } from '../../gt/index.ts';
import { withCondition } from '../shared/status.ts';

/** Phase with Ready: True while the gt convoy exists (InProgress, Completed). */
export function withPhase(status: ConvoyStatus, phase: ConvoyPhase, reason: Reason, message: string, now: number): ConvoyStatus {
  const ok = phase === ConvoyPhase.InProgress || phase === ConvoyPhase.Completed;
  return withCondition({ ...status, phase }, ConditionType.Ready, ok ? 'True' : 'False', reason, message, now);
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
