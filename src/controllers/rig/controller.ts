// The Rig controller's wiring: a factory that turns injected dependencies into the runtime's
// ControllerDefinition, and the mapping from town-sync changes to Rig keys for the composition
// root (which subscribes to TownObserver.onChange and enqueues what this returns).
import { decodeRig, gtRigName, RIG_KIND } from '../../api/index.ts';
import type { KubeObject } from '../../runtime/k8s.ts';
import { keysForChange, viewController, type ControllerOptions, type ViewController } from '../shared/controller.ts';
import type { TownChange } from '../town-sync/diff.ts';
import { RigReconciler, type RigReconcilerDeps } from './reconcile.ts';

export const RIG_CONTROLLER_NAME = 'rig';

export function createRigController(deps: RigReconcilerDeps, options: ControllerOptions = {}): ViewController<RigReconciler> {
  return viewController(RIG_CONTROLLER_NAME, RIG_KIND, new RigReconciler(deps), options);
}

/**
 * The Rig keys (object names) a town change affects: every Rig when the town's readability
 * changed, else the Rigs whose gt rig name is among the changed rigs. Undecodable Rigs are left
 * to their own reconcile (which reports them).
 */
export function rigKeysForChange(change: TownChange, rigs: readonly KubeObject[]): string[] {
  const changed = new Set(change.rigs);
  return keysForChange(rigs, decodeRig, (rig) => change.all || changed.has(gtRigName(rig)), (rig) => rig.metadata.name);
}
