// The Rig controller's wiring: a factory that turns injected dependencies into the runtime's
// ControllerDefinition, and the mapping from town-sync changes to Rig keys for the composition
// root (which subscribes to TownObserver.onChange and enqueues what this returns).
import { API_GROUP, API_VERSION, decodeRig, gtRigName, Kind, Resource } from '../../api/index.ts';
import type { ControllerDefinition, ReconcileReport } from '../../runtime/controller.ts';
import type { KubeObject, ResourceKind } from '../../runtime/k8s.ts';
import type { FailureReporter } from '../../runtime/status.ts';
import type { TownChange } from '../town-sync/diff.ts';
import { RigReconciler, type RigReconcilerDeps } from './reconcile.ts';

/** The Rig kind as the runtime addresses it. */
export const RIG_KIND: ResourceKind = {
  group: API_GROUP,
  version: API_VERSION,
  plural: Resource.Rig.plural,
  kind: Kind.Rig,
  namespaced: false,
};

export const RIG_CONTROLLER_NAME = 'rig';

export interface RigControllerOptions {
  /** Concurrent reconciles; default 2 (a reconcile is a stat and at most one status write). */
  readonly workers?: number;
  readonly failureReporter?: FailureReporter;
  readonly onReconcile?: (report: ReconcileReport) => void;
}

export interface RigController {
  readonly definition: ControllerDefinition;
  readonly reconciler: RigReconciler;
}

export function createRigController(deps: RigReconcilerDeps, options: RigControllerOptions = {}): RigController {
  const reconciler = new RigReconciler(deps);
  const definition: ControllerDefinition = {
    name: RIG_CONTROLLER_NAME,
    for: RIG_KIND,
    workers: options.workers ?? 2,
    reconcile: (key, ctx) => reconciler.reconcile(key, ctx),
    ...(options.failureReporter ? { failureReporter: options.failureReporter } : {}),
    ...(options.onReconcile ? { onReconcile: options.onReconcile } : {}),
  };
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
