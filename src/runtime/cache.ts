// The shared informer cache: one Informer per kind, shared by every controller that reads or
// watches that kind (as controller-runtime's cache is). Kinds are started and stopped
// individually, so a kind whose CRD goes away can be dropped and later rebuilt from a fresh
// list without touching the others. Reconciles read here, never from the API server.
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import { realClock, type Clock } from './clock.ts';
import { Informer, type InformerOptions } from './informer.ts';
import type { KubeClient, KubeObject, ResourceKind } from './k8s.ts';
import type { IndexFunc } from './store.ts';

/** Informer settings shared by every kind (timeouts, backoff, resync). */
export type InformerDefaults = Pick<
  InformerOptions<KubeObject>,
  'resyncMs' | 'watchTimeoutSeconds' | 'idleTimeoutMs' | 'backoff' | 'pageSize'
>;

export interface InformerCacheOptions {
  client: KubeClient;
  /** Watch one namespace for namespaced kinds; default all. */
  namespace?: string;
  defaults?: InformerDefaults;
  clock?: Clock;
  logger?: Logger;
}

/** What an informer of one kind watches: a label selector, and a namespace other than the cache's. */
export interface KindSelection {
  readonly labelSelector?: string;
  /** Overrides the cache's namespace for this kind (e.g. session pods in their own namespace). */
  readonly namespace?: string;
}

interface Entry {
  informer: Informer<KubeObject>;
  abort?: AbortController;
  done?: Promise<void>;
}

export function kindId(kind: ResourceKind): string {
  return `${kind.group}/${kind.version}/${kind.plural}`;
}

export class InformerCache {
  readonly #opts: InformerCacheOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #indexers = new Map<string, Record<string, IndexFunc<KubeObject>>>();
  readonly #selections = new Map<string, KindSelection>();

  constructor(options: InformerCacheOptions) {
    this.#opts = options;
  }

  /** Adds index functions for `kind`; they apply to informers made from now on. */
  addIndexers<T extends KubeObject>(kind: ResourceKind, indexers: Record<string, IndexFunc<T>>): void {
    const id = kindId(kind);
    if (this.#entries.has(id)) throw new Error(`indexers for ${kind.plural} must be added before its informer exists`);
    this.#indexers.set(id, { ...this.#indexers.get(id), ...(indexers as Record<string, IndexFunc<KubeObject>>) });
  }

  /**
   * Narrows what the informer of `kind` watches (a controller that only cares about labelled
   * objects, and holds rights only in one namespace). Set before its informer exists.
   */
  select(kind: ResourceKind, selection: KindSelection): void {
    const id = kindId(kind);
    if (this.#entries.has(id)) throw new Error(`the selection of ${kind.plural} must be set before its informer exists`);
    this.#selections.set(id, selection);
  }

  /** The informer of `kind`, made (not started) on first use. */
  informer<T extends KubeObject>(kind: ResourceKind): Informer<T> {
    const id = kindId(kind);
    let entry = this.#entries.get(id);
    if (!entry) {
      const { client, namespace, defaults, clock = realClock, logger = silentLogger() } = this.#opts;
      const selection = this.#selections.get(id) ?? {};
      const informer = new Informer<KubeObject>({
        ...defaults,
        client,
        kind,
        namespace: kind.namespaced ? (selection.namespace ?? namespace) : undefined,
        ...(selection.labelSelector === undefined ? {} : { labelSelector: selection.labelSelector }),
        indexers: this.#indexers.get(id),
        clock,
        logger,
      });
      entry = { informer };
      this.#entries.set(id, entry);
    }
    return entry.informer as unknown as Informer<T>;
  }

  /** Starts the informer of `kind` if it is not running. */
  start(kind: ResourceKind): void {
    const informer = this.informer(kind);
    const entry = this.#entries.get(kindId(kind))!;
    if (entry.abort) return;
    entry.abort = new AbortController();
    entry.done = informer.run(entry.abort.signal);
  }

  isRunning(kind: ResourceKind): boolean {
    return this.#entries.get(kindId(kind))?.abort !== undefined;
  }

  /** Stops and forgets the informer of `kind`: the next informer() builds a fresh one. */
  async drop(kind: ResourceKind): Promise<void> {
    const id = kindId(kind);
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    entry.abort?.abort();
    await entry.done;
  }

  hasSynced(kind: ResourceKind): boolean {
    return this.#entries.get(kindId(kind))?.informer.hasSynced() ?? false;
  }

  /** Resolves true when every kind is synced, false if `signal` aborts first. */
  async waitForSync(kinds: readonly ResourceKind[], signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all(kinds.map((k) => this.informer(k).waitForSync(signal)));
    return results.every(Boolean);
  }

  get<T extends KubeObject>(kind: ResourceKind, key: string): T | undefined {
    return this.informer<T>(kind).store.get(key);
  }

  list<T extends KubeObject>(kind: ResourceKind, namespace?: string): T[] {
    const store = this.informer<T>(kind).store;
    return namespace === undefined ? store.list() : store.listByNamespace(namespace);
  }

  byIndex<T extends KubeObject>(kind: ResourceKind, indexName: string, value: string): T[] {
    return this.informer<T>(kind).store.byIndex(indexName, value);
  }

  /** Stops every informer. */
  async stopAll(): Promise<void> {
    const entries = [...this.#entries.values()];
    for (const e of entries) e.abort?.abort();
    await Promise.all(entries.map((e) => e.done ?? Promise.resolve()));
    for (const e of entries) {
      e.abort = undefined;
      e.done = undefined;
    }
  }
}
