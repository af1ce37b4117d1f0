// Group commit: one durability sync for every write committed while the previous one ran.
//
// The store commits each write to the persistence synchronously (written, but not yet forced to
// disk) and tells this class its version. A sync is started one event-loop turn after the first
// unsynced commit, so every write committed in that turn rides on it; writes committed while a
// sync runs wait for the next one. `durable(v)` resolves once a sync that started after version
// `v` was committed has finished, so a client acknowledged after it has its write on disk.
//
// Failure: a failed sync means the disk may have dropped writes the process already holds in
// memory (after a failed fsync the kernel may mark the pages clean: retrying proves nothing). So
// the failure is permanent: every waiter and every later `durable` call is rejected, and the
// store refuses further writes (`failure`) until the process restarts and reloads what the disk
// really has.

interface Waiter {
  version: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class GroupCommit {
  private readonly sync: () => Promise<void>;
  /** Highest version committed to the persistence (written, maybe not durable). */
  private written: number;
  /** Highest version known durable. */
  private synced: number;
  private running = false;
  private scheduled = false;
  private waiters: Waiter[] = [];
  /** Set once a sync failed; no write is durable after that. */
  failure: Error | undefined;
  /** Syncs completed (for metrics and tests: far fewer than writes under load). */
  syncs = 0;

  constructor(sync: () => Promise<void>, startVersion: number) {
    this.sync = sync;
    this.written = startVersion;
    this.synced = startVersion;
  }

  /** Records that every version up to `version` has been committed; schedules a sync. */
  committed(version: number): void {
    if (version <= this.written) return;
    this.written = version;
    this.schedule();
  }

  /** Resolves once every version up to `version` is durable; rejects if the storage failed. */
  durable(version: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (version <= this.synced) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ version, resolve, reject });
      this.schedule();
    });
  }

  /** True when nothing committed is waiting for a sync. */
  get idle(): boolean {
    return !this.running && !this.scheduled && this.synced >= this.written;
  }

  private schedule(): void {
    if (this.running || this.scheduled || this.failure !== undefined || this.synced >= this.written) return;
    this.scheduled = true;
    // One turn later: the other requests read in this turn commit first and share the sync.
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  private run(): void {
    if (this.running || this.failure !== undefined || this.synced >= this.written) return;
    this.running = true;
    const target = this.written;
    this.sync().then(
      () => {
        this.running = false;
        this.syncs += 1;
        this.synced = target;
        const still: Waiter[] = [];
        for (const w of this.waiters) {
          if (w.version <= target) w.resolve();
          else still.push(w);
        }
        this.waiters = still;
        this.schedule();
      },
      (err: unknown) => {
        this.running = false;
        this.failure = new Error(`storage sync failed, no write is acknowledged until the server restarts: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        const waiting = this.waiters;
        this.waiters = [];
        for (const w of waiting) w.reject(this.failure);
      },
    );
  }
}
