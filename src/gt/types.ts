// Domain types of everything the operator reads from gt/bd, in camelCase.
//
// Guarantees: these are the only shapes the rest of the operator sees; the snake_case wire
// formats live in src/gt/parse/ and never leak out. Every enum the CLI prints is *open*
// (newer gt versions add values: `review-needed`, `PENDING_MR`, `not_required`...), so it is
// modelled as `OpenEnum`: a known `kind` or `'unknown'`, always with the `raw` string, never
// a crash. Lists the CLI may print as `null` are always arrays here. Timestamps are ISO-8601
// strings with an offset (see parse/time.ts for how gt's zone-less times are read).

/** A value of an enum the CLI may extend: a known kind, or `unknown` with the raw text kept. */
export interface OpenEnum<K extends string> {
  readonly kind: K | 'unknown';
  readonly raw: string;
}

/**
 * Whether the operator recognises the raw value: it is one of the vocabulary's words. Not the
 * same as `kind !== 'unknown'`: some vocabularies have `unknown` as a word of their own (gt's
 * cleanup status `unknown` is a value gt prints on purpose, and the operator knows it).
 */
export function isRecognized<K extends string>(value: OpenEnum<K>, vocabulary: readonly K[]): boolean {
  return (vocabulary as readonly string[]).includes(value.raw);
}

// ---- Enum vocabularies (known values per docs/gt-contract.md) ----

export const RIG_STATES = ['operational', 'parked', 'docked', 'error'] as const;
export type RigStateKind = (typeof RIG_STATES)[number];

export const SERVICE_STATES = ['running', 'stopped'] as const;
export type ServiceStateKind = (typeof SERVICE_STATES)[number];

export const POLECAT_STATES = ['working', 'idle', 'done', 'stuck', 'stalled', 'zombie', 'active'] as const;
export type PolecatStateKind = (typeof POLECAT_STATES)[number];

export const CLEANUP_STATUSES = ['clean', 'has_uncommitted', 'has_stash', 'has_unpushed', 'unknown'] as const;
export type CleanupStatusKind = (typeof CLEANUP_STATUSES)[number];

export const RECOVERY_VERDICTS = ['SAFE_TO_NUKE', 'NEEDS_RECOVERY', 'NEEDS_MQ_SUBMIT', 'PENDING_MR'] as const;
export type RecoveryVerdictKind = (typeof RECOVERY_VERDICTS)[number];

export const MQ_STATES = ['idle', 'processing', 'blocked'] as const;
export type MqStateKind = (typeof MQ_STATES)[number];

export const MQ_HEALTHS = ['healthy', 'stale', 'empty'] as const;
export type MqHealthKind = (typeof MQ_HEALTHS)[number];

export const CONVOY_STATUSES = ['open', 'closed', 'staged_ready', 'staged_warnings'] as const;
export type ConvoyStatusKind = (typeof CONVOY_STATUSES)[number];

export const BEAD_STATUSES = [
  'open', 'in_progress', 'blocked', 'deferred', 'closed', 'pinned', 'hooked', 'tombstone',
] as const;
export type BeadStatusKind = (typeof BEAD_STATUSES)[number];

// ---- Rigs and the town ----

/** One entry of `gt rig list --json`. */
export interface Rig {
  readonly name: string;
  /** `beads_prefix` in the JSON: the rig's *session* prefix, not necessarily its beads prefix. */
  readonly sessionPrefix: string;
  readonly status: OpenEnum<RigStateKind>;
  /** `running` / `stopped`; the CLI prints `""` on `error` rigs (kept as unknown, raw ''). */
  readonly witness: OpenEnum<ServiceStateKind>;
  readonly refinery: OpenEnum<ServiceStateKind>;
  readonly polecatCount: number;
  readonly crewCount: number;
}

/** An agent as `gt status --json` reports it (town-level or per rig). */
export interface AgentRuntime {
  readonly name: string;
  readonly address: string;
  readonly session: string;
  readonly role: string;
  readonly running: boolean;
  readonly hasWork: boolean;
  readonly workTitle?: string;
  readonly hookBead?: string;
  /** Agent state from the agent bead (free text in gt: spawning, working, done, stuck...). */
  readonly state?: string;
  readonly unreadMail: number;
}

/** An agent's hook as listed under `rigs[].hooks` of `gt status --json`. */
export interface AgentHook {
  readonly agent: string;
  readonly role: string;
  readonly hasWork: boolean;
  readonly molecule?: string;
  readonly title?: string;
}

/** `rigs[].mq` of `gt status --json` (absent with `--fast`). */
export interface MergeQueueSummary {
  readonly pending: number;
  readonly inFlight: number;
  readonly blocked: number;
  readonly state: OpenEnum<MqStateKind>;
  readonly health: OpenEnum<MqHealthKind>;
}

/** One rig in `gt status --json`. */
export interface RigRuntime {
  readonly name: string;
  /** Polecat directories, idle ones too (`null` in the JSON reads as `[]`). */
  readonly polecats: readonly string[];
  readonly polecatCount: number;
  readonly crews: readonly string[];
  readonly crewCount: number;
  readonly hasWitness: boolean;
  readonly hasRefinery: boolean;
  readonly hooks: readonly AgentHook[];
  readonly agents: readonly AgentRuntime[];
  /** Absent with `--fast` (and when gt could not read the queue). */
  readonly mq?: MergeQueueSummary;
}

export interface TownSummary {
  readonly rigCount: number;
  readonly polecatCount: number;
  readonly crewCount: number;
  readonly witnessCount: number;
  readonly refineryCount: number;
  readonly activeHooks: number;
}

/** `gt status --json [--fast]`: the best single machine-readable read of a town. */
export interface TownStatus {
  readonly name: string;
  readonly location: string;
  readonly agents: readonly AgentRuntime[];
  readonly rigs: readonly RigRuntime[];
  readonly summary: TownSummary;
}

/** `gt witness status <rig> --json`. */
export interface WitnessStatus {
  readonly running: boolean;
  readonly rigName: string;
  readonly session?: string;
  readonly monitoredPolecats: readonly string[];
}

/** `gt refinery status <rig> --json`. */
export interface RefineryStatus {
  readonly running: boolean;
  readonly rigName: string;
  readonly session?: string;
  readonly queueLength: number;
}

// ---- Beads ----

export interface BeadDependency {
  readonly id: string;
  readonly type?: string;
  readonly dependencyType?: string;
  readonly status?: OpenEnum<BeadStatusKind>;
}

/** A bead (issue) as `bd show --json` prints it. */
export interface Bead {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly status: OpenEnum<BeadStatusKind>;
  /** 0 = P0 (highest). */
  readonly priority?: number;
  readonly issueType?: string;
  readonly assignee?: string;
  readonly owner?: string;
  readonly createdAt?: string;
  readonly updatedAt?: string;
  readonly closedAt?: string;
  readonly closeReason?: string;
  readonly labels: readonly string[];
  readonly dependencies: readonly BeadDependency[];
}

/** `bd show <ids...> --json`: missing ids are reported, never thrown. */
export interface BeadShowResult {
  readonly found: readonly Bead[];
  /** Requested ids that bd did not return (all of them on bd's "no issues found" reply). */
  readonly missing: readonly string[];
}

/** The `key: value` fields of a merge-request bead's description (the refinery queue). */
export interface MergeRequestFields {
  readonly branch?: string;
  readonly target?: string;
  readonly sourceIssue?: string;
  readonly worker?: string;
  readonly rig?: string;
  readonly commitSha?: string;
  readonly mergeCommit?: string;
  readonly closeReason?: string;
  readonly retryCount?: number;
  readonly convoyId?: string;
}

/** Values of `gt mq list --status` (gt matches the bead status exactly; `all` disables the filter). */
export const MQ_LIST_STATUSES = ['open', 'in_progress', 'closed', 'all'] as const;
export type MqListStatus = (typeof MQ_LIST_STATUSES)[number];

/** One entry of `gt mq list <rig> --json`: a merge-request bead plus its parsed fields. */
export interface MergeRequest extends Bead {
  readonly mergeRequest: MergeRequestFields;
}

// ---- Polecats ----

/** One entry of `gt polecat list <rig>|--all --json` (state rewritten by the list, see contract). */
export interface PolecatListItem {
  readonly rig: string;
  readonly name: string;
  readonly state: OpenEnum<PolecatStateKind>;
  readonly issue?: string;
  readonly sessionRunning: boolean;
  readonly zombie?: boolean;
  readonly sessionName?: string;
  /** gt v1.2 only (its workstate fields; absent from older gt). */
  readonly cleanupStatus?: OpenEnum<CleanupStatusKind>;
  readonly branch?: string;
  readonly verdict?: OpenEnum<RecoveryVerdictKind>;
  readonly safeToNuke?: boolean;
  readonly needsMqSubmit?: boolean;
  /** The open merge request the polecat waits on. */
  readonly activeMr?: string;
  readonly blockers?: readonly string[];
}

/** `gt polecat status <rig>/<name> --json` (raw state, no list-style rewrite). */
export interface PolecatStatus {
  readonly rig: string;
  readonly name: string;
  readonly state: OpenEnum<PolecatStateKind>;
  readonly issue?: string;
  readonly clonePath: string;
  readonly branch: string;
  readonly sessionRunning: boolean;
  readonly sessionId?: string;
  readonly attached?: boolean;
  readonly windows?: number;
  /** ISO-8601 with offset, converted from gt's zone-less local time. */
  readonly createdAt?: string;
  readonly lastActivity?: string;
}

/** `gt polecat git-state <rig>/<name> --json`. */
export interface GitState {
  readonly clean: boolean;
  readonly uncommittedFiles: readonly string[];
  readonly unpushedCommits: number;
  readonly stashCount: number;
}

/** `gt polecat check-recovery <rig>/<name> --json`: the Witness's own pre-nuke safety check. */
export interface RecoveryCheck {
  readonly rig: string;
  readonly polecat: string;
  /** May be `""` or a new value: kept as unknown with the raw text. */
  readonly cleanupStatus: OpenEnum<CleanupStatusKind>;
  readonly needsRecovery: boolean;
  readonly verdict: OpenEnum<RecoveryVerdictKind>;
  readonly branch?: string;
  readonly issue?: string;
  /**
   * The merge-queue step's answer, kept verbatim (an open string: gt adds values): v1.0.1
   * prints `submitted`, `not_submitted` or `unknown`; current gt also `not_required` (nothing
   * ahead of the integration branch, or a bead that bypasses the queue). Absent when gt did
   * not check the queue (no branch, or the verdict was already not SAFE_TO_NUKE).
   */
  readonly mqStatus?: string;
  /** The predicates that refused cleanup, as current gt prints them (`mq_status=unknown`, ...); v1.0.1 prints none. */
  readonly blockers: readonly string[];
  /**
   * gt v1.2's workstate flags (absent from older gt). They can only veto a SAFE_TO_NUKE
   * verdict, never stand in for it: see safeToNukeProven.
   */
  readonly safeToNuke?: boolean;
  readonly needsMqSubmit?: boolean;
  /** gt v1.2's name for why (e.g. `not-idle`); open text. */
  readonly reason?: string;
  /** The open merge request the polecat waits on (PENDING_MR). */
  readonly activeMr?: string;
}

/** One polecat `gt polecat nuke` refused to remove, with the reasons it printed. */
export interface NukeBlockedPolecat {
  /** `<rig>/<name>` as printed. */
  readonly target: string;
  /** e.g. `has unpushed commits`, `has work on hook (gt-abc12)`. */
  readonly reasons: readonly string[];
}

/** Result of `gt polecat nuke` (refusals are thrown as GtError CLIError with `blocked`). */
export interface NukeResult {
  readonly target: string;
  readonly nuked: true;
}

// ---- Sling and hooks ----

export interface SlingOptions {
  /** `--no-convoy`: do not auto-create a convoy for a bare bead. */
  readonly noConvoy?: boolean;
  /** `--force`: re-sling a bead hooked elsewhere. */
  readonly force?: boolean;
  /** `-m`: a message for the polecat. */
  readonly message?: string;
}

/**
 * What `gt sling <bead> <rig>` did. `polecatName` is the real gt name (the CR name is not it).
 * `scheduled` (scheduler mode) only queued the bead: the polecat appears later, so there is
 * no name yet.
 */
export type SlingResult =
  | {
      readonly outcome: 'spawned' | 'reused';
      readonly bead: string;
      readonly rig: string;
      readonly polecatName: string;
      /** Convoy created (`→ Created convoy`) or already tracking it (`○ Already tracked`). */
      readonly convoyId?: string;
      readonly convoyCreated: boolean;
    }
  | {
      /** Exit-0 no-op: the bead is already on a live polecat of this rig. */
      readonly outcome: 'already';
      readonly bead: string;
      readonly rig: string;
      readonly polecatName: string;
      /** The bead status gt printed (`hooked`, `in_progress`...). */
      readonly beadStatus: string;
    }
  | {
      readonly outcome: 'scheduled';
      readonly bead: string;
      readonly rig: string;
    };

export interface HookProgress {
  readonly rootId: string;
  readonly rootTitle: string;
  readonly totalSteps: number;
  readonly doneSteps: number;
  readonly inProgressSteps: number;
  readonly percentComplete: number;
  readonly complete: boolean;
}

/** The bead on an agent's hook, in the fields every hook output shape carries. */
export interface HookedBead {
  readonly id: string;
  readonly title: string;
  readonly status: OpenEnum<BeadStatusKind>;
}

/** `gt hook status <target> --json` (gt's MoleculeStatusInfo; see parse/hook.ts). */
export interface HookStatus {
  readonly target: string;
  /** Empty when the output shape does not carry it (the compact `hook show` shape). */
  readonly role: string;
  readonly agentBeadId?: string;
  readonly hasWork: boolean;
  /** The bead on the hook, whichever shape gt printed. */
  readonly hookedBead?: HookedBead;
  /** The full pinned bead, when gt printed it (MoleculeStatusInfo only). */
  readonly pinnedBead?: Bead;
  readonly attachedMolecule?: string;
  readonly attachedFormula?: string;
  readonly attachedAt?: string;
  readonly isWisp: boolean;
  readonly progress?: HookProgress;
  readonly nextAction?: string;
}

// ---- Convoys ----

/** A bead tracked by a convoy, as `gt convoy status|list --json` prints it. */
export interface TrackedBead {
  readonly id: string;
  readonly title: string;
  readonly status: OpenEnum<BeadStatusKind>;
  readonly dependencyType: string;
  readonly issueType: string;
  readonly blocked: boolean;
  readonly assignee?: string;
  readonly labels: readonly string[];
  readonly worker?: string;
  readonly workerAge?: string;
}

/** `gt convoy status <id> --json`. */
export interface Convoy {
  readonly id: string;
  readonly title: string;
  readonly status: OpenEnum<ConvoyStatusKind>;
  readonly owned: boolean;
  readonly lifecycle: string;
  readonly mergeStrategy?: string;
  /** `null` in the JSON reads as `[]`. */
  readonly tracked: readonly TrackedBead[];
  /** Tracked beads with status `closed`, as gt counts them. */
  readonly completed: number;
  readonly total: number;
}

/** One entry of `gt convoy list --json`. */
export interface ConvoyListItem {
  readonly id: string;
  readonly title: string;
  readonly status: OpenEnum<ConvoyStatusKind>;
  readonly createdAt?: string;
  readonly tracked: readonly TrackedBead[];
  readonly completed: number;
  readonly total: number;
}

export interface ConvoyCreateOptions {
  /** Notify this address on completion; `true` means gt's default (`mayor/`). */
  readonly notify?: string | true;
  readonly owner?: string;
}

/** `gt convoy create`: the new id. It may track fewer beads than asked (verify with status). */
export interface ConvoyCreateResult {
  readonly id: string;
}

/** `gt convoy add`: how many beads gt reported as added, and whether it reopened the convoy. */
export interface ConvoyAddResult {
  readonly id: string;
  readonly added: number;
  readonly reopened: boolean;
}

/** `gt convoy check [id]`: the convoys it auto-closed (possibly none). */
export interface ConvoyCheckResult {
  readonly closed: readonly string[];
}

/** `gt convoy close <id>`. */
export interface ConvoyCloseResult {
  readonly id: string;
  readonly outcome: 'closed' | 'already-closed';
}

// ---- Mail ----

export interface MailSendResult {
  readonly address: string;
}
