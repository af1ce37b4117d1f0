// The informer's indexer: objects by key (`ns/name` or `name`), by namespace, and by any
// number of named index functions (for example polecats by `spec.rig`). Reads return the
// cached objects themselves: callers must treat them as read-only (copy before changing).
import { objectKey, type KubeObject } from './k8s.ts';

/** Values an object is found under in one index (for example its label values). */
export type IndexFunc<T> = (obj: T) => readonly string[];

const NAMESPACE_INDEX = '__namespace';

export class Store<T extends KubeObject> {
  readonly #items = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunc<T>>();
  /** index name -> index value -> keys */
  readonly #indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.#indexers.set(NAMESPACE_INDEX, (obj) => [obj.metadata?.namespace ?? '']);
    for (const [name, fn] of Object.entries(indexers)) this.#indexers.set(name, fn);
    for (const name of this.#indexers.keys()) this.#indices.set(name, new Map());
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  get size(): number {
    return this.#items.size;
  }

  /** Objects in `namespace` ('' for cluster-scoped ones). */
  listByNamespace(namespace: string): T[] {
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.#indices.get(indexName);
    if (!index) throw new RangeError(`no index named ${indexName}`);
    const keys = index.get(value);
    if (!keys) return [];
    return [...keys].map((k) => this.#items.get(k)!);
  }

  /** Inserts or replaces; returns the previous object under that key. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.#items.get(key);
    if (old) this.#unindex(key, old);
    this.#items.set(key, obj);
    this.#index(key, obj);
    return old;
  }

  /** Removes by key; returns the removed object. */
  remove(key: string): T | undefined {
    const old = this.#items.get(key);
    if (!old) return undefined;
    this.#unindex(key, old);
    this.#items.delete(key);
    return old;
  }

  #index(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indices.get(name)!;
      for (const value of fn(obj)) {
        let keys = index.get(value);
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indices.get(name)!;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

/** An index function over one label: objects are found by that label's value. */
export function labelIndex<T extends KubeObject>(label: string): IndexFunc<T> {
  return (obj) => {
    const value = obj.metadata?.labels?.[label];
    return value === undefined ? [] : [value];
  };
}
