// The object store: all objects in memory, written through to a Persistence, with one global
// resource-version counter across all types (like etcd's revision).
//
// Guarantees:
// - `apply` is atomic: it commits the batch to the persistence first (throws → nothing
//   changed), then updates memory, appends to the history and notifies watches, all in one
//   synchronous run.
// - Durability is group-committed (storage/group-commit.ts): `durable()` resolves once every
//   change so far is forced to disk. The HTTP layer acknowledges a write only then. Readers and
//   watchers may see a change up to one sync before that (it is committed, so it survives a
//   crash of the process, and it is on disk within one fsync).
// - Versions strictly increase, one per changed object, and are never reused after a restart.
// - Stored objects are never mutated; readers that want to modify must copy (see meta.ts clone).
import type { Change } from './watch/events.ts';
import { ChangeHistory } from './watch/history.ts';
import type { WatchHub } from './watch/hub.ts';
import { GroupCommit } from './storage/group-commit.ts';
import type { Persistence, PersistedWrite } from './storage/types.ts';
import type { KubeObject } from './types.ts';

/** A requested change: `object` is the new state (its resourceVersion is set here), undefined = remove. */
export interface Write {
  key: string;
  namespace: string;
  name: string;
  object: KubeObject | undefined;
}

function withVersion(obj: KubeObject, version: number): KubeObject {
  const metadata = (obj.metadata ?? {}) as Record<string, unknown>;
  return { ...obj, metadata: { ...metadata, resourceVersion: String(version) } };
}

export class ObjectStore {
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  private readonly persistence: Persistence;
  private readonly hub: WatchHub;
  readonly history: ChangeHistory;
  private readonly groupCommit: GroupCommit;
  private currentVersion: number;

  constructor(persistence: Persistence, hub: WatchHub, historySize: number) {
    this.persistence = persistence;
    this.hub = hub;
    const loaded = persistence.load();
    for (const rec of loaded.records) this.table(rec.key).set(`${rec.namespace}/${rec.name}`, rec.object);
    this.currentVersion = loaded.lastVersion;
    this.history = new ChangeHistory(historySize, loaded.lastVersion);
    this.groupCommit = new GroupCommit(() => persistence.sync(), loaded.lastVersion);
  }

  /** Resolves once every change up to `version` (default: all so far) is on disk. */
  durable(version: number = this.currentVersion): Promise<void> {
    return this.groupCommit.durable(version);
  }

  get version(): number {
    return this.currentVersion;
  }

  get(key: string, namespace: string, name: string): KubeObject | undefined {
    return this.tables.get(key)?.get(`${namespace}/${name}`);
  }

  /** Live objects of one type, keyed `namespace/name`; namespace undefined = all. A fresh map. */
  snapshot(key: string, namespace: string | undefined): Map<string, KubeObject> {
    const out = new Map<string, KubeObject>();
    const table = this.tables.get(key);
    if (table === undefined) return out;
    if (namespace === undefined) return new Map(table);
    const prefix = `${namespace}/`;
    for (const [id, obj] of table) if (id.startsWith(prefix)) out.set(id, obj);
    return out;
  }

  count(key: string, namespace?: string): number {
    const table = this.tables.get(key);
    if (table === undefined) return 0;
    if (namespace === undefined) return table.size;
    let n = 0;
    const prefix = `${namespace}/`;
    for (const id of table.keys()) if (id.startsWith(prefix)) n += 1;
    return n;
  }

  /** Commits the writes atomically and returns the committed changes (versions assigned in order). */
  apply(writes: readonly Write[]): Change[] {
    let version = this.currentVersion;
    const changes: Change[] = [];
    const persisted: PersistedWrite[] = [];
    // Later writes in one batch see earlier ones (so `prev` chains correctly).
    const pending = new Map<string, KubeObject | undefined>();
    for (const w of writes) {
      const pendingId = `${w.key}|${w.namespace}/${w.name}`;
      const prev = pending.has(pendingId) ? pending.get(pendingId) : this.get(w.key, w.namespace, w.name);
      if (w.object === undefined && prev === undefined) continue;
      version += 1;
      const object = withVersion(w.object ?? (prev as KubeObject), version);
      pending.set(pendingId, w.object === undefined ? undefined : object);
      const type = w.object === undefined ? 'DELETED' : prev === undefined ? 'ADDED' : 'MODIFIED';
      changes.push({ type, version, key: w.key, namespace: w.namespace, name: w.name, object, prev });
      persisted.push({ key: w.key, namespace: w.namespace, name: w.name, object: w.object === undefined ? undefined : object, version });
    }
    // After a failed sync the disk may have lost writes memory still has: accept no more.
    if (this.groupCommit.failure !== undefined) throw this.groupCommit.failure;
    this.persistence.commit(persisted);
    this.currentVersion = version;
    this.groupCommit.committed(version);
    for (const change of changes) {
      const table = this.table(change.key);
      const id = `${change.namespace}/${change.name}`;
      if (change.type === 'DELETED') table.delete(id);
      else table.set(id, change.object);
      this.history.append(change);
    }
    for (const change of changes) this.hub.publish(change);
    return changes;
  }

  private table(key: string): Map<string, KubeObject> {
    let table = this.tables.get(key);
    if (table === undefined) {
      table = new Map();
      this.tables.set(key, table);
    }
    return table;
  }
}
