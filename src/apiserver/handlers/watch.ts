// The watch stream. Guarantees:
// - started without a version (or "0"): synthetic ADDED for every selected object, then changes;
// - started at version R: exactly the changes after R (replayed from history), then live ones;
//   a version older than the history → one ERROR event with a 410 Expired Status, then end;
//   a version newer than the store's → the same, with a ResourceVersionTooLarge cause;
// - replay and subscription happen in one synchronous step, so no change is lost or repeated;
// - selector transitions are translated like the real watch cache: an object that starts
//   matching arrives as ADDED, one that stops matching as DELETED (with the new version);
// - BOOKMARK events (when allowed) carry the version up to which everything was sent;
// - `timeoutSeconds` (absent or 0: the default, 30–60 minutes, like the real server) ends the
//   stream cleanly, and a consumer that stops reading is cut off once its buffer passes the
//   configured bound.
import { ApiError, expired } from '../errors.ts';
import type { ResourceType } from '../registry/types.ts';
import { apiVersionOf } from '../registry/types.ts';
import type { Change } from '../watch/events.ts';
import type { KubeObject, WatchEventType } from '../types.ts';
import type { Core } from './core.ts';
import { parseVersion, selects, type Selection } from './read.ts';

/** Where events go: the HTTP layer adapts a ServerResponse to this. */
export interface WatchSink {
  /** Writes one event; returns the bytes still buffered for this client. */
  send(type: WatchEventType, object: unknown): number;
  end(): void;
  onClose(listener: () => void): void;
}

export interface WatchParams {
  resourceVersion: string;
  allowBookmarks: boolean;
  timeoutSeconds: number | undefined;
  /** Turns an object into what goes on the wire (plain, Table, PartialObjectMetadata). */
  render: (obj: KubeObject) => unknown;
}

function defaultTimeoutMs(): number {
  return (1800 + Math.random() * 1800) * 1000;
}

/** Validates the start version before anything is written (400 for garbage). */
export function checkWatchVersion(raw: string): void {
  if (raw !== '' && raw !== '0') parseVersion(raw);
}

export function startWatch(core: Core, type: ResourceType, sel: Selection, params: WatchParams, sink: WatchSink): void {
  let closed = false;
  // Set after the replay; `finish` may run before that (a consumer cut off during replay).
  const timers: { timeout?: NodeJS.Timeout; bookmark?: NodeJS.Timeout } = {};
  let unsubscribe = (): void => undefined;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearTimeout(timers.timeout);
    clearTimeout(timers.bookmark);
    sink.end();
  };
  const emit = (eventType: WatchEventType, obj: KubeObject): void => {
    if (closed) return;
    const buffered = sink.send(eventType, params.render(core.present(type, obj)));
    if (buffered > core.options.maxWatchBufferBytes) {
      core.logger.warn({ resource: type.resource, buffered }, 'closing watch of a client that does not read');
      finish();
    }
  };
  const deliver = (change: Change): void => {
    const now = change.type !== 'DELETED' && selects(sel, core.present(type, change.object));
    const before = change.prev !== undefined && selects(sel, core.present(type, change.prev));
    if (now && before) emit('MODIFIED', change.object);
    else if (now) emit('ADDED', change.object);
    else if (before) emit('DELETED', change.type === 'DELETED' ? change.object : stampVersion(change.prev as KubeObject, change.version));
  };
  sink.onClose(finish);

  const raw = params.resourceVersion;
  if (raw === '' || raw === '0') {
    for (const [, obj] of [...core.store.snapshot(type.storageKey, sel.namespace)].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (selects(sel, core.present(type, obj))) emit('ADDED', obj);
    }
  } else {
    const rv = parseVersion(raw);
    if (rv > core.store.version) {
      // A list answers 504 ResourceVersionTooLarge. For a watch, 410 Expired is what every
      // client recovers from: client-go relists (and drops the version when the list says too
      // large), client-node's ListWatch and our informer relist from scratch; a non-410 ERROR
      // event would make client-node re-watch at the same version forever.
      const err = new ApiError(410, 'Expired', `too large resource version: ${rv}, current: ${core.store.version}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version', field: '' }],
      });
      sink.send('ERROR', err.toStatus());
      finish();
      return;
    }
    if (!core.store.history.covers(rv)) {
      sink.send('ERROR', expired(`too old resource version: ${rv} (${core.store.history.compactedVersion})`).toStatus());
      finish();
      return;
    }
    for (const change of core.store.history.since(rv)) {
      if (change.key === type.storageKey && (sel.namespace === undefined || change.namespace === sel.namespace)) deliver(change);
    }
  }
  if (closed) return;
  unsubscribe = core.hub.subscribe({ key: type.storageKey, namespace: sel.namespace, deliver, close: finish });

  // 0 (or none) means the server's default, as in Kubernetes.
  const timeoutMs = params.timeoutSeconds === undefined || params.timeoutSeconds === 0 ? defaultTimeoutMs() : params.timeoutSeconds * 1000;
  timers.timeout = setTimeout(finish, timeoutMs);
  if (params.allowBookmarks) {
    // Delivery is synchronous, so everything up to the store's current version was sent.
    const bookmark = (): void => {
      if (closed) return;
      sink.send('BOOKMARK', { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(core.store.version) } });
      timers.bookmark = setTimeout(bookmark, core.options.bookmarkIntervalMs);
    };
    timers.bookmark = setTimeout(bookmark, core.options.bookmarkIntervalMs);
  }
}

function stampVersion(obj: KubeObject, version: number): KubeObject {
  return { ...obj, metadata: { ...(obj.metadata as Record<string, unknown>), resourceVersion: String(version) } };
}
