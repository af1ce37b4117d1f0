// What the real control plane's controllers would do after a write, done synchronously:
// - CRDs: serve the resources of an established CRD at once, stop serving a removed one (and
//   drop any objects left under its storage key);
// - a deleting CRD: delete all its objects (their finalizers are honoured), then release the
//   `customresourcecleanup` finalizer so the CRD goes;
// - a deleting namespace: delete everything in it, then release `spec.finalizers: [kubernetes]`.
// `resume()` re-runs pending cleanups after a restart.
import { clone, dict, finalizersOf, isDeleting, metaString, type Dict } from '../meta.ts';
import { CRD_CLEANUP_FINALIZER, crdResourceTypes, readCrd } from '../registry/crd.ts';
import { CRD_STORAGE_KEY, NAMESPACE_STORAGE_KEY } from '../registry/builtins.ts';
import type { Change } from '../watch/events.ts';
import type { KubeObject } from '../types.ts';
import type { Core } from './core.ts';
import { deleteStored } from './delete.ts';

function isEstablished(crd: KubeObject): boolean {
  const conditions = dict(crd.status).conditions;
  return Array.isArray(conditions) && conditions.some((c) => dict(c).type === 'Established' && dict(c).status === 'True');
}

export class Lifecycle {
  private readonly core: Core;

  constructor(core: Core) {
    this.core = core;
    core.onCommit((changes) => this.afterCommit(changes));
  }

  /** Registers the stored CRDs and finishes cleanups interrupted by a restart. */
  resume(): void {
    for (const crd of this.core.store.snapshot(CRD_STORAGE_KEY, '').values()) this.syncCrd(crd, false);
    for (const crd of this.core.store.snapshot(CRD_STORAGE_KEY, '').values()) if (isDeleting(crd)) this.cleanupCrd(crd);
    for (const ns of this.core.store.snapshot(NAMESPACE_STORAGE_KEY, '').values()) if (isDeleting(ns)) this.cleanupNamespace(ns);
  }

  private afterCommit(changes: readonly Change[]): void {
    for (const change of changes) {
      if (change.key === CRD_STORAGE_KEY) this.onCrdChange(change);
      else if (change.key === NAMESPACE_STORAGE_KEY) this.onNamespaceChange(change);
      if (change.type === 'DELETED') this.onRemoved(change);
    }
  }

  private onCrdChange(change: Change): void {
    const crd = change.object;
    this.syncCrd(crd, change.type === 'DELETED');
    if (change.type !== 'DELETED' && isDeleting(crd) && (change.prev === undefined || !isDeleting(change.prev))) this.cleanupCrd(crd);
  }

  private syncCrd(crd: KubeObject, removed: boolean): void {
    const spec = readCrd(crd);
    if (removed) {
      this.core.registry.setCrdTypes(spec.name, []);
      this.purge(`${spec.group}/${spec.names.plural}`);
      this.core.hub.closeKey(`${spec.group}/${spec.names.plural}`);
      return;
    }
    this.core.registry.setCrdTypes(spec.name, isEstablished(crd) ? crdResourceTypes(spec) : []);
  }

  /** Removes whatever is still stored under a key nobody serves any more. */
  private purge(storageKey: string): void {
    if (this.core.registry.byStorageKey(storageKey) !== undefined) return;
    const left = [...this.core.store.snapshot(storageKey, undefined).values()];
    if (left.length === 0) return;
    this.core.commit(left.map((obj) => ({ key: storageKey, namespace: metaString(obj, 'namespace') ?? '', name: metaString(obj, 'name') ?? '', object: undefined })));
  }

  private onNamespaceChange(change: Change): void {
    if (change.type !== 'DELETED' && isDeleting(change.object) && (change.prev === undefined || !isDeleting(change.prev))) {
      this.cleanupNamespace(change.object);
    }
  }

  private onRemoved(change: Change): void {
    if (change.namespace !== '') {
      const ns = this.core.store.get(NAMESPACE_STORAGE_KEY, '', change.namespace);
      if (ns !== undefined && isDeleting(ns)) this.finishNamespace(ns);
    }
    const type = this.core.registry.byStorageKey(change.key);
    if (type?.crdName !== undefined) {
      const crd = this.core.store.get(CRD_STORAGE_KEY, '', type.crdName);
      if (crd !== undefined && isDeleting(crd)) this.finishCrd(crd);
    }
  }

  private cleanupCrd(crd: KubeObject): void {
    const spec = readCrd(crd);
    const type = this.core.registry.byStorageKey(`${spec.group}/${spec.names.plural}`);
    if (type !== undefined) {
      for (const obj of this.core.store.snapshot(type.storageKey, undefined).values()) deleteStored(this.core, type, obj, false);
    }
    const current = this.core.store.get(CRD_STORAGE_KEY, '', spec.name);
    if (current !== undefined) this.finishCrd(current);
  }

  private finishCrd(crd: KubeObject): void {
    const spec = readCrd(crd);
    if (this.core.store.count(`${spec.group}/${spec.names.plural}`) > 0) return;
    if (!finalizersOf(crd).includes(CRD_CLEANUP_FINALIZER)) return;
    this.releaseFinalizer(CRD_STORAGE_KEY, crd, (meta) => {
      meta.finalizers = finalizersOf(crd).filter((f) => f !== CRD_CLEANUP_FINALIZER);
    });
  }

  private cleanupNamespace(ns: KubeObject): void {
    const name = metaString(ns, 'name') ?? '';
    for (const type of this.core.registry.all()) {
      if (!type.namespaced || this.core.registry.byStorageKey(type.storageKey) !== type) continue;
      for (const obj of this.core.store.snapshot(type.storageKey, name).values()) deleteStored(this.core, type, obj, false);
    }
    const current = this.core.store.get(NAMESPACE_STORAGE_KEY, '', name);
    if (current !== undefined) this.finishNamespace(current);
  }

  private finishNamespace(ns: KubeObject): void {
    const name = metaString(ns, 'name') ?? '';
    for (const key of this.core.registry.storageKeys()) if (key !== NAMESPACE_STORAGE_KEY && this.core.store.count(key, name) > 0) return;
    const specFinalizers = dict(ns.spec).finalizers;
    if (!Array.isArray(specFinalizers) || !specFinalizers.includes('kubernetes')) return;
    this.releaseFinalizer(NAMESPACE_STORAGE_KEY, ns, (_meta, obj) => {
      obj.spec = { ...dict(obj.spec), finalizers: specFinalizers.filter((f) => f !== 'kubernetes') };
    });
  }

  /** Writes the object without a system finalizer; removes it when nothing else holds it. */
  private releaseFinalizer(key: string, obj: KubeObject, edit: (meta: Dict, obj: KubeObject) => void): void {
    const next = clone(obj);
    edit(next.metadata as Dict, next);
    const type = this.core.registry.byStorageKey(key);
    const name = metaString(obj, 'name') ?? '';
    const done = type !== undefined && finalizersOf(next).length === 0 && (key !== NAMESPACE_STORAGE_KEY || (dict(next.spec).finalizers as unknown[]).length === 0);
    this.core.commit([
      { key, namespace: '', name, object: next },
      ...(done ? [{ key, namespace: '', name, object: undefined }] : []),
    ]);
  }
}
