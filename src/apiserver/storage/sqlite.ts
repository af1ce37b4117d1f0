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

// Objects live in an ordinary rowid table with a unique index on their identity. Rows are JSON
// of a few kilobytes, and in a WITHOUT ROWID table (the first schema) every write of one moved
// it through the primary-key B-tree's overflow pages: three times the cost of a write here
// (303 vs 104 us per transaction, 1.4 KB rows; SQLite's own guidance is WITHOUT ROWID for rows
// under a twentieth of a page). Older databases are converted once, in one transaction.
const OBJECTS_TABLE = `
CREATE TABLE IF NOT EXISTS objects (
  key TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  data TEXT NOT NULL,
  UNIQUE (key, namespace, name)
);`;

const SCHEMA = `${OBJECTS_TABLE}
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

/** Converts a first-schema `objects` table (WITHOUT ROWID) to the rowid one, keeping every row. */
function convertObjectsTable(db: DatabaseSync): void {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'objects'").get() as { sql: string } | undefined;
  if (row === undefined || !/WITHOUT\s+ROWID/i.test(row.sql)) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('ALTER TABLE objects RENAME TO objects_without_rowid');
    db.exec(OBJECTS_TABLE);
    db.exec('INSERT INTO objects (key, namespace, name, version, data) SELECT key, namespace, name, version, data FROM objects_without_rowid');
    db.exec('DROP TABLE objects_without_rowid');
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

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
    convertObjectsTable(this.db);
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
