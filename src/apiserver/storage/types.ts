// The persistence contract under the in-memory object store. The store keeps every object in
// memory (one node, modest data) and calls `commit` synchronously before it changes memory or
// notifies watchers; so a write is acknowledged to a client only after `commit` returned, and
// with the SQLite backend that means it is on disk (see sqlite.ts for the durability setting).
import type { KubeObject } from '../types.ts';

/** Identity of one stored object: storage key of its type (`group/resource`), namespace ('' for cluster scope), name. */
export interface ObjectKey {
  key: string;
  namespace: string;
  name: string;
}

export interface StoredRecord extends ObjectKey {
  object: KubeObject;
}

/** One durable write: `object` is the new state, or undefined for a removal. */
export interface PersistedWrite extends ObjectKey {
  object: KubeObject | undefined;
  version: number;
}

export interface LoadedState {
  records: StoredRecord[];
  /** The highest resource version ever issued (also for removals), so versions keep increasing. */
  lastVersion: number;
}

export interface Persistence {
  readonly durable: boolean;
  load(): LoadedState;
  /** Applies all writes atomically (one transaction) or throws and applies none. */
  commit(writes: readonly PersistedWrite[]): void;
  /** Stores a small string setting (for example the bearer token). */
  getSetting(name: string): string | undefined;
  setSetting(name: string, value: string): void;
  close(): void;
}
