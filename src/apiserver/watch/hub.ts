// Fan-out of committed changes to open watches. Delivery is synchronous in the commit's tick,
// so a watch registered in the same tick as it replays history (or reads a list) sees every
// later change exactly once: JavaScript runs no other commit in between.
import type { Change } from './events.ts';

export interface WatchSubscriber {
  /** Storage key of the watched type. */
  readonly key: string;
  /** Only changes in this namespace; undefined = all. */
  readonly namespace: string | undefined;
  deliver(change: Change): void;
  /** The watched type stopped being served (its CRD was removed): end the stream. */
  close(): void;
}

export class WatchHub {
  private readonly byKey = new Map<string, Set<WatchSubscriber>>();

  subscribe(sub: WatchSubscriber): () => void {
    let set = this.byKey.get(sub.key);
    if (set === undefined) {
      set = new Set();
      this.byKey.set(sub.key, set);
    }
    set.add(sub);
    return () => {
      const current = this.byKey.get(sub.key);
      current?.delete(sub);
      if (current?.size === 0) this.byKey.delete(sub.key);
    };
  }

  publish(change: Change): void {
    const set = this.byKey.get(change.key);
    if (set === undefined) return;
    // Copy: a subscriber may unsubscribe itself (slow consumer) while we iterate.
    for (const sub of [...set]) {
      if (sub.namespace === undefined || sub.namespace === change.namespace) sub.deliver(change);
    }
  }

  /** Ends every watch on a storage key (the type is no longer served). */
  closeKey(key: string): void {
    const set = this.byKey.get(key);
    if (set === undefined) return;
    this.byKey.delete(key);
    for (const sub of set) sub.close();
  }

  /** Number of open watches (for metrics and tests). */
  count(): number {
    let n = 0;
    for (const set of this.byKey.values()) n += set.size;
    return n;
  }
}
