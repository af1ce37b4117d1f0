// What the three controllers' wiring shares: the options a composition root passes, the
// runtime ControllerDefinition built from them, and decoding of a cached object, where an
// object the API server accepted but this operator cannot read is a permanent error.
import type { DecodeResult } from '../../api/index.ts';
import { TerminalError, type ControllerDefinition, type ReconcileContext, type ReconcileReport, type ReconcileResult } from '../../runtime/controller.ts';
import type { ResourceKind } from '../../runtime/k8s.ts';
import type { FailureReporter } from '../../runtime/status.ts';

export interface ControllerOptions {
  /** Concurrent reconciles of different keys; default 2 (gt calls are limited by the client). */
  readonly workers?: number;
  readonly failureReporter?: FailureReporter;
  readonly onReconcile?: (report: ReconcileReport) => void;
}

export function controllerDefinition(
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

/** The decoded object, or a TerminalError (not retried) carrying the decode error. */
export function decodeOrThrow<T>(decode: (obj: unknown) => DecodeResult<T>, obj: unknown): T {
  const decoded = decode(obj);
  if (!decoded.ok) throw new TerminalError(decoded.error.message, { cause: decoded.error });
  return decoded.value;
}
