// Town sync, assembled: the observer (the TownView every controller reads), the event-log
// follower that turns each new line of `<town>/.events.jsonl` into a debounced sync request,
// and polecat discovery run after every successful cycle. The composition root makes one
// TownSync, hands `observer` to the controllers, subscribes to `observer.onChange` to enqueue
// the affected resources, and runs it with the manager's AbortSignal.
import path from 'node:path';
import type { GtClient } from '../../gt/index.ts';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { KubeClient, KubeObject } from '../../runtime/k8s.ts';
import { PolecatDiscovery } from './discovery.ts';
import { EVENT_LOG_FILE, EventLogFollower } from './event-log.ts';
import { TownObserver, type TownObserverOptions } from './observer.ts';


export interface TownSyncOptions {
  readonly gt: GtClient;
  readonly townRoot: string;
  /** For discovered Polecat views; omit to run without discovery. */
  readonly kube?: KubeClient;
  /** Polecats in the informer cache (needed with `kube`). */
  readonly listPolecats?: () => readonly KubeObject[];
  /** Namespace of discovered views; default `default`. */
  readonly discoveryNamespace?: string;
  readonly observer?: Omit<TownObserverOptions, 'client' | 'townRoot' | 'clock' | 'logger'>;
  /** Event-log poll period; default 500 ms. */
  readonly eventLogPollMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export class TownSync {
  readonly observer: TownObserver;
  readonly discovery: PolecatDiscovery | undefined;
  /** A follower per run: run() is started again after a lost and regained lease. */
  readonly #newFollower: () => EventLogFollower;
  #follower: EventLogFollower | undefined;

  constructor(options: TownSyncOptions) {
    const logger = options.logger ?? silentLogger();
    const common = options.clock ? { clock: options.clock, logger } : { logger };
    this.observer = new TownObserver({ ...options.observer, ...common, client: options.gt, townRoot: options.townRoot });
    this.#newFollower = () => new EventLogFollower({
      ...common,
      path: path.join(options.townRoot, EVENT_LOG_FILE),
      onEvents: (events) => this.observer.requestSync(`event log: ${[...new Set(events.map((e) => e.type))].join(', ')}`),
      ...(options.eventLogPollMs === undefined ? {} : { pollMs: options.eventLogPollMs }),
    });
    if (options.kube && options.listPolecats) {
      this.discovery = new PolecatDiscovery({
        client: options.kube,
        listPolecats: options.listPolecats,
        logger,
        ...(options.discoveryNamespace === undefined ? {} : { namespace: options.discoveryNamespace }),
      });
    }
  }

  /** The event-log follower of the current run, if one is running. */
  get follower(): EventLogFollower | undefined {
    return this.#follower;
  }

  /**
   * Follows the event log and runs sync cycles (and discovery) until `signal` aborts. May be
   * run again after it returned (a new leadership term): each run starts from a fresh read.
   */
  async run(signal: AbortSignal): Promise<void> {
    const discovery = this.discovery;
    const unsubscribe = discovery
      ? this.observer.onSnapshot((snapshot) => {
          if (snapshot.ok) void discovery.sync(snapshot);
        })
      : () => undefined;
    this.observer.forget();
    const follower = this.#newFollower();
    this.#follower = follower;
    await follower.start();
    try {
      await this.observer.run(signal);
    } finally {
      unsubscribe();
      await follower.stop();
      this.#follower = undefined;
    }
  }
}
