// Phase gauges from the views' status, recorded where status is decided: every status the
// controllers hand to the writer (changed or not, so a restarted operator re-publishes its
// gauges without rewriting anything) sets the resource's phase series, the polecat's stuck
// gauge and the rig's refinery queue length. Series of objects that left the cache are swept
// away, so cardinality follows the live objects rather than growing forever.
import { ConditionType, type ConvoyStatus, type PolecatStatus, type RigStatus } from '../api/index.ts';
import type { OperatorMetrics, ResourceKindName, ResourceLabels } from '../observability/metrics.ts';
import type { KubeObject } from '../runtime/k8s.ts';
import type { StatusSink } from '../controllers/shared/sinks.ts';
import type { WithStatus } from '../runtime/status.ts';

interface Tracked {
  readonly kind: ResourceKindName;
  readonly labels: ResourceLabels[ResourceKindName];
  readonly exists: () => boolean;
  readonly rig?: string;
}

export class ViewMetrics {
  readonly #metrics: OperatorMetrics;
  readonly #tracked = new Map<string, Tracked>();

  constructor(metrics: OperatorMetrics) {
    this.#metrics = metrics;
  }

  /** Wraps the Rig status writer. `gtName` maps a Rig to its gt rig name (the metrics' `rig`). */
  rigSink(inner: StatusSink<RigStatus>, gtName: (obj: KubeObject) => string, exists: (name: string) => boolean): StatusSink<RigStatus> {
    return this.#wrap(inner, (obj, status) => {
      const rig = gtName(obj);
      const name = obj.metadata?.name ?? '';
      this.#track(`rig/${name}`, { kind: 'rig', labels: { rig }, exists: () => exists(name), rig });
      this.#metrics.setPhase('rig', { rig }, status.phase);
      if (status.mergeQueue !== undefined) this.#metrics.setQueueLength(rig, status.mergeQueue.pending ?? 0);
    });
  }

  polecatSink(inner: StatusSink<PolecatStatus>, exists: (key: string) => boolean): StatusSink<PolecatStatus> {
    return this.#wrap(inner, (obj, status) => {
      const labels = { rig: rigOf(obj), name: obj.metadata?.name ?? '' };
      const key = `${obj.metadata?.namespace ?? ''}/${labels.name}`;
      this.#track(`polecat/${key}`, { kind: 'polecat', labels, exists: () => exists(key) });
      this.#metrics.setPhase('polecat', labels, status.phase);
      const stuck = (status.conditions ?? []).some((c) => c.type === ConditionType.Stuck && c.status === 'True');
      this.#metrics.setPolecatStuck(labels, stuck);
    });
  }

  convoySink(inner: StatusSink<ConvoyStatus>, exists: (key: string) => boolean): StatusSink<ConvoyStatus> {
    return this.#wrap(inner, (obj, status) => {
      const labels = { namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
      const key = `${labels.namespace}/${labels.name}`;
      this.#track(`convoy/${key}`, { kind: 'convoy', labels, exists: () => exists(key) });
      this.#metrics.setPhase('convoy', labels, status.phase);
    });
  }

  /** Removes the series of every tracked object that is no longer in the cache. */
  sweep(): number {
    let removed = 0;
    for (const [id, tracked] of this.#tracked) {
      if (tracked.exists()) continue;
      this.#metrics.forgetResource(tracked.kind, tracked.labels);
      this.#tracked.delete(id);
      removed++;
    }
    return removed;
  }

  #track(id: string, tracked: Tracked): void {
    this.#tracked.set(id, tracked);
  }

  #wrap<S extends object>(inner: StatusSink<S>, observe: (obj: KubeObject, status: S) => void): StatusSink<S> {
    return {
      write: async <T extends WithStatus<S>>(obj: T, status: S): Promise<T | undefined> => {
        const written = await inner.write(obj, status);
        observe(obj, status);
        return written;
      },
    };
  }
}

function rigOf(obj: KubeObject): string {
  const spec = (obj as { spec?: { rig?: unknown } }).spec;
  return typeof spec?.rig === 'string' ? spec.rig : '';
}
