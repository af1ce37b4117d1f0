// Kubernetes Events (core/v1) for notable transitions, with client-go's correlator manners:
// - the same object + type + reason + message seen again within `aggregateWindowMs` patches
//   the existing Event's `count` and `lastTimestamp` instead of creating a new one;
// - each involved object has a token bucket (client-go's spam filter: burst 25, one more
//   every 5 minutes); events beyond it are dropped;
// - recording never throws into a reconcile: API failures are logged at warn.
// Writes for one correlation key are serialized, so a burst of repeats never races two creates.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import { realClock, type Clock } from './clock.ts';
import { formatTime } from './conditions.ts';
import { isNotFound, patchOptions, type KubeObject } from './k8s.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  kubeConfig: KubeConfig;
  /** source.component, for example `gastown-operator`. */
  component: string;
  host?: string;
  /** Repeats within this window are aggregated; default 10 minutes (client-go's). */
  aggregateWindowMs?: number;
  /** Events an object may burst; default 25. */
  burst?: number;
  /** One more event allowed per object every this many ms; default 5 minutes. */
  refillMs?: number;
  /** Bound on remembered keys and buckets; default 4096. */
  maxTracked?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  lastMs: number;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

/** A Map that forgets its oldest entries beyond `max`. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value!);
}

export class EventRecorder {
  readonly #api: CoreV1Api;
  readonly #opts: Required<Omit<EventRecorderOptions, 'kubeConfig' | 'clock' | 'logger'>>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #seen = new Map<string, Seen>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #chains = new Map<string, Promise<void>>();
  #sequence = 0;

  constructor(options: EventRecorderOptions) {
    this.#api = options.kubeConfig.makeApiClient(CoreV1Api);
    this.#clock = options.clock ?? realClock;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'events' });
    this.#opts = {
      component: options.component,
      host: options.host ?? hostname(),
      aggregateWindowMs: options.aggregateWindowMs ?? 600_000,
      burst: options.burst ?? 25,
      refillMs: options.refillMs ?? 300_000,
      maxTracked: options.maxTracked ?? 4096,
    };
  }

  /** Records an event in the background. */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    void this.record(obj, type, reason, message);
  }

  /** Records an event; resolves when written, dropped or failed. Never rejects. */
  record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = obj.metadata ?? {};
    const objectId = `${obj.apiVersion ?? ''}/${obj.kind ?? ''}/${meta.namespace ?? ''}/${meta.name ?? ''}/${meta.uid ?? ''}`;
    if (!this.#allow(objectId)) {
      this.#log.debug({ reason, object: objectId }, 'event dropped: too many for this object');
      return Promise.resolve();
    }
    const key = `${objectId}\u0000${type}\u0000${reason}\u0000${message}`;
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.#write(key, obj, type, reason, message));
    this.#chains.set(key, next);
    void next.finally(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
    return next;
  }

  #allow(objectId: string): boolean {
    const now = this.#clock.now();
    const { burst, refillMs, maxTracked } = this.#opts;
    const b = this.#buckets.get(objectId) ?? { tokens: burst, lastMs: now };
    b.tokens = Math.min(burst, b.tokens + (now - b.lastMs) / refillMs);
    b.lastMs = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    remember(this.#buckets, objectId, b, maxTracked);
    return ok;
  }

  async #write(key: string, obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const now = this.#clock.now();
    try {
      const seen = this.#seen.get(key);
      if (seen && now - seen.lastMs <= this.#opts.aggregateWindowMs && (await this.#bump(seen, now))) return;
      const created = await this.#create(obj, type, reason, message, now);
      remember(this.#seen, key, created, this.#opts.maxTracked);
    } catch (error) {
      this.#log.warn({ err: error, reason, object: obj.metadata?.name }, 'could not record event');
    }
  }

  /** Patches count and lastTimestamp; false when the Event is gone (expired by the server). */
  async #bump(seen: Seen, now: number): Promise<boolean> {
    const body = { count: seen.count + 1, lastTimestamp: formatTime(now) };
    try {
      await this.#api.patchNamespacedEvent({ name: seen.name, namespace: seen.namespace, body }, patchOptions({ type: 'merge', body }));
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    seen.count += 1;
    seen.lastMs = now;
    return true;
  }

  async #create(obj: KubeObject, type: EventType, reason: string, message: string, now: number): Promise<Seen> {
    const meta = obj.metadata ?? {};
    // Events of cluster-scoped objects live in `default`, as client-go puts them.
    const namespace = meta.namespace ?? 'default';
    const name = `${meta.name ?? 'object'}.${this.#suffix(now)}`;
    const at = new Date(Math.floor(now / 1000) * 1000);
    const body: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: meta.name, namespace: meta.namespace, uid: meta.uid },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: this.#opts.component, host: this.#opts.host },
      reportingComponent: this.#opts.component,
      reportingInstance: this.#opts.host,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    await this.#api.createNamespacedEvent({ namespace, body });
    return { name, namespace, count: 1, lastMs: now };
  }

  /** client-go names events `<object>.<unix nanos in hex>`; a sequence and random bits keep them unique. */
  #suffix(now: number): string {
    const nanos = BigInt(now) * 1_000_000n + BigInt(this.#sequence++ % 1_000_000);
    return `${nanos.toString(16)}${randomBytes(2).toString('hex')}`;
  }
}
