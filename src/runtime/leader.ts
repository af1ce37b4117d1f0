// Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection:
// - acquire: create the Lease if absent (409: someone else did), or take it over when its
//   holder is empty or has not renewed within leaseDuration *as observed on our clock*
//   (never trusting the other node's clock), bumping leaseTransitions; every write carries
//   the read resourceVersion, so two candidates cannot both win;
// - renew every retryPeriod; failing to renew for renewDeadline loses leadership, which
//   aborts the signal handed to onStartedLeading, then calls onStoppedLeading;
// - on a clean stop the Lease is released (holder cleared, leaseDurationSeconds 1, as
//   client-go's ReleaseOnCancel) so a standby takes over at its next retry, not a lease later.
// After losing, the elector goes back to standby and competes again.
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import { jittered, realClock, type Clock } from './clock.ts';
import { isConflict, type KubeClient, type KubeObject, type ResourceKind } from './k8s.ts';

export const leaseKind: ResourceKind = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
  namespaced: true,
};

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** metav1.MicroTime as the API server writes it: `2026-11-23T10:00:00.000000Z`. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  /** Default 15 s. */
  leaseDurationMs?: number;
  /** Default 10 s; must be shorter than the lease. */
  renewDeadlineMs?: number;
  /** Default 2 s. */
  retryPeriodMs?: number;
  /** Release the lease when run()'s signal aborts; default true. */
  releaseOnCancel?: boolean;
  /** Leadership began; `signal` aborts when it ends. */
  onStartedLeading(signal: AbortSignal): void;
  /** Leadership ended (lost or stopping); awaited before the lease is released. */
  onStoppedLeading(): void | Promise<void>;
  /** The observed holder changed. */
  onNewLeader?(identity: string): void;
  clock?: Clock;
  logger?: Logger;
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'onNewLeader' | 'clock' | 'logger'>> & Pick<LeaderElectionOptions, 'onNewLeader'>;
  readonly #clock: Clock;
  readonly #log: Logger;
  #leading = false;
  #observed: LeaseSpec | undefined;
  #observedAt = 0;
  #lease: Lease | undefined;

  constructor(options: LeaderElectionOptions) {
    const { leaseDurationMs = 15_000, renewDeadlineMs = 10_000, retryPeriodMs = 2_000, releaseOnCancel = true } = options;
    if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs && retryPeriodMs > 0)) {
      throw new RangeError('need leaseDuration > renewDeadline > retryPeriod > 0');
    }
    this.#o = { ...options, leaseDurationMs, renewDeadlineMs, retryPeriodMs, releaseOnCancel };
    this.#clock = options.clock ?? realClock;
    this.#log = (options.logger ?? silentLogger()).child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  /** Decides, up to the moment run() stops, whether it releases the lease (false: as if killed). */
  setReleaseOnCancel(release: boolean): void {
    this.#o.releaseOnCancel = release;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder last seen on the Lease ('' when released). */
  observedLeader(): string | undefined {
    return this.#observed?.holderIdentity;
  }

  /** Competes for and holds the lease until `signal` aborts. Never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.#acquire(signal))) break;
      const leadership = new AbortController();
      this.#leading = true;
      this.#log.info('became leader');
      this.#callStarted(leadership.signal);
      await this.#renewUntilLost(signal);
      this.#leading = false;
      leadership.abort();
      await this.#callStopped();
      if (signal.aborted) {
        if (this.#o.releaseOnCancel) await this.#release();
        break;
      }
      this.#log.warn('leadership lost; back to standby');
    }
  }

  #callStarted(signal: AbortSignal): void {
    try {
      this.#o.onStartedLeading(signal);
    } catch (error) {
      this.#log.error({ err: error }, 'onStartedLeading threw');
    }
  }

  async #callStopped(): Promise<void> {
    try {
      await this.#o.onStoppedLeading();
    } catch (error) {
      this.#log.error({ err: error }, 'onStoppedLeading threw');
    }
  }

  /** True once acquired; false if `signal` aborted first. */
  async #acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.#tryAcquireOrRenew()) return true;
      await this.#clock.sleep(jittered(this.#o.retryPeriodMs, 1.2), signal);
    }
    return false;
  }

  /** Returns when leadership is lost or `signal` aborts. */
  async #renewUntilLost(signal: AbortSignal): Promise<void> {
    let lastRenew = this.#clock.now();
    while (!signal.aborted) {
      await this.#clock.sleep(this.#o.retryPeriodMs, signal);
      if (signal.aborted) return;
      const budget = this.#o.renewDeadlineMs - (this.#clock.now() - lastRenew);
      if (budget > 0 && (await this.#withDeadline(this.#tryAcquireOrRenew(), budget))) {
        lastRenew = this.#clock.now();
        continue;
      }
      if (this.#clock.now() - lastRenew >= this.#o.renewDeadlineMs) {
        this.#log.warn({ sinceRenewMs: this.#clock.now() - lastRenew }, 'could not renew the lease within the renew deadline');
        return;
      }
    }
  }

  #withDeadline(attempt: Promise<boolean>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const cancel = this.#clock.setTimer(() => resolve(false), ms);
      void attempt.then((ok) => {
        cancel();
        resolve(ok);
      });
    });
  }

  /** One attempt, client-go's tryAcquireOrRenew. Never rejects. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name } = this.#o;
    try {
      const lease = await client.get<Lease>(leaseKind, { namespace, name });
      if (!lease) return await this.#create();
      this.#observe(lease);
      const spec = lease.spec ?? {};
      const now = this.#clock.now();
      const holder = spec.holderIdentity ?? '';
      const valid = this.#observedAt + (spec.leaseDurationSeconds ?? 0) * 1000 > now;
      if (holder !== '' && holder !== this.#o.identity && valid) return false;
      const ours = holder === this.#o.identity;
      const next: LeaseSpec = {
        holderIdentity: this.#o.identity,
        leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
        acquireTime: ours && spec.acquireTime ? spec.acquireTime : formatMicroTime(now),
        renewTime: formatMicroTime(now),
        leaseTransitions: ours ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      };
      const updated = await client.replace<Lease>(leaseKind, { ...lease, spec: { ...spec, ...next } });
      this.#observe(updated);
      return true;
    } catch (error) {
      if (!isConflict(error)) this.#log.warn({ err: error }, 'lease attempt failed');
      return false;
    }
  }

  async #create(): Promise<boolean> {
    const { client, namespace, name } = this.#o;
    const now = formatMicroTime(this.#clock.now());
    const lease: Lease = {
      metadata: { name, namespace },
      spec: {
        holderIdentity: this.#o.identity,
        leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      },
    };
    try {
      this.#observe(await client.create(leaseKind, lease));
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** Tracks when the record last changed, on our clock (client-go's observedTime). */
  #observe(lease: Lease): void {
    const spec = lease.spec ?? {};
    const changed =
      this.#observed?.holderIdentity !== spec.holderIdentity || this.#observed?.renewTime !== spec.renewTime;
    if (changed) {
      this.#observedAt = this.#clock.now();
      if (this.#observed?.holderIdentity !== spec.holderIdentity) this.#o.onNewLeader?.(spec.holderIdentity ?? '');
    }
    this.#observed = { ...spec };
    this.#lease = lease;
  }

  /** Clears the holder so a standby need not wait out the lease. */
  async #release(): Promise<void> {
    const lease = this.#lease;
    if (!lease || lease.spec?.holderIdentity !== this.#o.identity) return;
    const now = formatMicroTime(this.#clock.now());
    const spec: LeaseSpec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now };
    try {
      this.#observe(await this.#o.client.replace<Lease>(leaseKind, { ...lease, spec }));
      this.#log.info('lease released');
    } catch (error) {
      this.#log.warn({ err: error }, 'could not release the lease; a standby takes over when it expires');
    }
  }
}
