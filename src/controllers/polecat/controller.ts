// The Polecat controller's wiring: a factory that turns injected dependencies into the
// runtime's ControllerDefinition, and the mapping from town-sync changes to Polecat keys for
// the composition root. Nothing here decides or acts; the composition root passes
// the shared GtClient, the TownView of town sync, the informer cache reader, the status
// writer, the event recorder, the clock and the configuration.
import { decodePolecat, POLECAT_KIND, PolecatPhase, type Polecat } from '../../api/index.ts';
import type { KubeObject } from '../../runtime/k8s.ts';
import { keysForChange, namespacedKey, viewController, type ControllerOptions, type ViewController } from '../shared/controller.ts';
import type { TownChange } from '../town-sync/diff.ts';
import { followedKey } from './identity.ts';
import { PolecatReconciler, type PolecatReconcilerDeps } from './reconcile.ts';

export const POLECAT_CONTROLLER_NAME = 'polecat';

export type PolecatControllerDeps = Omit<PolecatReconcilerDeps, 'kind'>;

export function createPolecatController(deps: PolecatControllerDeps, options: ControllerOptions = {}): ViewController<PolecatReconciler> {
  return viewController(POLECAT_CONTROLLER_NAME, POLECAT_KIND, new PolecatReconciler({ ...deps, kind: POLECAT_KIND }), options);
}

/**
 * The Polecat keys (`namespace/name`) a town change affects: every Polecat when the town's
 * readability changed; else a Polecat whose followed gt polecat (identity.ts) changed; one that is not Terminated whose bead (spec.beadID or
 * status.beadID) changed in the batched bead read (closed, reopened, gone); and one still
 * waiting for its sling (phase Pending) when a polecat of its rig changed (the sling's polecat
 * appearing). Undecodable Polecats are left to their own reconcile (which reports them).
 */
export function polecatKeysForChange(change: TownChange, polecats: readonly KubeObject[]): string[] {
  const changed = new Set(change.polecats);
  const beads = new Set(change.beads);
  const rigs = new Set(change.polecats.map((k) => k.slice(0, k.indexOf('/'))));
  const affected = (p: Polecat): boolean => {
    const beadChanged = [p.spec.beadID, p.status?.beadID].some((b) => b !== undefined && beads.has(b));
    return (
      change.all ||
      changed.has(followedKey(p) ?? '') ||
      (beadChanged && p.status?.phase !== PolecatPhase.Terminated) ||
      (p.status?.phase === PolecatPhase.Pending && rigs.has(p.spec.rig))
    );
  };
  return keysForChange(polecats, decodePolecat, affected, namespacedKey);
}
