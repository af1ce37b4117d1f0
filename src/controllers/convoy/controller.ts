// The Convoy controller's wiring: a factory that turns injected dependencies into the
// runtime's ControllerDefinition, and the mapping from town-sync changes to Convoy keys for
// the composition root. The composition root passes the shared GtClient, the
// TownView of town sync, the informer cache reader, the status writer, the event recorder,
// the clock and the configuration. Convoys hold nothing in gt that deleting the view should
// remove (the gt convoy is the town's record), so there is no finalizer.
import { CONVOY_KIND, decodeConvoy, type Convoy } from '../../api/index.ts';
import type { KubeObject } from '../../runtime/k8s.ts';
import { keysForChange, namespacedKey, viewController, type ControllerOptions, type ViewController } from '../shared/controller.ts';
import type { TownChange } from '../town-sync/diff.ts';
import { isSettled } from './decide.ts';
import { ConvoyReconciler, type ConvoyReconcilerDeps } from './reconcile.ts';

export const CONVOY_CONTROLLER_NAME = 'convoy';

export function createConvoyController(deps: ConvoyReconcilerDeps, options: ControllerOptions = {}): ViewController<ConvoyReconciler> {
  return viewController(CONVOY_CONTROLLER_NAME, CONVOY_KIND, new ConvoyReconciler(deps), options);
}

/**
 * The Convoy keys (`namespace/name`) a town change affects: every Convoy when the town's
 * readability changed; else a Convoy whose gt convoy (status.beadsConvoyID) changed in the
 * open-convoy list or the bead read, or one of whose tracked beads (spec.trackedBeads) changed.
 * Completed and Failed Convoys (for their current generation) are never enqueued: polling
 * stops after completion, and a spec change enqueues them through the informer. Undecodable
 * Convoys are left to their own reconcile (which reports them).
 */
export function convoyKeysForChange(change: TownChange, convoys: readonly KubeObject[]): string[] {
  const changedConvoys = new Set(change.convoys);
  const beads = new Set(change.beads);
  const affected = (c: Convoy): boolean => {
    if (isSettled(c)) return false;
    const id = c.status?.beadsConvoyID;
    return (
      change.all ||
      (id !== undefined && (changedConvoys.has(id) || beads.has(id))) ||
      c.spec.trackedBeads.some((b) => beads.has(b))
    );
  };
  return keysForChange(convoys, decodeConvoy, affected, namespacedKey);
}
