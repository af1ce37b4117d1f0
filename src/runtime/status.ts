// Status writing, one way for every controller:
// - only the `/status` subresource is patched, and only when the status changed (deep
//   compare against the object the reconcile read);
// - the patch is a JSON merge patch computed from the difference (removed fields become
//   null), carrying the read `metadata.resourceVersion` as precondition: a stale read is a
//   409, which the controller turns into a quiet requeue;
// - `lastFailure` belongs to the controller loop (FailureReporter): a reconcile's own status
//   write leaves it alone unless it sets it explicitly.
import { isDeepStrictEqual } from 'node:util';
import {
  isNotFound,
  KubeApiError,
  refFromKey,
  refOf,
  type KubeClient,
  type KubeObject,
  type ResourceKind,
} from './k8s.ts';
import { formatTime } from './conditions.ts';

export interface LastFailure {
  time: string;
  /** CamelCase: the API error's reason, the error's kind, or its class name. */
  reason: string;
  message: string;
  /** Consecutive failures so far. */
  retryCount: number;
}

export interface WithStatus<S> extends KubeObject {
  status?: S;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON-normalizes a value: drops undefined fields, as the wire would. */
export function toJson(value: unknown): Json {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json);
}

/**
 * An RFC 7386 merge patch turning `from` into `to`; undefined when they are equal. Arrays are
 * replaced whole (merge patches cannot address items).
 */
export function mergePatchBetween(from: unknown, to: unknown): Json | undefined {
  const a = toJson(from);
  const b = toJson(to);
  if (isDeepStrictEqual(a, b)) return undefined;
  if (!isPlainObject(a) || !isPlainObject(b)) return b;
  const patch: Record<string, Json> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (!(key in b)) {
      patch[key] = null;
      continue;
    }
    const sub = mergePatchBetween(a[key], b[key]);
    if (sub !== undefined) patch[key] = sub;
  }
  return patch;
}

export interface StatusWriterOptions {
  client: KubeClient;
  kind: ResourceKind;
  /** Status fields the writer never removes (default: lastFailure, owned by the controller loop). */
  preserve?: readonly string[];
}

export class StatusWriter<S extends object> {
  readonly #client: KubeClient;
  readonly #kind: ResourceKind;
  readonly #preserve: readonly string[];

  constructor(options: StatusWriterOptions) {
    this.#client = options.client;
    this.#kind = options.kind;
    this.#preserve = options.preserve ?? ['lastFailure'];
  }

  /**
   * Writes `status` over `obj.status` if they differ; returns the updated object, or undefined
   * when nothing was written. A stale `obj` rejects with a 409 KubeApiError.
   */
  async write<T extends WithStatus<S>>(obj: T, status: S): Promise<T | undefined> {
    const desired: Record<string, unknown> = { ...(status as Record<string, unknown>) };
    const current = obj.status as Record<string, unknown> | undefined;
    for (const field of this.#preserve) {
      if (!(field in desired) && current && field in current) desired[field] = current[field];
    }
    const patch = mergePatchBetween(current ?? {}, desired);
    if (patch === undefined) return undefined;
    const resourceVersion = obj.metadata?.resourceVersion;
    if (!resourceVersion) throw new TypeError('status write needs the object as read, with metadata.resourceVersion');
    return this.#client.patch<T>(this.#kind, refOf(obj), { type: 'merge', body: { metadata: { resourceVersion }, status: patch } }, 'status');
  }
}

function reasonOf(error: unknown): string {
  let raw: string | undefined;
  if (error instanceof KubeApiError) raw = error.reason ?? `Http${error.code}`;
  else if (typeof error === 'object' && error !== null && 'kind' in error && typeof error.kind === 'string') raw = error.kind;
  else if (error instanceof Error) raw = error.name;
  const cleaned = (raw ?? 'Error').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase());
  const camel = cleaned.charAt(0).toUpperCase() + cleaned.slice(1);
  return /^[A-Za-z]/.test(camel) ? camel : `Error${camel}`;
}

export function failureFrom(error: unknown, now: number, retryCount: number): LastFailure {
  const message = error instanceof Error ? error.message : String(error);
  return { time: formatTime(now), reason: reasonOf(error), message: message.slice(0, 1024), retryCount };
}

/** Sets or clears (undefined) `lastFailure` on a status object, without mutating it. */
export function withLastFailure<S extends { lastFailure?: LastFailure }>(status: S, failure: LastFailure | undefined): S {
  const { lastFailure: _drop, ...rest } = status;
  return (failure ? { ...rest, lastFailure: failure } : rest) as S;
}

/** Makes reconcile failures visible in the object's status, and clears them on success. */
export interface FailureReporter {
  failed(key: string, failure: LastFailure): Promise<void>;
  succeeded(key: string): Promise<void>;
}

export interface LastFailureReporterOptions {
  client: KubeClient;
  kind: ResourceKind;
  /** Reads the object from the cache. */
  get(key: string): WithStatus<{ lastFailure?: LastFailure }> | undefined;
}

/**
 * A FailureReporter writing `status.lastFailure` by merge patch. No resourceVersion
 * precondition here on purpose: the field is owned by the controller loop alone, and the
 * patch touches nothing else, so a stale cache must not block reporting the failure.
 */
export function lastFailureReporter(options: LastFailureReporterOptions): FailureReporter {
  const { client, kind } = options;
  const get = (key: string): WithStatus<{ lastFailure?: LastFailure }> | undefined => options.get(key);
  const patch = async (key: string, lastFailure: LastFailure | null): Promise<void> => {
    try {
      await client.patch(kind, refFromKey(key), { type: 'merge', body: { status: { lastFailure } } }, 'status');
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  };
  return {
    async failed(key, failure) {
      const obj = get(key);
      if (!obj || obj.metadata?.deletionTimestamp) return;
      await patch(key, failure);
    },
    async succeeded(key) {
      if (get(key)?.status?.lastFailure) await patch(key, null);
    },
  };
}
