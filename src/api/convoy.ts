// The Convoy kind (namespaced): a batch of beads tracked together as one gt convoy.
//
// The operator creates the convoy in gt once (`gt convoy create`), records its ID in
// `status.beadsConvoyID`, follows progress until every tracked bead is closed and, if asked,
// sends one completion mail. Convoys can track thousands of beads, so the status keeps counts
// and bounded ID lists (see `convoyBeadSummary`) to stay far below the API's object size limit.
import { z } from 'zod';
import { API_GROUP_VERSION, CONVOY_STATUS_BEAD_LIST_LIMIT, DEFAULT_NOTIFY_ADDRESS, Kind, Resource } from './constants.ts';
import {
  countField,
  namespacedObjectMetaSchema,
  timestampField,
  viewStatusFields,
} from './common.ts';
import { beadIdSchema, mailAddressSchema } from './formats.ts';
import { decoderFor, type KindDefinition } from './kind.ts';

/** At most this many beads in `spec.trackedBeads` (about 64 bytes each, far below 1.5 MiB). */
export const MAX_TRACKED_BEADS = 10000;

export const convoySpecSchema = z
  .object({
    description: z
      .string()
      .max(1024)
      .describe('What the convoy delivers; becomes the title of the gt convoy (the object name when absent).')
      .optional(),
    trackedBeads: z
      .array(beadIdSchema)
      .min(1)
      .max(MAX_TRACKED_BEADS)
      .refine((ids) => new Set(ids).size === ids.length, { error: 'bead IDs must be unique' })
      .meta({
        description: 'The beads the convoy tracks (at least one, no duplicates), e.g. [gt-abc12, gt-def34].',
        'x-kubernetes-list-type': 'set',
      }),
    notifyOnComplete: z
      .boolean()
      .describe('Send one gt mail to notifyAddress when every tracked bead is closed.')
      .default(false),
    notifyAddress: mailAddressSchema
      .describe('gt mail address of the completion notification (mayor/, overseer, <rig>/witness, ...).')
      .default(DEFAULT_NOTIFY_ADDRESS),
  })
  .describe('The beads to deliver together and whom to tell when they are done.');
export type ConvoySpec = z.infer<typeof convoySpecSchema>;
export type ConvoySpecInput = z.input<typeof convoySpecSchema>;

const beadIdList = (description: string): z.ZodArray<z.ZodString> =>
  z.array(z.string().max(128)).max(CONVOY_STATUS_BEAD_LIST_LIMIT).describe(description);

export const convoyStatusSchema = z
  .object({
    phase: z
      .string()
      .max(64)
      .describe('Pending, InProgress, Completed or Failed. An open set: treat other values as unknown.')
      .optional(),
    beadsConvoyID: z.string().max(128).describe('ID of the convoy in gt, e.g. hq-cv-abc12.').optional(),
    gtStatus: z
      .string()
      .max(64)
      .describe('The convoy status exactly as gt reports it (open, closed, staged_ready, ...).')
      .optional(),
    gtStatusKnown: z
      .boolean()
      .describe('False when the operator does not recognise gtStatus (a newer gt value); the raw value is kept either way.')
      .optional(),
    progress: z
      .string()
      .regex(/^[0-9]+\/[0-9]+$/)
      .describe('Closed beads over tracked beads, e.g. 2/3.')
      .optional(),
    totalBeads: countField('Tracked beads.').optional(),
    completedCount: countField('Tracked beads that are closed.').optional(),
    pendingCount: countField('Tracked beads that are not closed yet.').optional(),
    completedBeads: beadIdList(`Closed beads, sorted; at most ${CONVOY_STATUS_BEAD_LIST_LIMIT} (see beadListsTruncated).`).optional(),
    pendingBeads: beadIdList(`Beads not closed yet, sorted; at most ${CONVOY_STATUS_BEAD_LIST_LIMIT} (see beadListsTruncated).`).optional(),
    beadListsTruncated: z
      .boolean()
      .describe('True when completedBeads or pendingBeads list fewer IDs than their count.')
      .optional(),
    startedAt: timestampField('When the convoy was created in gt.').optional(),
    completedAt: timestampField('When every tracked bead was first seen closed.').optional(),
    notifiedAt: timestampField('When the completion notification was sent.').optional(),
    ...viewStatusFields,
  })
  .describe('Progress of the convoy in gt. Written by the operator.');
export type ConvoyStatus = z.infer<typeof convoyStatusSchema>;

export const convoySchema = z.object({
  apiVersion: z.literal(API_GROUP_VERSION).default(API_GROUP_VERSION),
  kind: z.literal(Kind.Convoy).default(Kind.Convoy),
  metadata: namespacedObjectMetaSchema,
  spec: convoySpecSchema,
  status: convoyStatusSchema.optional(),
});
/** A Convoy as decoded from the API (defaults applied). */
export type Convoy = z.infer<typeof convoySchema>;
/** A Convoy as it may be written (defaulted fields optional). */
export type ConvoyInput = z.input<typeof convoySchema>;

export const ConvoyDefinition = {
  names: Resource.Convoy,
  description: 'Convoy is a batch of beads delivered together, tracked as one gt convoy.',
  specSchema: convoySpecSchema,
  statusSchema: convoyStatusSchema,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Progress', type: 'string', jsonPath: '.status.progress' },
    { name: 'Convoy ID', type: 'string', jsonPath: '.status.beadsConvoyID' },
    { name: 'Description', type: 'string', jsonPath: '.spec.description', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
} as const satisfies KindDefinition<typeof convoySpecSchema, typeof convoyStatusSchema>;

const convoyDecoder = decoderFor(Kind.Convoy, convoySchema);
/** Decodes a Convoy read from the API; errors are values. */
export const decodeConvoy = convoyDecoder.decode;
/** Decodes a Convoy read from the API; throws InvalidResourceError. */
export const parseConvoy = convoyDecoder.parse;

export type ConvoyBeadSummary = Required<
  Pick<
    ConvoyStatus,
    'progress' | 'totalBeads' | 'completedCount' | 'pendingCount' | 'completedBeads' | 'pendingBeads' | 'beadListsTruncated'
  >
>;

function sortedUnique(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The bead-progress part of a Convoy status from the closed and the open tracked beads.
 * Lists are sorted (so an unchanged town gives an identical status: no churn) and cut at
 * `limit` IDs each (never more than the schema allows); counts are always exact.
 */
export function convoyBeadSummary(
  completed: Iterable<string>,
  pending: Iterable<string>,
  limit: number = CONVOY_STATUS_BEAD_LIST_LIMIT,
): ConvoyBeadSummary {
  const cut = Math.max(0, Math.min(Math.trunc(limit), CONVOY_STATUS_BEAD_LIST_LIMIT));
  const done = sortedUnique(completed);
  const open = sortedUnique(pending);
  const total = done.length + open.length;
  return {
    progress: `${done.length}/${total}`,
    totalBeads: total,
    completedCount: done.length,
    pendingCount: open.length,
    completedBeads: done.slice(0, cut),
    pendingBeads: open.slice(0, cut),
    beadListsTruncated: done.length > cut || open.length > cut,
  };
}
