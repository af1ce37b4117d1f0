// What the three controllers' wiring shares: the options a composition root passes, the
// runtime ControllerDefinition built from them, and decoding of a cached object, where an
// object the API server accepted but this operator cannot read is a permanent error.
import type { DecodeResult } from '../../api/index.ts';
import { TerminalError, type ControllerDefinition, type ReconcileContext, type ReconcileReport, type ReconcileResult } from '../../runtime/controller.ts';
import type { KubeObject, ResourceKind } from '../../runtime/k8s.ts';
import type { FailureReporter } from '../../runtime/status.ts';

export interface ControllerOptions {
  /** Concurrent reconciles of different keys; default 2 (gt calls are limited by the client). */
  readonly workers?: number;
  readonly failureReporter?: FailureReporter;
  readonly onReconcile?: (report: ReconcileReport) => void;
}

function controllerDefinition(
  name: string,
  kind: ResourceKind,
  reconcile: (key: string, ctx: ReconcileContext) => Promise<ReconcileResult>,
  options: ControllerOptions,
): ControllerDefinition {
  return {
    name,
    for: kind,
    workers: options.workers ?? 2,
    reconcile,
    ...(options.failureReporter ? { failureReporter: options.failureReporter } : {}),
    ...(options.onReconcile ? { onReconcile: options.onReconcile } : {}),
  };
}

/** A controller as the composition root holds it: the runtime's definition and its reconciler. */
export interface ViewController<R> {
  readonly definition: ControllerDefinition;
  readonly reconciler: R;
}

/** Wraps a reconciler into the runtime's definition (default 2 workers). */
export function viewController<R extends { reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult> }>(
  name: string,
  kind: ResourceKind,
  reconciler: R,
  options: ControllerOptions,
): ViewController<R> {
  return { definition: controllerDefinition(name, kind, (key, ctx) => reconciler.reconcile(key, ctx), options), reconciler };
}

/**
 * The keys of the cached views a town change affects, in cache order. Views this operator
 * cannot decode are skipped: their own reconcile reports them.
 */
export function keysForChange<T>(
  objects: readonly KubeObject[],
  decode: (obj: unknown) => DecodeResult<T>,
  affected: (view: T) => boolean,
  keyOf: (view: T) => string,
): string[] {
  const keys: string[] = [];
  for (const obj of objects) {
    const decoded = decode(obj);
    if (decoded.ok && affected(decoded.value)) keys.push(keyOf(decoded.value));
  }
  return keys;
}

/** The work-queue key of a namespaced view: `namespace/name`. */
export function namespacedKey(view: { readonly metadata: { readonly namespace?: string | undefined; readonly name: string } }): string {
  return `${view.metadata.namespace ?? ''}/${view.metadata.name}`;
}

/** The decoded object, or a TerminalError (not retried) carrying the decode error. */
export function decodeOrThrow<T>(decode: (obj: unknown) => DecodeResult<T>, obj: unknown): T {
  const decoded = decode(obj);
  if (!decoded.ok) throw new TerminalError(decoded.error.message, { cause: decoded.error });
  return decoded.value;
}
