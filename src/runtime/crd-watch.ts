// Custom resource kinds come and go at runtime: the operator may start before its CRDs are
// installed, and a CRD may be deleted and re-created. CrdWatcher keeps an informer on
// CustomResourceDefinitions and reports, per kind, whether the API server serves it now:
// the CRD `<plural>.<group>` exists, is Established, is not being deleted, and serves the
// version. Listeners hear every change of that answer; the manager starts or stops the
// caches and controllers of the kind accordingly, without a restart.
import type { InformerCache } from './cache.ts';
import { kindId } from './cache.ts';
import type { KubeObject, ResourceKind } from './k8s.ts';

export const crdKind: ResourceKind = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
};

export interface CustomResourceDefinition extends KubeObject {
  spec?: { group?: string; names?: { plural?: string }; versions?: { name: string; served?: boolean }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

/** Kinds of the built-in API groups (un-dotted, or under k8s.io) are always served. */
export function isBuiltinKind(kind: ResourceKind): boolean {
  const g = kind.group;
  return !g.includes('.') || g === 'k8s.io' || g.endsWith('.k8s.io') || g.endsWith('.kubernetes.io');
}

export function crdName(kind: ResourceKind): string {
  return `${kind.plural}.${kind.group}`;
}

/** Whether `crd` (or its absence) means the API server serves `kind`. */
export function crdServes(crd: CustomResourceDefinition | undefined, kind: ResourceKind): boolean {
  if (!crd || crd.metadata?.deletionTimestamp) return false;
  const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
  const served = crd.spec?.versions?.some((v) => v.name === kind.version && v.served !== false) ?? false;
  return established && served;
}

export type AvailabilityListener = (kind: ResourceKind, available: boolean) => void;

export class CrdWatcher {
  readonly #cache: InformerCache;
  readonly #kinds = new Map<string, ResourceKind>();
  readonly #available = new Map<string, boolean>();
  readonly #listeners = new Set<AvailabilityListener>();
  #unregister: (() => void) | undefined;

  constructor(cache: InformerCache) {
    this.#cache = cache;
  }

  /** Tracks `kind`; built-in kinds are always available and never reported. */
  track(kind: ResourceKind): void {
    if (isBuiltinKind(kind)) return;
    this.#kinds.set(kindId(kind), kind);
    if (this.#unregister) this.#evaluate();
  }

  onChange(listener: AvailabilityListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Starts the CRD informer; availability is known once it has synced. */
  start(): void {
    if (this.#unregister) return;
    const informer = this.#cache.informer<CustomResourceDefinition>(crdKind);
    const evaluate = (): void => this.#evaluate();
    this.#unregister = informer.addHandlers({ add: evaluate, update: evaluate, delete: evaluate });
    // The initial list's events arrive before hasSynced(): evaluate once more after it.
    void informer.waitForSync().then(evaluate);
    this.#cache.start(crdKind);
  }

  stop(): void {
    this.#unregister?.();
    this.#unregister = undefined;
  }

  hasSynced(): boolean {
    return this.#cache.hasSynced(crdKind);
  }

  isAvailable(kind: ResourceKind): boolean {
    if (isBuiltinKind(kind)) return true;
    return this.#available.get(kindId(kind)) ?? false;
  }

  /** Tracked kinds not served now. */
  missing(): ResourceKind[] {
    return [...this.#kinds.values()].filter((k) => !this.isAvailable(k));
  }

  #evaluate(): void {
    if (!this.hasSynced()) return;
    for (const [id, kind] of this.#kinds) {
      const now = crdServes(this.#cache.get<CustomResourceDefinition>(crdKind, crdName(kind)), kind);
      if ((this.#available.get(id) ?? false) === now && this.#available.has(id)) continue;
      this.#available.set(id, now);
      for (const listener of this.#listeners) listener(kind, now);
    }
  }
}
