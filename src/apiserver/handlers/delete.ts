// Deletion as the generic registry does it: preconditions (uid, resourceVersion) → 409;
// objects with finalizers get deletionTimestamp (+ deletionGracePeriodSeconds 0 and a
// generation bump) and stay until an update clears the finalizers; others go at once.
// Namespaces and CRDs carry a system finalizer whose work (removing their content) is done by
// lifecycle.ts. propagationPolicy is accepted; there is no garbage collector, so it has no
// effect on dependents (documented in README).
import { conflict, forbidden, notFound } from '../errors.ts';
import { clone, dict, finalizersOf, isDeleting, isDict, metaString, metadataOf, nowTimestamp, type Dict } from '../meta.ts';
import { crdStatus, readCrd } from '../registry/crd.ts';
import { CRD_STORAGE_KEY, NAMESPACE_STORAGE_KEY, SYSTEM_NAMESPACES } from '../registry/builtins.ts';
import type { ResourceType } from '../registry/types.ts';
import { groupResource } from '../registry/types.ts';
import type { KubeObject } from '../types.ts';
import type { Core } from './core.ts';

export interface DeleteOptions {
  dryRun: boolean;
  preconditions: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult {
  /** The object as last seen (deleting, or removed). */
  object: KubeObject;
  removed: boolean;
}

/** Reads DeleteOptions from a request body (may be empty) and query (dryRun). */
export function deleteOptionsFrom(body: unknown, dryRun: boolean): DeleteOptions {
  const pre = dict(isDict(body) ? body.preconditions : undefined);
  const preconditions: DeleteOptions['preconditions'] = {};
  if (typeof pre.uid === 'string') preconditions.uid = pre.uid;
  if (typeof pre.resourceVersion === 'string') preconditions.resourceVersion = pre.resourceVersion;
  const bodyDryRun = isDict(body) && Array.isArray(body.dryRun) && body.dryRun.includes('All');
  return { dryRun: dryRun || bodyDryRun, preconditions };
}

function checkPreconditions(type: ResourceType, stored: KubeObject, name: string, pre: DeleteOptions['preconditions']): void {
  const uid = metaString(stored, 'uid');
  if (pre.uid !== undefined && pre.uid !== uid) {
    throw conflict(groupResource(type), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${uid ?? ''}`);
  }
  const rv = metaString(stored, 'resourceVersion');
  if (pre.resourceVersion !== undefined && pre.resourceVersion !== rv) {
    throw conflict(groupResource(type), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${rv ?? ''}`);
  }
}

/** Finalizers that keep the object, including the namespace's `spec.finalizers`. */
export function pendingFinalizers(type: ResourceType, obj: KubeObject): string[] {
  const own = finalizersOf(obj);
  if (type.storageKey !== NAMESPACE_STORAGE_KEY) return own;
  const spec = dict(obj.spec).finalizers;
  return [...own, ...(Array.isArray(spec) ? spec.filter((f): f is string => typeof f === 'string') : [])];
}

function markDeleting(type: ResourceType, stored: KubeObject): KubeObject {
  const next = clone(stored);
  const meta = next.metadata as Dict;
  const now = nowTimestamp();
  meta.deletionTimestamp = now;
  meta.deletionGracePeriodSeconds = 0;
  if (typeof meta.generation === 'number' && meta.generation > 0) meta.generation += 1;
  if (type.storageKey === NAMESPACE_STORAGE_KEY) next.status = { ...dict(next.status), phase: 'Terminating' };
  if (type.storageKey === CRD_STORAGE_KEY) next.status = crdStatus(readCrd(next), undefined, true, next.status, now);
  return next;
}

/**
 * Deletes one stored object (no precondition checks): marks it deleting when finalizers are
 * pending, removes it otherwise. Returns the resulting stored state.
 */
export function deleteStored(core: Core, type: ResourceType, stored: KubeObject, dryRun: boolean): DeleteResult {
  const ns = metaString(stored, 'namespace') ?? '';
  const name = metaString(stored, 'name') ?? '';
  if (pendingFinalizers(type, stored).length > 0) {
    if (isDeleting(stored)) return { object: stored, removed: false };
    const marked = markDeleting(type, stored);
    if (dryRun) return { object: marked, removed: false };
    const [change] = core.commit([{ key: type.storageKey, namespace: ns, name, object: marked }]);
    // The commit may have finished the deletion already (lifecycle hooks cleaning up content).
    const now = core.store.get(type.storageKey, ns, name);
    return { object: now ?? change?.object ?? marked, removed: now === undefined };
  }
  const grace = core.gracefulDeletion?.(type, stored);
  if (grace !== undefined) {
    // A running pod: the node stops its processes, then removes the object (like a kubelet).
    if (isDeleting(stored)) return { object: stored, removed: false };
    const marked = markDeleting(type, stored);
    (marked.metadata as Dict).deletionGracePeriodSeconds = grace;
    if (dryRun) return { object: marked, removed: false };
    const [change] = core.commit([{ key: type.storageKey, namespace: ns, name, object: marked }]);
    return { object: change?.object ?? marked, removed: false };
  }
  if (dryRun) return { object: stored, removed: true };
  const [change] = core.commit([{ key: type.storageKey, namespace: ns, name, object: undefined }]);
  return { object: change?.object ?? stored, removed: true };
}

export function deleteObject(
  core: Core,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  opts: DeleteOptions,
): DeleteResult {
  const ns = type.namespaced ? (namespace ?? '') : '';
  const stored = core.store.get(type.storageKey, ns, name);
  if (stored === undefined) throw notFound(groupResource(type), name);
  checkPreconditions(type, stored, name, opts.preconditions);
  if (type.storageKey === NAMESPACE_STORAGE_KEY && SYSTEM_NAMESPACES.includes(name)) {
    throw forbidden(groupResource(type), name, 'this namespace may not be deleted');
  }
  const result = deleteStored(core, type, stored, opts.dryRun);
  return { object: core.present(type, result.object), removed: result.removed };
}

/** The Success Status the real server answers a delete of types that do not return the object. */
export function deleteSuccessStatus(type: ResourceType, obj: KubeObject): Record<string, unknown> {
  const details: Record<string, unknown> = { name: metadataOf(obj).name, kind: type.resource, uid: metadataOf(obj).uid };
  if (type.group !== '') details.group = type.group;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
