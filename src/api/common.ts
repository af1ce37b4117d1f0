// Schema pieces shared by the three kinds: Kubernetes conditions (metav1.Condition), the
// `lastFailure` block, timestamps, counters and the slice of ObjectMeta the operator reads.
//
// These are zod schemas, so the same definition validates objects in the operator and, through
// src/api/crd.ts, becomes the OpenAPI schema the API server enforces. Descriptions are written
// for `kubectl explain`.
import { z } from 'zod';
import { CONDITION_STATUSES } from './constants.ts';

/** metav1.Condition's reason pattern: CamelCase-ish, no spaces. */
export const CONDITION_REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
/** metav1.Condition's type pattern: a (optionally domain-qualified) CamelCase name. */
export const CONDITION_TYPE_PATTERN =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
export const MAX_CONDITION_MESSAGE_LENGTH = 32768;
export const MAX_INT32 = 2147483647;

/** An RFC 3339 timestamp (`metav1.Time`), e.g. `2026-04-01T12:00:00Z`. */
export function timestampField(description: string): z.ZodISODateTime {
  return z.iso.datetime({ offset: true }).describe(description);
}

/** A non-negative 32-bit count. */
export function countField(description: string): z.ZodInt {
  return z.int().min(0).max(MAX_INT32).meta({ format: 'int32', description });
}

/** A Kubernetes generation number (int64). */
export function generationField(description: string): z.ZodInt {
  return z.int().min(0).meta({ format: 'int64', description });
}

export const conditionSchema = z.object({
  type: z
    .string()
    .max(316)
    .regex(CONDITION_TYPE_PATTERN)
    .describe('Type of the condition, in CamelCase (Ready, Synced, Degraded, Stuck, CleanupBlocked, Tracking, Notified).'),
  status: z.enum(CONDITION_STATUSES).describe('Status of the condition: True, False or Unknown.'),
  observedGeneration: generationField('The .metadata.generation the condition was set for.').optional(),
  lastTransitionTime: timestampField('When the condition last changed from one status to another.'),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(CONDITION_REASON_PATTERN)
    .describe("Programmatic identifier of the condition's last transition, in CamelCase."),
  message: z
    .string()
    .max(MAX_CONDITION_MESSAGE_LENGTH)
    .describe('Human-readable details about the transition; may be empty.'),
});
export type Condition = z.infer<typeof conditionSchema>;

/** A condition list merged by `type`, as `kubectl` and server-side apply expect. */
export const conditionsSchema = z
  .array(conditionSchema)
  .refine((conditions) => new Set(conditions.map((c) => c.type)).size === conditions.length, {
    error: 'condition types must be unique',
  })
  .meta({
    description: 'Latest observations of the object, one per type (Kubernetes condition conventions).',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });

export const lastFailureSchema = z
  .object({
    time: timestampField('When the failing reconcile ended.'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(CONDITION_REASON_PATTERN)
      .describe('Kind of failure in CamelCase, e.g. GTUnavailable, GTError, GTOutputInvalid.'),
    message: z.string().max(MAX_CONDITION_MESSAGE_LENGTH).describe('What failed, for a human.'),
    retryCount: countField('Consecutive failed reconciles so far; the next retry backs off accordingly.'),
  })
  .describe('The last reconcile failure. Set when a reconcile fails, removed when one succeeds.');
export type LastFailure = z.infer<typeof lastFailureSchema>;

/**
 * The part of ObjectMeta the operator reads. Loose: every other field the API server returns
 * (managedFields, ownerReferences, ...) is kept as is, so an object can be written back intact.
 */
const objectMetaFields = {
  name: z.string().min(1),
  generateName: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().min(0).optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
};

export const clusterObjectMetaSchema = z.looseObject({ ...objectMetaFields, namespace: z.string().optional() });
export const namespacedObjectMetaSchema = z.looseObject({ ...objectMetaFields, namespace: z.string().min(1) });
export type ObjectMeta = z.infer<typeof clusterObjectMetaSchema>;
export type NamespacedObjectMeta = z.infer<typeof namespacedObjectMetaSchema>;

/**
 * The status fields every kind of this API ends with: the generation it was computed for, its
 * conditions, and the last reconcile failure. Spread last into each status object schema.
 */
export const viewStatusFields = {
  observedGeneration: generationField('The .metadata.generation this status was computed for.').optional(),
  conditions: conditionsSchema.optional(),
  lastFailure: lastFailureSchema.optional(),
};
