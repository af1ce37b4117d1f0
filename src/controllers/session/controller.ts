// The session controller's wiring (docs/pod-execution.md): one reconcile per Rig, triggered by
// the Rig, by its session pods, certificate Secrets and NetworkPolicy (through their exact gt
// rig annotation), and by town changes of its polecats (composition root). The informers of
// those three kinds watch only objects with the session label.
import { decodeRig, gtRigName, RIG_KIND } from '../../api/index.ts';
import type { InformerCache } from '../../runtime/cache.ts';
import type { ControllerDefinition } from '../../runtime/controller.ts';
import type { KubeObject } from '../../runtime/k8s.ts';
import { SESSION_LABELS } from '../../execution/session-pod.ts';
import { viewController, type ControllerOptions } from '../shared/controller.ts';
import type { TownChange } from '../town-sync/diff.ts';
import { NETWORK_POLICY_KIND, POD_KIND, SECRET_KIND, SESSION_SELECTOR } from './pod-state.ts';
import { SessionReconciler, type SessionReconcilerDeps } from './reconcile.ts';

export const SESSION_CONTROLLER_NAME = 'session';

export interface SessionController {
  readonly definition: ControllerDefinition;
  readonly reconciler: SessionReconciler;
}

/** Narrows the cache's pod, Secret and NetworkPolicy informers to session objects (before start). */
export function selectSessionObjects(cache: InformerCache, namespace: string | undefined): void {
  for (const kind of [POD_KIND, SECRET_KIND, NETWORK_POLICY_KIND]) {
    cache.select(kind, { labelSelector: SESSION_SELECTOR, ...(namespace === undefined ? {} : { namespace }) });
  }
}

/** The Rig keys (object names) whose gt rig name is `rig`. */
function rigKeysNamed(rig: string, rigs: readonly KubeObject[]): string[] {
  const keys: string[] = [];
  for (const obj of rigs) {
    const decoded = decodeRig(obj);
    if (decoded.ok && gtRigName(decoded.value) === rig) keys.push(decoded.value.metadata.name);
  }
  return keys;
}

export function createSessionController(
  deps: SessionReconcilerDeps, listRigs: () => readonly KubeObject[], options: ControllerOptions = {},
): SessionController {
  const reconciler = new SessionReconciler(deps);
  const base = viewController(SESSION_CONTROLLER_NAME, RIG_KIND, reconciler, { ...options, workers: options.workers ?? 1 }).definition;
  const toRig = (obj: KubeObject): readonly string[] => {
    const rig = obj.metadata?.annotations?.[SESSION_LABELS.rig];
    return rig === undefined ? [] : rigKeysNamed(rig, listRigs());
  };
  const definition: ControllerDefinition = {
    ...base,
    watches: [POD_KIND, SECRET_KIND, NETWORK_POLICY_KIND].map((kind) => ({ kind, mapToKeys: toRig })),
  };
  return { definition, reconciler };
}

/** The Rig keys a town change affects: every Rig when readability changed, else those whose polecats changed. */
export function sessionKeysForChange(change: TownChange, rigs: readonly KubeObject[]): string[] {
  if (change.all) return rigs.map((r) => r.metadata?.name ?? '').filter((n) => n !== '');
  const names = new Set([...change.rigs, ...change.polecats.map((k) => k.slice(0, k.indexOf('/')))]);
  return [...names].flatMap((rig) => rigKeysNamed(rig, rigs));
}
