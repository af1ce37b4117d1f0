// The Rig controller's wiring: a factory that turns injected dependencies into the runtime's
// ControllerDefinition, and the mapping from town-sync changes to Rig keys for the composition
// root (which subscribes to TownObserver.onChange and enqueues what this returns).
import { decodeRig, gtRigName, RIG_KIND } from '../../api/index.ts';
import type { ControllerDefinition } from '../../runtime/controller.ts';
import type { KubeObject } from '../../runtime/k8s.ts';
import { controllerDefinition, type ControllerOptions } from '../shared/controller.ts';
import type { TownChange } from '../town-sync/diff.ts';
import { RigReconciler, type RigReconcilerDeps } from './reconcile.ts';

export const RIG_CONTROLLER_NAME = 'rig';

/** Default 2 workers (a reconcile is a stat and at most one status write). */
export type RigControllerOptions = ControllerOptions;

export interface RigController {
  readonly definition: ControllerDefinition;
  readonly reconciler: RigReconciler;
}

export function createRigController(deps: RigReconcilerDeps, options: RigControllerOptions = {}): RigController {
  const reconciler = new RigReconciler(deps);
  const definition = controllerDefinition(RIG_CONTROLLER_NAME, RIG_KIND, (key, ctx) => reconciler.reconcile(key, ctx), options);
  return { definition, reconciler };
}

/**
 * The Rig keys (object names) a town change affects: every Rig when the town's readability
 * changed, else the Rigs whose gt rig name is among the changed rigs. Undecodable Rigs are left
 * to their own reconcile (which reports them).
 */
export function rigKeysForChange(change: TownChange, rigs: readonly KubeObject[]): string[] {
  const changed = new Set(change.rigs);
  const keys: string[] = [];
  for (const obj of rigs) {
    const decoded = decodeRig(obj);
    if (!decoded.ok) continue;
    if (change.all || changed.has(gtRigName(decoded.value))) keys.push(decoded.value.metadata.name);
  }
  return keys;
}
