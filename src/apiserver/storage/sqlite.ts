// Durable persistence on node:sqlite (DatabaseSync, no native addon).
//
// Guarantees: every `commit` is one transaction. It runs in WAL mode with `synchronous=NORMAL`:
// the commit is written to the WAL file but not forced to disk, so it survives a crash of this
// process (the kernel holds the pages) but not yet an OS crash or power loss. `sync` then
// fdatasyncs the WAL file from the libuv thread pool, off the event loop, which makes every
// transaction written before it durable, exactly what `synchronous=FULL` does per commit. The
// store acknowledges writes only after such a sync (group commit, group-commit.ts), so "an
// acknowledged write survives a power loss" holds as with FULL, at one fsync per batch instead
// of one per write on the event loop (that fsync was 31 % of the busy CPU of a 50 x 10 start:
// bench/results/scale.md). SQLite itself still syncs the WAL before each checkpoint and the
// database after it. Settings (the token, the serving certificate) are synced at once.
// The highest issued resource version is stored in the same transaction as the object, so
// versions keep increasing across restarts even after removals.
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { KubeObject } from '../types.ts';
import type { LoadedState, Persistence, PersistedWrite, StoredRecord } from './types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  key TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (key, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

interface ObjectRow {
  key: string;
  namespace: string;
  name: string;
  data: string;
}

export class SqlitePersistence implements Persistence {
  readonly durable = true;
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly upsert: StatementSync;
  private readonly remove: StatementSync;
  private readonly setMeta: StatementSync;
  private readonly getMeta: StatementSync;
  /** Our own descriptor of the WAL file, opened at the first sync (fdatasync needs one). */
  private walFd: number | undefined;
  private syncing: Promise<void> | undefined;
  private closed = false;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.path = join(dataDir, 'apiserver.db');
    this.db = new DatabaseSync(this.path);
    this.db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;');
    this.db.exec(SCHEMA);
    this.upsert = this.db.prepare(
      'INSERT INTO objects (key, namespace, name, version, data) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (key, namespace, name) DO UPDATE SET version = excluded.version, data = excluded.data',
    );
    this.remove = this.db.prepare('DELETE FROM objects WHERE key = ? AND namespace = ? AND name = ?');
    this.setMeta = this.db.prepare(
      'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    this.getMeta = this.db.prepare('SELECT value FROM meta WHERE name = ?');
  }

  load(): LoadedState {
    const rows = this.db.prepare('SELECT key, namespace, name, data FROM objects').all() as unknown as ObjectRow[];
    const records: StoredRecord[] = rows.map((row) => ({
      key: row.key,
      namespace: row.namespace,
      name: row.name,
      object: JSON.parse(row.data) as KubeObject,
    }));
    const last = this.getSetting('lastVersion');
    return { records, lastVersion: last === undefined ? 0 : Number(last) };
  }

  commit(writes: readonly PersistedWrite[]): void {
    if (writes.length === 0) return;
    let maxVersion = 0;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const w of writes) {
        if (w.object === undefined) this.remove.run(w.key, w.namespace, w.name);
        else this.upsert.run(w.key, w.namespace, w.name, w.version, JSON.stringify(w.object));
        maxVersion = Math.max(maxVersion, w.version);
      }
      this.setMeta.run('lastVersion', String(maxVersion));
      this.db.exec('COMMIT');
    } catch (err) {
      // A failed statement leaves the transaction open; roll back so memory and disk agree.
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`the database ${this.path} is closed`));
    const fd = this.openWal();
    if (fd === undefined) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      fdatasync(fd, (err) => (err === null ? resolve() : reject(err)));
    });
    this.syncing = done;
    const clear = (): void => {
      if (this.syncing === done) this.syncing = undefined;
    };
    done.then(clear, clear);
    return done;
  }

  /**
   * The WAL file's descriptor, opened once; undefined while SQLite has not created the file
   * (nothing written yet). At the first open the directory is synced too, so the WAL's
   * directory entry is on disk (SQLite does that when it creates a WAL under FULL).
   */
  private openWal(): number | undefined {
    if (this.walFd !== undefined) return this.walFd;
    try {
      this.walFd = openSync(`${this.path}-wal`, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const dirFd = openSync(join(this.path, '..'), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    return this.walFd;
  }

  getSetting(name: string): string | undefined {
    const row = this.getMeta.get(name) as { value: string } | undefined;
    return row?.value;
  }

  setSetting(name: string, value: string): void {
    this.setMeta.run(name, value);
    // Settings are written at start-up only: sync at once rather than through the store.
    const fd = this.openWal();
    if (fd !== undefined) fdatasyncSync(fd);
  }

  close(): void {
    this.closed = true;
    if (this.db.isOpen) this.db.close();
    const fd = this.walFd;
    this.walFd = undefined;
    if (fd === undefined) return;
    // A sync still running uses the descriptor: close it once that sync is over.
    if (this.syncing === undefined) closeSync(fd);
    else void this.syncing.finally(() => closeSync(fd)).catch(() => undefined);
  }
}
