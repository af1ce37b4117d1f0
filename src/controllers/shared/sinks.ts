// The two outputs every controller writes through, as small interfaces it owns (the runtime's
// StatusWriter and EventRecorder satisfy them; tests pass fakes), and the Event a pure decide
// returns for reconcile to record.
import type { Reason } from '../../api/index.ts';
import type { GtClient } from '../../gt/index.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { KubeObject } from '../../runtime/k8s.ts';
import type { WithStatus } from '../../runtime/status.ts';
import type { TownView } from '../town-sync/snapshot.ts';

/** Writes a status if it differs; resolves the written object, or undefined when nothing was written. */
export interface StatusSink<S extends object> {
  write<T extends WithStatus<S>>(obj: T, status: S): Promise<T | undefined>;
}

/** Records a Kubernetes Event; never throws. */
export interface EventSink {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** An Event a decision asks for. */
export interface ViewEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: Reason;
  readonly message: string;
}

/**
 * What a reconciler that acts on gt is given (Polecat, Convoy): the gt client, the town view,
 * the informer cache reader of its kind, its two outputs, the clock and its configuration.
 */
export interface GtViewReconcilerDeps<S extends object, C> {
  readonly gt: GtClient;
  readonly town: TownView;
  /** Reads an object of the reconciled kind from the informer cache by `namespace/name`. */
  readonly get: (key: string) => WithStatus<S> | undefined;
  readonly status: StatusSink<S>;
  readonly events: EventSink;
  readonly clock: Clock;
  readonly config?: C;
  readonly logger?: Logger;
}
