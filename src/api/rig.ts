// The Rig kind (cluster-scoped): a view of one gt rig, a project directory of the town.
//
// The spec says where the rig lives and what it should look like; the operator only checks it
// against the town and never creates directories, clones repositories or changes gt
// configuration. The status is what gt reports (`gt status --json`, `gt rig list --json`).
//
// Naming: a Rig object's gt rig name is the last segment of `spec.localPath` (gt lays rigs out
// as `<town>/<rig>/`). Name the object after the rig when the gt name is a valid Kubernetes name;
// gt names with underscores cannot be object names, which is why Polecats refer to rigs by gt
// name (`Polecat.spec.rig`), not by object name.
import { posix } from 'node:path';
import { z } from 'zod';
import { API_GROUP_VERSION, Kind, Resource } from './constants.ts';
import {
  clusterObjectMetaSchema,
  countField,
  timestampField,
  viewStatusFields,
} from './common.ts';
import { beadsPrefixSchema, localPathSchema, MAX_URL_LENGTH } from './formats.ts';
import { decoderFor, type KindDefinition } from './kind.ts';
import { executionSchema } from './execution.ts';

export const rigSpecSchema = z
  .object({
    localPath: localPathSchema.describe(
      'Absolute path of the rig directory on the town host (<town>/<rig>); its last segment is the gt rig name. ' +
        'No ".." segments. The operator only reads it.',
    ),
    gitURL: z
      .string()
      .min(1)
      .max(MAX_URL_LENGTH)
      .regex(/^\S+$/, { error: 'must not contain whitespace' })
      .describe("Expected repository URL of the rig. Checked against the town's config (SpecMismatch), never written to it.")
      .optional(),
    beadsPrefix: beadsPrefixSchema
      .describe("Expected beads prefix of the rig's issues (e.g. gt). Checked against the town (SpecMismatch), never written to it.")
      .optional(),
    execution: executionSchema.optional(),
  })
  .describe('Where the rig lives on the town host and what the town should report for it.');
export type RigSpec = z.infer<typeof rigSpecSchema>;

/** At most this many ids in `countedThrough.ids` (observability/refinery.ts WATERMARK_MAX_IDS). */
export const MERGE_WATERMARK_MAX_IDS = 50;

export const mergeWatermarkSchema = z
  .object({
    closedAt: timestampField('Close time of the latest merge request counted (the epoch before any).'),
    ids: z
      .array(z.string().min(1).max(128).regex(/^\S+$/, { error: 'must not contain whitespace' }))
      .max(MERGE_WATERMARK_MAX_IDS)
      .describe('Ids of the merge requests closed at exactly closedAt that were counted.'),
  })
  .describe(
    'How far the refinery merge metrics have counted this rig\'s closed merge requests, so that each merge is ' +
      'counted once even across operator restarts. Written by the operator; do not edit.',
  );
export type MergeWatermarkStatus = z.infer<typeof mergeWatermarkSchema>;

export const mergeQueueStatusSchema = z
  .object({
    pending: countField('Merge requests waiting in the refinery queue.').optional(),
    inFlight: countField('Merge requests being processed.').optional(),
    blocked: countField('Merge requests blocked (conflicts, failed checks).').optional(),
    state: z.string().max(64).describe("The queue's state exactly as gt reports it: idle, processing, blocked, or a newer value.").optional(),
    stateKnown: z.boolean().describe('False when the operator does not recognise state; the raw value is kept either way.').optional(),
    health: z.string().max(64).describe("The queue's health exactly as gt reports it: healthy, stale, empty, or a newer value.").optional(),
    healthKnown: z.boolean().describe('False when the operator does not recognise health; the raw value is kept either way.').optional(),
    countedThrough: mergeWatermarkSchema.optional(),
  })
  .describe(
    "The refinery's merge queue: the figures from `gt status --json` (absent when gt reports no queue: it omits " +
      'an empty one) and the watermark of the merge metrics.',
  );
export type MergeQueueStatus = z.infer<typeof mergeQueueStatusSchema>;

/** At most this many retired certificate serials are remembered per rig. */
export const MAX_RETIRED_SERIALS = 500;

export const retiredSerialSchema = z
  .object({
    serial: z.string().min(1).max(128).regex(/^[0-9a-fA-F]+$/, { error: 'must be a hex serial' }).describe('Certificate serial (hex).'),
    polecat: z.string().max(128).describe('The gt polecat the certificate was issued to.').optional(),
    expiresAt: timestampField('When the certificate expires; the serial is forgotten after that.').optional(),
  })
  .describe('A certificate of a retired session, denied at the gt proxy.');
export type RetiredSerial = z.infer<typeof retiredSerialSchema>;

export const rigExecutionStatusSchema = z
  .object({
    sessionPods: countField('Session pods of the rig the operator sees.').optional(),
    runningPods: countField('Session pods admitted to run (past the capacity gate, not ended): what counts toward maxPods.').optional(),
    waitingPods: countField('Session pods held at the capacity gate until the rig is below maxPods (oldest admitted first).').optional(),
    maxPods: countField('spec.execution.maxPods as the operator applies it.').optional(),
    retiredSerials: z
      .array(retiredSerialSchema)
      .max(MAX_RETIRED_SERIALS)
      .describe(
        'Serials of retired sessions\' certificates. The proxy keeps its deny list in memory only, so the operator ' +
          'denies these again after the proxy was unreachable or the operator restarted.',
      )
      .optional(),
  })
  .describe('Pod execution bookkeeping of the rig (docs/pod-execution.md). Written by the operator; do not edit.');
export type RigExecutionStatus = z.infer<typeof rigExecutionStatusSchema>;

export const rigStatusSchema = z
  .object({
    phase: z
      .string()
      .max(64)
      .describe('Pending, Operational, Parked, Docked, Degraded or Unknown. An open set: treat other values as unknown.')
      .optional(),
    operationalState: z
      .string()
      .max(64)
      .describe('The rig state exactly as gt reports it (operational, parked, docked, error, ...).')
      .optional(),
    operationalStateKnown: z
      .boolean()
      .describe('False when the operator does not recognise operationalState (a newer gt value); the raw value is kept either way.')
      .optional(),
    polecatCount: countField('Polecats of the rig known to gt, idle ones included.').optional(),
    activeConvoys: countField('Open convoys tracking beads of this rig.').optional(),
    witnessRunning: z.boolean().describe("Whether the rig's witness session is running.").optional(),
    refineryRunning: z.boolean().describe("Whether the rig's refinery session is running.").optional(),
    mergeQueue: mergeQueueStatusSchema.optional(),
    execution: rigExecutionStatusSchema.optional(),
    ...viewStatusFields,
  })
  .describe('What gt reports for the rig. Written by the operator.');
export type RigStatus = z.infer<typeof rigStatusSchema>;

export const rigSchema = z.object({
  apiVersion: z.literal(API_GROUP_VERSION).default(API_GROUP_VERSION),
  kind: z.literal(Kind.Rig).default(Kind.Rig),
  metadata: clusterObjectMetaSchema,
  spec: rigSpecSchema,
  status: rigStatusSchema.optional(),
});
/** A Rig as decoded from the API (defaults applied). */
export type Rig = z.infer<typeof rigSchema>;
/** A Rig as it may be written (defaulted fields optional). */
export type RigInput = z.input<typeof rigSchema>;

export const RigDefinition = {
  names: Resource.Rig,
  description: 'Rig is a view of one gt rig: a project of the Gas Town with its polecats, witness, refinery and merge queue.',
  specSchema: rigSpecSchema,
  statusSchema: rigStatusSchema,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Polecats', type: 'integer', jsonPath: '.status.polecatCount' },
    { name: 'Convoys', type: 'integer', jsonPath: '.status.activeConvoys' },
    { name: 'Path', type: 'string', jsonPath: '.spec.localPath', priority: 1 },
    { name: 'Witness', type: 'boolean', jsonPath: '.status.witnessRunning', priority: 1 },
    { name: 'Refinery', type: 'boolean', jsonPath: '.status.refineryRunning', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
} as const satisfies KindDefinition<typeof rigSpecSchema, typeof rigStatusSchema>;

const rigDecoder = decoderFor(Kind.Rig, rigSchema);
/** Decodes a Rig read from the API; errors are values. */
export const decodeRig = rigDecoder.decode;
/** Decodes a Rig read from the API; throws InvalidResourceError. */
export const parseRig = rigDecoder.parse;

/** The gt rig name a Rig stands for: the last segment of `spec.localPath`. */
export function gtRigName(rig: Pick<Rig, 'spec'>): string {
  return posix.basename(rig.spec.localPath);
}
