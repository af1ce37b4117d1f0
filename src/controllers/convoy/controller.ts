// The Convoy controller's wiring: a factory that turns injected dependencies into the
// runtime's ControllerDefinition. The composition root passes the shared GtClient, the
// TownView of town sync, the informer cache reader, the status writer, the event recorder,
// the clock and the configuration. Convoys hold nothing in gt that deleting the view should
// remove (the gt convoy is the town's record), so there is no finalizer.
import { API_GROUP, API_VERSION, Kind, Resource } from '../../api/index.ts';
import type { ControllerDefinition, ReconcileReport } from '../../runtime/controller.ts';
import type { ResourceKind } from '../../runtime/k8s.ts';
import type { FailureReporter } from '../../runtime/status.ts';
import { ConvoyReconciler, type ConvoyReconcilerDeps } from './reconcile.ts';

/** The Convoy kind as the runtime addresses it. */
export const CONVOY_KIND: ResourceKind = {
  group: API_GROUP,
  version: API_VERSION,
  plural: Resource.Convoy.plural,
  kind: Kind.Convoy,
  namespaced: true,
};

export const CONVOY_CONTROLLER_NAME = 'convoy';

export interface ConvoyControllerOptions {
  /** Concurrent reconciles of different Convoys; default 2. */
  readonly workers?: number;
  readonly failureReporter?: FailureReporter;
  readonly onReconcile?: (report: ReconcileReport) => void;
}

export interface ConvoyController {
  readonly definition: ControllerDefinition;
  readonly reconciler: ConvoyReconciler;
}

export function createConvoyController(deps: ConvoyReconcilerDeps, options: ConvoyControllerOptions = {}): ConvoyController {
  const reconciler = new ConvoyReconciler(deps);
  const definition: ControllerDefinition = {
    name: CONVOY_CONTROLLER_NAME,
    for: CONVOY_KIND,
    workers: options.workers ?? 2,
    reconcile: (key, ctx) => reconciler.reconcile(key, ctx),
    ...(options.failureReporter ? { failureReporter: options.failureReporter } : {}),
    ...(options.onReconcile ? { onReconcile: options.onReconcile } : {}),
  };
  return { definition, reconciler };
}
