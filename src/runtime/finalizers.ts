// The finalizer protocol, kube-rs style, spelled out once:
//
//   has our finalizer | being deleted | what happens
//   ------------------+---------------+------------------------------------------------
//   no                | no            | add it (before acting), then apply
//   yes               | no            | apply
//   yes               | yes           | cleanup, then remove it (only after cleanup succeeded)
//   no                | yes           | nothing: we are done, another finalizer holds it
//
// Adding and removing are JSON patches that `test` first (the finalizers array as read, or the
// resourceVersion when there is none), so another controller's finalizer is never dropped by
// a write based on a stale read. A failed test is reported as a 409 conflict: requeue quietly.
import { KubeApiError, refOf, statusCodeOf, type JsonPatchOp, type KubeClient, type KubeObject, type ResourceKind } from './k8s.ts';

export type FinalizerAction = 'add' | 'apply' | 'cleanup' | 'none';

export function finalizerAction(obj: KubeObject, finalizer: string): FinalizerAction {
  const has = obj.metadata?.finalizers?.includes(finalizer) ?? false;
  const deleting = obj.metadata?.deletionTimestamp !== undefined;
  if (deleting) return has ? 'cleanup' : 'none';
  return has ? 'apply' : 'add';
}

/** JSON patch adding `finalizer`, valid only against the object as read. */
export function addFinalizerOps(obj: KubeObject, finalizer: string): JsonPatchOp[] {
  const current = obj.metadata?.finalizers;
  if (!current || current.length === 0) {
    const rv = obj.metadata?.resourceVersion;
    if (!rv) throw new TypeError('adding a finalizer needs the object as read, with metadata.resourceVersion');
    return [
      { op: 'test', path: '/metadata/resourceVersion', value: rv },
      { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
    ];
  }
  return [
    { op: 'test', path: '/metadata/finalizers', value: current },
    { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
  ];
}

/** JSON patch removing `finalizer` at the index it was read at; empty if it is absent. */
export function removeFinalizerOps(obj: KubeObject, finalizer: string): JsonPatchOp[] {
  const index = obj.metadata?.finalizers?.indexOf(finalizer) ?? -1;
  if (index < 0) return [];
  const path = `/metadata/finalizers/${index}`;
  return [
    { op: 'test', path, value: finalizer },
    { op: 'remove', path },
  ];
}

export interface FinalizerHandlers<T, R> {
  /** The object exists and carries our finalizer: reconcile it. */
  apply(obj: T): Promise<R>;
  /** The object is being deleted: release what it holds; throw to keep the finalizer. */
  cleanup(obj: T): Promise<R>;
  /**
   * Whether the cleanup's result means it finished. A cleanup that is "not yet" (held back,
   * to be retried) is a result, not an error: the finalizer stays and the result is returned.
   * Without this, every cleanup that returns finished.
   */
  finished?(result: R): boolean;
}

export interface FinalizerOptions<T extends KubeObject> {
  client: KubeClient;
  kind: ResourceKind;
  finalizer: string;
  obj: T;
}

/** Runs the table above for `obj`; returns the handler's result, or undefined for 'none'. */
export async function withFinalizer<T extends KubeObject, R>(options: FinalizerOptions<T>, handlers: FinalizerHandlers<T, R>): Promise<R | undefined> {
  const { client, kind, finalizer, obj } = options;
  switch (finalizerAction(obj, finalizer)) {
    case 'none':
      return undefined;
    case 'apply':
      return handlers.apply(obj);
    case 'add': {
      const updated = await patchTested<T>(client, kind, obj, addFinalizerOps(obj, finalizer));
      return handlers.apply(updated);
    }
    case 'cleanup': {
      const result = await handlers.cleanup(obj);
      if (handlers.finished !== undefined && !handlers.finished(result)) return result;
      await patchTested<T>(client, kind, obj, removeFinalizerOps(obj, finalizer));
      return result;
    }
  }
}

async function patchTested<T extends KubeObject>(client: KubeClient, kind: ResourceKind, obj: T, ops: JsonPatchOp[]): Promise<T> {
  try {
    return await client.patch<T>(kind, refOf(obj), { type: 'json', ops });
  } catch (error) {
    // The API server answers a failed `test` with 422 (Unprocessable): the object changed
    // since it was read. That is a conflict, and must be handled as one.
    if (statusCodeOf(error) === 422) {
      throw new KubeApiError(409, 'Conflict', `finalizers of ${refOf(obj).name} changed since read: ${(error as Error).message}`);
    }
    throw error;
  }
}
