// Condition helpers every view's status is spelled with: one condition per type stamped with
// the generation the status is computed for, Synced from the last gt read, and the base of a
// new status (the previous one without `lastFailure`, which the runtime's failure reporter
// owns). Pure and generic over the three status types.
import { ConditionType, Reason } from '../../api/index.ts';
import { findCondition, removeCondition, setCondition, type Condition, type ConditionStatus } from '../../runtime/conditions.ts';
import type { GtFailure } from './gt-failure.ts';

/** The fields the helpers touch; Rig, Polecat and Convoy statuses all have them. */
export interface ViewStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  lastFailure?: unknown;
}

/** Sets one condition, stamped with the generation the status is computed for. */
export function withCondition<S extends ViewStatus>(status: S, type: string, condStatus: ConditionStatus, reason: Reason, message: string, now: number): S {
  const input = { type, status: condStatus, reason, message, observedGeneration: status.observedGeneration ?? 0 };
  return { ...status, conditions: setCondition(status.conditions, input, now) };
}

export function conditionOf(status: ViewStatus | undefined, type: string): Condition | undefined {
  return findCondition(status?.conditions, type);
}

export function withoutCondition<S extends ViewStatus>(status: S, type: string): S {
  return { ...status, conditions: removeCondition(status.conditions, type) };
}

export function withSynced<S extends ViewStatus>(status: S, now: number): S {
  return withCondition(status, ConditionType.Synced, 'True', Reason.Synced, 'gt read succeeded', now);
}

export function withSyncFailure<S extends ViewStatus>(status: S, failure: GtFailure, now: number): S {
  return withCondition(status, ConditionType.Synced, 'False', failure.reason, failure.message, now);
}

/** The previous status without `lastFailure`, for the generation being reconciled. */
export function baseStatus<S extends ViewStatus>(previous: S | undefined, generation: number | undefined): S {
  const status = { ...previous } as S;
  delete status.lastFailure;
  return { ...status, observedGeneration: generation ?? 0 };
}
