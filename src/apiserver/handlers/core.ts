// The server's state and the one write path every verb goes through.
//
// `commit` commits a batch through the ObjectStore (the HTTP layer answers the client once the
// store says it is on disk) and then runs the lifecycle rules that follow from it (CRD serving,
// namespace and CRD cleanup).
// Everything here is synchronous, so a request's read-check-write is atomic with respect to
// every other request: optimistic concurrency reduces to comparing resourceVersions.
import type { Logger } from '../../observability/logger.ts';
import type { Change } from '../watch/events.ts';
import type { WatchHub } from '../watch/hub.ts';
import type { ObjectStore, Write } from '../store.ts';
import type { Registry } from '../registry/registry.ts';
import type { ResourceType } from '../registry/types.ts';
import { apiVersionOf } from '../registry/types.ts';
import type { KubeObject } from '../types.ts';

export interface CoreOptions {
  bookmarkIntervalMs: number;
  /** Watches whose unsent output exceeds this are closed (the client rewatches). */
  maxWatchBufferBytes: number;
}

/** Called after each commit with its changes; may commit follow-up writes. */
export type CommitHook = (changes: readonly Change[]) => void;

export class Core {
  readonly registry: Registry;
  readonly store: ObjectStore;
  readonly hub: WatchHub;
  readonly logger: Logger;
  readonly options: CoreOptions;
  private readonly hooks: CommitHook[] = [];
  /**
   * Set by a node that runs pods: the grace period (seconds) a delete of `stored` must give
   * before the object goes (the node removes it when its processes are gone); undefined = at once.
   */
  gracefulDeletion: ((type: ResourceType, stored: KubeObject) => number | undefined) | undefined;

  constructor(registry: Registry, store: ObjectStore, hub: WatchHub, logger: Logger, options: CoreOptions) {
    this.registry = registry;
    this.store = store;
    this.hub = hub;
    this.logger = logger;
    this.options = options;
  }

  onCommit(hook: CommitHook): void {
    this.hooks.push(hook);
  }

  commit(writes: readonly Write[]): Change[] {
    const changes = this.store.apply(writes);
    for (const hook of this.hooks) hook(changes);
    return changes;
  }

  /** A stored object as the requested version shows it. Never mutates `stored`. */
  present(type: ResourceType, stored: KubeObject): KubeObject {
    if (type.fromStorage !== undefined) return type.fromStorage(stored);
    const apiVersion = apiVersionOf(type);
    return stored.apiVersion === apiVersion ? stored : { ...stored, apiVersion };
  }

  /** An object of the requested version in its stored form. Never mutates `obj`. */
  toStorage(type: ResourceType, obj: KubeObject): KubeObject {
    if (type.toStorage !== undefined) return type.toStorage(obj);
    return obj.apiVersion === type.storageApiVersion ? obj : { ...obj, apiVersion: type.storageApiVersion };
  }
}
