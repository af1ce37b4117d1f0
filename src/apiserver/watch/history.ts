// Bounded history of committed changes, for watch resume and consistent paged lists.
//
// Guarantees: every change with version > `compactedVersion` is kept, in commit order. A watch
// or a list continuation asking for an older version is answered with 410 Expired by the
// caller. After a restart the history starts empty at the loaded version: clients holding an
// older version relist, exactly as after an etcd compaction.
import type { Change } from './events.ts';
import type { KubeObject } from '../types.ts';

export class ChangeHistory {
  private readonly capacity: number;
  private readonly ring: Array<Change | undefined>;
  private start = 0;
  private size = 0;
  /** Versions up to and including this one are no longer replayable. */
  compactedVersion: number;

  constructor(capacity: number, startVersion: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.ring = new Array<Change | undefined>(this.capacity);
    this.compactedVersion = startVersion;
  }

  append(change: Change): void {
    if (this.size === this.capacity) {
      const dropped = this.ring[this.start];
      if (dropped !== undefined) this.compactedVersion = dropped.version;
      this.ring[this.start] = change;
      this.start = (this.start + 1) % this.capacity;
      return;
    }
    this.ring[(this.start + this.size) % this.capacity] = change;
    this.size += 1;
  }

  /** True when every change after `version` is still kept. */
  covers(version: number): boolean {
    return version >= this.compactedVersion;
  }

  /** Changes with version > `after`, oldest first. Caller checks `covers(after)` first. */
  since(after: number): Change[] {
    const out: Change[] = [];
    // Walk back from the newest to the first change not newer than `after`; usually short.
    for (let i = this.size - 1; i >= 0; i -= 1) {
      const change = this.ring[(this.start + i) % this.capacity];
      if (change === undefined || change.version <= after) break;
      out.push(change);
    }
    return out.reverse();
  }

  /**
   * Rewinds `current` (name -> object, the live objects of one type and scope) to its state at
   * `version` by undoing newer changes, newest first. Mutates and returns `current`.
   */
  rewind(current: Map<string, KubeObject>, key: string, namespace: string | undefined, version: number): Map<string, KubeObject> {
    const newer = this.since(version);
    for (let i = newer.length - 1; i >= 0; i -= 1) {
      const change = newer[i];
      if (change === undefined || change.key !== key) continue;
      if (namespace !== undefined && change.namespace !== namespace) continue;
      const id = `${change.namespace}/${change.name}`;
      if (change.prev === undefined) current.delete(id);
      else current.set(id, change.prev);
    }
    return current;
  }
}
