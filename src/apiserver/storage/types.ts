// The persistence contract under the in-memory object store. The store keeps every object in
// memory (one node, modest data) and calls `commit` synchronously before it changes memory or
// notifies watchers, so a commit that throws changes nothing. `commit` writes but need not force
// the data to disk; `sync` does, for every commit made before it was called. The store
// acknowledges a write to its client only after a `sync` that covers it (group commit:
// storage/group-commit.ts), so with the SQLite backend an acknowledged write is on disk.
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
  /**
   * Applies all writes atomically (one transaction) or throws and applies none. The writes
   * survive a crash of this process once it returns; they survive power loss after `sync`.
   */
  commit(writes: readonly PersistedWrite[]): void;
  /** Forces every commit made before the call to disk. Rejects if the disk did not confirm it. */
  sync(): Promise<void>;
  /** Stores a small string setting (for example the bearer token). */
  getSetting(name: string): string | undefined;
  setSetting(name: string, value: string): void;
  close(): void;
}
