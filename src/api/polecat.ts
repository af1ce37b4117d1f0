// The Polecat kind (namespaced): a view of one gt polecat, a worker agent of a rig.
//
// The spec is what the user wants (`desiredState`, the bead to work on); the status is what gt
// reports for the polecat the operator slung or adopted. The CR name is not the gt polecat name:
// gt picks that name when it spawns the polecat, and the operator records it in `status.gtName`.
// Town sync creates Polecats for polecats gt started on its own (label `discovered`).
import { z } from 'zod';
import { API_GROUP_VERSION, DESIRED_STATES, DesiredState, Kind, Resource } from './constants.ts';
import {
  MAX_INT32,
  countField,
  namespacedObjectMetaSchema,
  timestampField,
  viewStatusFields,
} from './common.ts';
import { beadIdSchema, rigNameSchema } from './formats.ts';
import { decoderFor, type KindDefinition, type ValidationRule } from './kind.ts';

/** The CEL transition rule that makes a field immutable once set. */
export const IMMUTABLE_RIG_RULE = { rule: 'self == oldSelf', message: 'rig is immutable' } as const satisfies ValidationRule;

export const polecatSpecSchema = z
  .object({
    rig: rigNameSchema
      .describe('gt name of the rig the polecat works in (as `gt rig list` prints it). Immutable.')
      .meta({ 'x-kubernetes-validations': [IMMUTABLE_RIG_RULE] }),
    desiredState: z
      .enum(DESIRED_STATES)
      .describe(
        'Idle: keep the polecat as it is. Working: sling spec.beadID to the rig (`gt sling`) and follow the polecat. ' +
          'Terminated: nuke the polecat once gt reports no unsaved work (`gt polecat check-recovery`).',
      )
      .default(DesiredState.Idle),
    beadID: beadIdSchema.describe('The bead to work on, e.g. gt-abc12. Needed for desiredState Working.').optional(),
  })
  .describe('What the polecat should do.');
export type PolecatSpec = z.infer<typeof polecatSpecSchema>;
export type PolecatSpecInput = z.input<typeof polecatSpecSchema>;

export const gtPolecatStateSchema = z
  .object({
    raw: z
      .string()
      .max(64)
      .describe('The state exactly as gt reports it: working, idle, done, stuck, stalled, zombie, or a newer value.'),
    known: z
      .boolean()
      .describe('False when the operator does not recognise raw (a newer gt value); raw is kept either way.')
      .optional(),
  })
  .describe("gt's own view of the polecat, kept verbatim so states the phase cannot express are not lost.");
export type GTPolecatState = z.infer<typeof gtPolecatStateSchema>;

export const escalationStatusSchema = z
  .object({
    count: countField('Escalation mails sent since the polecat got stuck.'),
    lastSentAt: timestampField('When the last escalation mail was sent.').optional(),
    nextAt: timestampField('When the next escalation mail is due (exponential backoff).').optional(),
    pendingMail: z
      .string()
      .max(160)
      .describe(
        'Tag of the escalation mail recorded before it is sent (at most once) and not yet confirmed; the tag is ' +
          'quoted in the mail subject, which names every stuck polecat of the rig due in the same town read.',
      )
      .optional(),
  })
  .describe('Escalation of a stuck polecat to its witness. Removed when the polecat recovers.');
export type EscalationStatus = z.infer<typeof escalationStatusSchema>;

export const sessionExecutionStatusSchema = z
  .object({
    mode: z.string().max(16).describe('Where the agent runs: Local (tmux on the town host) or Pod.'),
    podName: z.string().max(253).describe('The session pod (gt-<rig>-<name>-<hash8>).').optional(),
    namespace: z.string().max(63).describe("The session pod's namespace.").optional(),
    node: z.string().max(253).describe('The node the pod runs on.').optional(),
    podPhase: z.string().max(64).describe('The pod phase: Pending, Running, Succeeded, Failed, or Absent once it is gone.').optional(),
    restarts: countField('Restarts of the agent container.').optional(),
    lastTerminationReason: z.string().max(128).describe('Why the agent container last ended (Completed, Error, OOMKilled, ...).').optional(),
    lastExitCode: z.int().min(-2147483648).max(MAX_INT32).describe('Exit code of the agent container when it last ended.').optional(),
    startedAt: timestampField('When the agent container started.').optional(),
    finishedAt: timestampField('When the agent container last ended.').optional(),
  })
  .describe('Where the polecat\'s agent runs and how its session pod is doing (Pod execution, docs/pod-execution.md).');
export type SessionExecutionStatus = z.infer<typeof sessionExecutionStatusSchema>;

export const polecatStatusSchema = z
  .object({
    phase: z
      .string()
      .max(64)
      .describe('Pending (waiting for sling), Working, Idle, Terminated, or Failed (its session pod failed). An open set: treat other values as unknown.')
      .optional(),
    gtName: z.string().max(128).describe('The real gt polecat name (gt chooses it when it spawns the polecat).').optional(),
    rig: z.string().max(128).describe('The rig gt reports the polecat in.').optional(),
    beadID: z.string().max(128).describe('The bead on the polecat\'s hook, as gt reports it.').optional(),
    dispatchedBeadID: z
      .string()
      .max(128)
      .describe(
        'The bead this view dispatched (slung or adopted) to the polecat. Set only by sling and adoption, never by ' +
          'following: gt may later reuse the polecat for another bead, and the view then neither re-slings its own ' +
          'bead nor nukes the polecat.',
      )
      .optional(),
    beadStatus: z
      .string()
      .max(64)
      .describe(
        "The bead's status as bd reported it when the polecat finished it and gt retired the polecat (phase Idle, " +
          'Ready reason Completed), e.g. closed; kept verbatim.',
      )
      .optional(),
    branch: z.string().max(512).describe("The polecat's git branch.").optional(),
    session: z.string().max(256).describe("The polecat's session name.").optional(),
    sessionRunning: z.boolean().describe("Whether the polecat's session is running.").optional(),
    gtState: gtPolecatStateSchema.optional(),
    cleanupStatus: z
      .string()
      .max(64)
      .describe('gt cleanup status of the worktree, exactly as gt reports it: clean, has_uncommitted, has_stash, has_unpushed, unknown, or a newer value.')
      .optional(),
    cleanupStatusKnown: z
      .boolean()
      .describe('False when the operator does not recognise cleanupStatus (a newer gt value); the raw value is kept either way.')
      .optional(),
    lastActivity: timestampField('Last activity gt reports for the polecat.').optional(),
    stuckSince: timestampField('When the operator first saw the polecat stuck; removed when it recovers.').optional(),
    escalation: escalationStatusSchema.optional(),
    execution: sessionExecutionStatusSchema.optional(),
    ...viewStatusFields,
  })
  .describe('What gt reports for the polecat. Written by the operator.');
export type PolecatStatus = z.infer<typeof polecatStatusSchema>;

export const polecatSchema = z.object({
  apiVersion: z.literal(API_GROUP_VERSION).default(API_GROUP_VERSION),
  kind: z.literal(Kind.Polecat).default(Kind.Polecat),
  metadata: namespacedObjectMetaSchema,
  spec: polecatSpecSchema,
  status: polecatStatusSchema.optional(),
});
/** A Polecat as decoded from the API (defaults applied). */
export type Polecat = z.infer<typeof polecatSchema>;
/** A Polecat as it may be written (defaulted fields optional). */
export type PolecatInput = z.input<typeof polecatSchema>;

export const PolecatDefinition = {
  names: Resource.Polecat,
  description: 'Polecat is a view of one gt polecat (a worker agent of a rig) and the way to dispatch work to it.',
  specSchema: polecatSpecSchema,
  statusSchema: polecatStatusSchema,
  printerColumns: [
    { name: 'Rig', type: 'string', jsonPath: '.spec.rig' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Bead', type: 'string', jsonPath: '.spec.beadID' },
    { name: 'GT Name', type: 'string', jsonPath: '.status.gtName' },
    { name: 'Desired', type: 'string', jsonPath: '.spec.desiredState', priority: 1 },
    { name: 'GT State', type: 'string', jsonPath: '.status.gtState.raw', priority: 1 },
    { name: 'Branch', type: 'string', jsonPath: '.status.branch', priority: 1 },
    { name: 'Node', type: 'string', jsonPath: '.status.execution.node', priority: 1 },
    { name: 'Pod', type: 'string', jsonPath: '.status.execution.podName', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
} as const satisfies KindDefinition<typeof polecatSpecSchema, typeof polecatStatusSchema>;

const polecatDecoder = decoderFor(Kind.Polecat, polecatSchema);
/** Decodes a Polecat read from the API; errors are values. */
export const decodePolecat = polecatDecoder.decode;
/** Decodes a Polecat read from the API; throws InvalidResourceError. */
export const parsePolecat = polecatDecoder.parse;
