// Kubernetes-convention conditions (metav1.Condition): one entry per `type`, a CamelCase
// `reason`, `observedGeneration`, and a `lastTransitionTime` that moves only when `status`
// flips. Pure functions over arrays; they never mutate their input.

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  /** RFC 3339, second precision, as the API server writes metav1.Time. */
  lastTransitionTime: string;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** metav1.Condition's reason format: CamelCase, starting with a letter. */
export function isValidReason(reason: string): boolean {
  return reason.length <= 1024 && REASON.test(reason);
}

/** metav1.Time: RFC 3339 at second precision. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Returns `conditions` with `input` set: an existing condition of that type keeps its
 * lastTransitionTime unless its status changes; order of the other conditions is kept.
 */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, now: number): Condition[] {
  if (!isValidReason(input.reason)) throw new RangeError(`condition reason must be CamelCase, got ${JSON.stringify(input.reason)}`);
  const list = conditions ?? [];
  const existing = list.find((c) => c.type === input.type);
  const lastTransitionTime =
    existing && existing.status === input.status ? existing.lastTransitionTime : formatTime(now);
  const next: Condition = { ...input, lastTransitionTime };
  if (!existing) return [...list, next];
  return list.map((c) => (c.type === input.type ? next : c));
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}
