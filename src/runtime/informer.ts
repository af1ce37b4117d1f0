// A cache of one kind, kept current by list + watch, on client-node's Watch. It does what
// client-node's makeInformer does not (that one stops for good on any unexpected error):
// - list (paged), then watch from the list's resourceVersion with bookmarks and a server-side
//   timeoutSeconds; a clean server close re-watches from the last version seen;
// - `410 Gone` (an ERROR event with code 410, or HTTP 410) relists at once;
// - any other failure (HTTP error, dropped connection, ERROR event) relists after a jittered,
//   capped exponential backoff, so the cache converges on what the server holds (objects
//   deleted while disconnected get delete events from the relist's diff);
// - an idle watch (no event or bookmark for idleTimeoutMs) is treated as dead and restarted;
// - optional periodic resync re-emits `update(obj, obj)` for every cached object;
// - hasSynced() turns true after the first complete list and stays true.
// Resource versions are opaque: they are only stored, sent back and compared for equality.
import { Watch } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import { jittered, realClock, type CancelTimer, type Clock } from './clock.ts';
import {
  collectionPath,
  isGone,
  KubeApiError,
  objectKey,
  type KubeClient,
  type KubeObject,
  type ResourceKind,
} from './k8s.ts';
import { Store, type IndexFunc } from './store.ts';

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Extra random delay as a fraction of the delay (1.0 = up to double). */
  jitter?: number;
}

export interface InformerOptions<T extends KubeObject> {
  client: KubeClient;
  kind: ResourceKind;
  /** Watch one namespace only; default all. */
  namespace?: string;
  labelSelector?: string;
  indexers?: Record<string, IndexFunc<T>>;
  /** Re-emit update events for every cached object this often; 0 (default) disables. */
  resyncMs?: number;
  /** Server-side watch timeout; default a random value in [300, 600) s as client-go does. */
  watchTimeoutSeconds?: number;
  /** Restart a watch that delivered nothing (not even a bookmark) for this long; default 90 s. */
  idleTimeoutMs?: number;
  /** Backoff after failures; default 800 ms doubling to 30 s with jitter 1.0 (client-go's). */
  backoff?: BackoffOptions;
  /** Page size of the initial list; default 500. */
  pageSize?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface InformerStats {
  lists: number;
  watches: number;
  expired: number;
  failures: number;
  lastResourceVersion: string | undefined;
}

type WatchEnd =
  | { kind: 'closed'; events: number }
  | { kind: 'expired' }
  | { kind: 'idle' }
  | { kind: 'aborted' }
  | { kind: 'error'; error: unknown };

/** A watch that lasted this long counts as healthy: the failure streak starts over. */
const HEALTHY_WATCH_MS = 60_000;
/** A clean close with no events sooner than this is treated as a refusal. */
const SHORT_WATCH_MS = 1_000;

export class Informer<T extends KubeObject> {
  readonly kind: ResourceKind;
  readonly store: Store<T>;
  readonly #opts: InformerOptions<T>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #handlers = new Set<InformerHandlers<T>>();
  readonly #syncWaiters: (() => void)[] = [];
  #synced = false;
  #running = false;
  #resourceVersion: string | undefined;
  #stats: InformerStats = { lists: 0, watches: 0, expired: 0, failures: 0, lastResourceVersion: undefined };

  constructor(options: InformerOptions<T>) {
    this.#opts = options;
    this.kind = options.kind;
    this.store = new Store<T>(options.indexers);
    this.#clock = options.clock ?? realClock;
    this.#log = (options.logger ?? silentLogger()).child({ informer: options.kind.plural });
  }

  /** Registers handlers; objects already cached are replayed to `add` (as client-go does). */
  addHandlers(handlers: InformerHandlers<T>): () => void {
    this.#handlers.add(handlers);
    for (const obj of this.store.list()) this.#call(handlers, 'add', () => handlers.add?.(obj));
    return () => {
      this.#handlers.delete(handlers);
    };
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true once synced, false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  stats(): InformerStats {
    return { ...this.#stats, lastResourceVersion: this.#resourceVersion };
  }

  /** Lists and watches until `signal` aborts; never rejects. One run per informer. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error(`informer for ${this.kind.plural} is already running`);
    this.#running = true;
    const stopResync = this.#startResync();
    try {
      await this.#loop(signal);
    } finally {
      stopResync();
      this.#running = false;
    }
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!signal.aborted) {
      if (needList) {
        try {
          await this.#relist();
          needList = false;
        } catch (error) {
          this.#log.warn({ err: error, attempt: failures + 1 }, 'list failed; retrying with backoff');
          await this.#clock.sleep(this.#backoffMs(failures++), signal);
          continue;
        }
      }
      const started = this.#clock.now();
      const end = await this.#watchOnce(signal);
      const lastedMs = this.#clock.now() - started;
      if (lastedMs >= HEALTHY_WATCH_MS || (end.kind === 'closed' && end.events > 0)) failures = 0;
      const next = this.#afterWatch(end, lastedMs, failures);
      if (next.relist) needList = true;
      if (next.backoff) await this.#clock.sleep(this.#backoffMs(failures++), signal);
    }
  }

  #afterWatch(end: WatchEnd, lastedMs: number, failures: number): { relist: boolean; backoff: boolean } {
    switch (end.kind) {
      case 'aborted':
        return { relist: false, backoff: false };
      case 'closed':
        // A clean close is the server's timeoutSeconds; one that delivered nothing at all,
        // at once, is a server turning us away: back off rather than spin.
        return { relist: false, backoff: end.events === 0 && lastedMs < SHORT_WATCH_MS };
      case 'idle':
        this.#log.info({ resourceVersion: this.#resourceVersion }, 'watch idle; restarting it');
        return { relist: false, backoff: false };
      case 'expired':
        this.#stats.expired++;
        this.#log.info({ resourceVersion: this.#resourceVersion }, 'watch version expired (410); relisting');
        return { relist: true, backoff: false };
      case 'error':
        this.#stats.failures++;
        this.#log.warn({ err: end.error, attempt: failures + 1 }, 'watch failed; relisting with backoff');
        return { relist: true, backoff: true };
    }
  }

  #backoffMs(failures: number): number {
    const { initialMs = 800, maxMs = 30_000, jitter = 1.0 } = this.#opts.backoff ?? {};
    return Math.min(maxMs, jittered(initialMs * 2 ** Math.min(failures, 30), jitter));
  }

  async #relist(): Promise<void> {
    const { client, kind, namespace, labelSelector, pageSize = 500 } = this.#opts;
    const list = await client.listAll<T>(kind, { namespace, labelSelector, limit: pageSize });
    this.#stats.lists++;
    this.#replace(list.items);
    this.#resourceVersion = list.metadata.resourceVersion;
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
    }
  }

  /** Makes the store equal to `items`, emitting the differences as events. */
  #replace(items: T[]): void {
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(objectKey(obj));
      this.#upsert(obj);
    }
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const old = this.store.remove(key);
      if (old) this.#emitDelete(old);
    }
  }

  #upsert(obj: T): void {
    const old = this.store.upsert(obj);
    if (!old) {
      this.#emit('add', (h) => h.add?.(obj));
    } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
      this.#emit('update', (h) => h.update?.(old, obj));
    }
  }

  #emitDelete(obj: T): void {
    this.#emit('delete', (h) => h.delete?.(obj));
  }

  #emit(what: string, fn: (h: InformerHandlers<T>) => void): void {
    for (const h of this.#handlers) this.#call(h, what, () => fn(h));
  }

  #call(_h: InformerHandlers<T>, what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#log.error({ err: error, event: what }, 'informer event handler threw');
    }
  }

  #startResync(): CancelTimer {
    const period = this.#opts.resyncMs ?? 0;
    if (period <= 0) return () => undefined;
    let cancel: CancelTimer = () => undefined;
    const tick = (): void => {
      if (this.#synced) for (const obj of this.store.list()) this.#emit('update', (h) => h.update?.(obj, obj));
      cancel = this.#clock.setTimer(tick, period);
    };
    cancel = this.#clock.setTimer(tick, period);
    return () => cancel();
  }

  /** Applies one watch event; returns how the watch must end, if it must. */
  #onEvent(type: string, obj: unknown): WatchEnd | undefined {
    if (type === 'ERROR') return watchErrorEnd(obj);
    if (typeof obj !== 'object' || obj === null) return undefined;
    const object = obj as T;
    const rv = object.metadata?.resourceVersion;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
        this.#upsert(object);
        break;
      case 'DELETED':
        this.store.remove(objectKey(object));
        this.#emitDelete(object);
        break;
      case 'BOOKMARK':
        break;
      default:
        return undefined;
    }
    if (rv !== undefined) this.#resourceVersion = rv;
    return undefined;
  }

  #watchOnce(signal: AbortSignal): Promise<WatchEnd> {
    const { client, kind, namespace, labelSelector, idleTimeoutMs = 90_000 } = this.#opts;
    const timeoutSeconds = this.#opts.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
    const watch = new Watch(client.kubeConfig);
    // client-node aborts a watch silent for 30 s (a private field); our idle timer owns that
    // decision, so give it the same budget. If the field is ever renamed, client-node's 30 s
    // timeout simply shows up here as an idle restart.
    Reflect.set(watch, 'requestTimeoutMs', idleTimeoutMs + 5_000);
    this.#stats.watches++;
    let events = 0;
    return new Promise<WatchEnd>((resolve) => {
      let settled = false;
      let request: AbortController | undefined;
      let cancelIdle: CancelTimer = () => undefined;
      const finish = (end: WatchEnd): void => {
        if (settled) return;
        settled = true;
        cancelIdle();
        signal.removeEventListener('abort', onAbort);
        request?.abort();
        resolve(end);
      };
      const armIdle = (): void => {
        cancelIdle();
        cancelIdle = this.#clock.setTimer(() => finish({ kind: 'idle' }), idleTimeoutMs);
      };
      const onAbort = (): void => finish({ kind: 'aborted' });
      if (signal.aborted) return finish({ kind: 'aborted' });
      signal.addEventListener('abort', onAbort, { once: true });
      armIdle();
      const query = { resourceVersion: this.#resourceVersion, allowWatchBookmarks: true, timeoutSeconds, labelSelector };
      const onEvent = (type: string, obj: unknown): void => {
        if (settled) return;
        events++;
        armIdle();
        const end = this.#onEvent(type, obj);
        if (end) finish(end);
      };
      const onDone = (error: unknown): void => {
        if (error === null || error === undefined) finish({ kind: 'closed', events });
        else finish(isGone(error) ? { kind: 'expired' } : { kind: 'error', error });
      };
      watch.watch(collectionPath(kind, namespace), query, onEvent, onDone).then(
        (controller) => {
          request = controller;
          if (settled) controller.abort();
        },
        (error: unknown) => finish({ kind: 'error', error }),
      );
    });
  }
}

function watchErrorEnd(obj: unknown): WatchEnd {
  const status = (typeof obj === 'object' && obj !== null ? obj : {}) as { code?: unknown; reason?: unknown; message?: unknown };
  const code = typeof status.code === 'number' ? status.code : 500;
  if (code === 410) return { kind: 'expired' };
  const reason = typeof status.reason === 'string' ? status.reason : undefined;
  const message = typeof status.message === 'string' ? status.message : 'watch ERROR event';
  return { kind: 'error', error: new KubeApiError(code, reason, message) };
}
