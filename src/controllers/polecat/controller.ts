// The Polecat controller's wiring: a factory that turns injected dependencies into the
// runtime's ControllerDefinition. Nothing here decides or acts; the composition root passes
// the shared GtClient, the TownView of town sync, the informer cache reader, the status
// writer, the event recorder, the clock and the configuration.
import { API_GROUP, API_VERSION, Kind, Resource, type PolecatStatus } from '../../api/index.ts';
import type { ControllerDefinition, ReconcileReport } from '../../runtime/controller.ts';
import type { FailureReporter } from '../../runtime/status.ts';
import type { ResourceKind } from '../../runtime/k8s.ts';
import { PolecatReconciler, type PolecatReconcilerDeps, type StatusSink } from './reconcile.ts';

/** The Polecat kind as the runtime addresses it. */
export const POLECAT_KIND: ResourceKind = {
  group: API_GROUP,
  version: API_VERSION,
  plural: Resource.Polecat.plural,
  kind: Kind.Polecat,
  namespaced: true,
};

export const POLECAT_CONTROLLER_NAME = 'polecat';

export interface PolecatControllerOptions {
  /** Concurrent reconciles of different Polecats; default 2 (gt calls are limited by the client). */
  readonly workers?: number;
  readonly failureReporter?: FailureReporter;
  readonly onReconcile?: (report: ReconcileReport) => void;
}

export type PolecatControllerDeps = Omit<PolecatReconcilerDeps, 'kind' | 'status'> & {
  readonly status: StatusSink<PolecatStatus>;
};

export interface PolecatController {
  readonly definition: ControllerDefinition;
  readonly reconciler: PolecatReconciler;
}

export function createPolecatController(deps: PolecatControllerDeps, options: PolecatControllerOptions = {}): PolecatController {
  const reconciler = new PolecatReconciler({ ...deps, kind: POLECAT_KIND });
  const definition: ControllerDefinition = {
    name: POLECAT_CONTROLLER_NAME,
    for: POLECAT_KIND,
    workers: options.workers ?? 2,
    reconcile: (key, ctx) => reconciler.reconcile(key, ctx),
    ...(options.failureReporter ? { failureReporter: options.failureReporter } : {}),
    ...(options.onReconcile ? { onReconcile: options.onReconcile } : {}),
  };
  return { definition, reconciler };
}
