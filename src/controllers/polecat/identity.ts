// Which gt polecat a Polecat view follows, defined once for the controller's watch mapping,
// town-sync discovery and the decision. A view follows the polecat its status records
// (`status.gtName` in `status.rig`, else `spec.rig`); before that is written, a discovered
// view follows the polecat town sync labelled it with (`polecat` in the `rig` label, else
// `spec.rig`). Only discovery sets those labels. Pure.
import { ConditionType, Label, PolecatPhase, Reason, TRUE_VALUE, type Polecat, type PolecatStatus } from '../../api/index.ts';
import { conditionOf } from '../shared/status.ts';
import { polecatKey } from '../town-sync/snapshot.ts';

/** A view town sync created for a polecat that gt made on its own. */
export function isDiscovered(polecat: Polecat): boolean {
  return polecat.metadata.labels?.[Label.Discovered] === TRUE_VALUE;
}

/** The followed gt polecat's rig and name, recorded in status or named by discovery's labels. */
export function followedPolecat(polecat: Polecat): { readonly rig: string; readonly name: string } | undefined {
  const recorded = polecat.status?.gtName;
  if (recorded !== undefined) return { rig: polecat.status?.rig ?? polecat.spec.rig, name: recorded };
  const labelled = polecat.metadata.labels?.[Label.Polecat];
  if (labelled === undefined) return undefined;
  return { rig: polecat.metadata.labels?.[Label.Rig] ?? polecat.spec.rig, name: labelled };
}

/** The followed gt polecat's name, if any. */
export function followedName(polecat: Polecat): string | undefined {
  return followedPolecat(polecat)?.name;
}

/** The followed gt polecat's key (`<rig>/<name>`), if any. */
export function followedKey(polecat: Polecat): string | undefined {
  const followed = followedPolecat(polecat);
  return followed === undefined ? undefined : polecatKey(followed.rig, followed.name);
}

/**
 * The bead this view dispatched (slung or adopted), which following never changes. Objects
 * written before `dispatchedBeadID` existed fall back to `beadID`; discovered views dispatch
 * nothing.
 */
export function dispatchedBead(status: PolecatStatus | undefined, discovered: boolean): string | undefined {
  if (status?.dispatchedBeadID !== undefined) return status.dispatchedBeadID;
  return discovered ? undefined : status?.beadID;
}

/**
 * Whether the view ended with its polecat finished and retired by gt (`gt done` on gt v1.2):
 * phase Idle with Ready reason Completed. Such a view follows nothing any more: the name may
 * be given to a new polecat, which is not this view's.
 */
export function isRetired(status: PolecatStatus | undefined): boolean {
  return status?.phase === PolecatPhase.Idle && conditionOf(status, ConditionType.Ready)?.reason === Reason.Completed;
}
