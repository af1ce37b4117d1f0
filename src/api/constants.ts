// Names of the gastown.gastown.io API: group, version, kinds, resource names, label and
// annotation keys, the finalizer, phases, condition types and reasons.
//
// Everything the operator writes into the API or matches on is spelled once here, as `as const`
// objects (erasable syntax: no enums). The CRD generator, the controllers and the embedded API
// server all read these, so a rename is one edit.

import type { ConditionStatus } from '../runtime/conditions.ts';

export const API_GROUP = 'gastown.gastown.io';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}` as const;

/** `kubectl get gastown` lists every kind of this API. */
export const CATEGORY = 'gastown';

export const Kind = { Rig: 'Rig', Polecat: 'Polecat', Convoy: 'Convoy' } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface ResourceNames {
  readonly kind: Kind;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
}

/** Resource names per kind, as served under `/apis/gastown.gastown.io/v1alpha1/`. */
export const Resource = {
  Rig: { kind: Kind.Rig, listKind: 'RigList', plural: 'rigs', singular: 'rig', shortNames: ['rig'], namespaced: false },
  Polecat: { kind: Kind.Polecat, listKind: 'PolecatList', plural: 'polecats', singular: 'polecat', shortNames: ['pc'], namespaced: true },
  Convoy: { kind: Kind.Convoy, listKind: 'ConvoyList', plural: 'convoys', singular: 'convoy', shortNames: ['cv'], namespaced: true },
} as const satisfies Record<Kind, ResourceNames>;

/** Label keys. Label values are strings; boolean labels use `"true"`. */
export const Label = {
  /** `"true"` on Polecat views that town sync created for polecats gt started on its own. */
  Discovered: `${API_GROUP}/discovered`,
  /** The gt rig name of a Polecat, for `kubectl get pc -l gastown.gastown.io/rig=<rig>`. */
  Rig: `${API_GROUP}/rig`,
  /** The real gt polecat name of a Polecat (also in `status.gtName`). */
  Polecat: `${API_GROUP}/polecat`,
} as const;
export type Label = (typeof Label)[keyof typeof Label];

/** Annotation keys. */
export const Annotation = {
  /**
   * `"true"` lets the operator run `gt polecat nuke --force` for a Polecat that is being
   * terminated or deleted although gt reports unsaved work. Any other value is ignored.
   */
  ForceTerminate: `${API_GROUP}/force-terminate`,
  /**
   * `"orphan"` on a Polecat: deleting the view leaves its gt polecat alone, like kubectl's
   * `--cascade=orphan`. The finalizer is removed without `gt polecat check-recovery` or
   * `gt polecat nuke`, and the gt polecat keeps running (town sync gives it a discovered view
   * again if no other Polecat follows it). It changes nothing else: `desiredState: Terminated`
   * still nukes. Together with force-terminate `"true"` the deletion is refused as ambiguous
   * (CleanupBlocked/ConflictingDeleteAnnotations) until one of the two is removed. Any other
   * value is ignored. Town sync sets it on a discovered view before deleting it because a
   * user's Polecat follows the same gt polecat.
   */
  OnDelete: `${API_GROUP}/on-delete`,
} as const;
export type Annotation = (typeof Annotation)[keyof typeof Annotation];

/** The value of the on-delete annotation that leaves the gt polecat alone. */
export const ON_DELETE_ORPHAN = 'orphan';

/** The value of a boolean label or annotation that is set. */
export const TRUE_VALUE = 'true';

/** Guards deletion of a Polecat until its gt polecat is safely nuked. */
export const FINALIZER = `${API_GROUP}/cleanup`;

/** The gt mail address a convoy notification goes to when the spec names none. */
export const DEFAULT_NOTIFY_ADDRESS = 'mayor/';

/** At most this many bead IDs are listed in each of a Convoy's completed and pending lists. */
export const CONVOY_STATUS_BEAD_LIST_LIMIT = 100;

/** `Polecat.spec.desiredState` values (a closed enum: the user writes it). */
export const DesiredState = { Idle: 'Idle', Working: 'Working', Terminated: 'Terminated' } as const;
export type DesiredState = (typeof DesiredState)[keyof typeof DesiredState];
export const DESIRED_STATES = [DesiredState.Idle, DesiredState.Working, DesiredState.Terminated] as const;

// Phases are written by the operator. The CRD leaves `status.phase` an open string (documented
// values, no enum) so that a status written by a newer operator never fails validation after a
// rollback, and readers must treat an unknown value as unknown rather than crash.

/** `Rig.status.phase` values. */
export const RigPhase = {
  /** Not reconciled yet. */
  Pending: 'Pending',
  /** gt reports the rig `operational`. */
  Operational: 'Operational',
  /** gt reports the rig `parked` (`gt rig park`). */
  Parked: 'Parked',
  /** gt reports the rig `docked`. */
  Docked: 'Docked',
  /** The view cannot be kept: path missing, rig not in the town, gt failing. See conditions. */
  Degraded: 'Degraded',
  /** gt reports a rig state this operator does not know (`status.operationalState` has it). */
  Unknown: 'Unknown',
} as const;
export type RigPhase = (typeof RigPhase)[keyof typeof RigPhase];

/** `Polecat.status.phase` values. gt's other states show as conditions (`Stuck`) and `status.gtState`. */
export const PolecatPhase = {
  /** Waiting for sling: no gt polecat yet. */
  Pending: 'Pending',
  Working: 'Working',
  Idle: 'Idle',
  /** The gt polecat was nuked (by the operator or outside Kubernetes). */
  Terminated: 'Terminated',
  /**
   * Pod execution: the polecat's session pod failed or vanished while gt still counts on it
   * (the Ready reason says how: OOMKilled, DeadlineExceeded, Evicted, ...).
   */
  Failed: 'Failed',
} as const;
export type PolecatPhase = (typeof PolecatPhase)[keyof typeof PolecatPhase];

/** `Convoy.status.phase` values. */
export const ConvoyPhase = {
  /** The convoy does not exist in gt yet. */
  Pending: 'Pending',
  InProgress: 'InProgress',
  /** Every tracked bead is closed. */
  Completed: 'Completed',
  /** The convoy disappeared from gt or cannot be created. See conditions. */
  Failed: 'Failed',
} as const;
export type ConvoyPhase = (typeof ConvoyPhase)[keyof typeof ConvoyPhase];

/** The schema's enum of condition statuses; the type is the runtime's (runtime/conditions.ts). */
export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const satisfies readonly ConditionStatus[];

/** Condition types, with the kinds that carry each. */
export const ConditionType = {
  /** All kinds: the view reflects a healthy, reachable object in gt. */
  Ready: 'Ready',
  /** All kinds: the last read of gt succeeded and the status reflects it. */
  Synced: 'Synced',
  /** Rig: the rig or gt is in trouble (path missing, rig unknown to gt, gt failing). */
  Degraded: 'Degraded',
  /** Polecat: gt reports it stuck, stalled or zombie, or it has been silent too long. */
  Stuck: 'Stuck',
  /** Polecat: termination is held back because gt reports unsaved work. */
  CleanupBlocked: 'CleanupBlocked',
  /** Convoy: the gt convoy exists and tracks every bead in the spec. */
  Tracking: 'Tracking',
  /** Convoy: the completion notification was sent (`True`) or is not requested / pending. */
  Notified: 'Notified',
  /**
   * Rig: `spec.execution.mode` and the rig's gt `runtime.exec_wrapper` agree (Pod mode with the
   * session wrapper, or neither). Absent on a rig that uses neither.
   */
  ExecutionWired: 'ExecutionWired',
  /** Polecat (Pod execution): its session pod is bound to a node. */
  PodScheduled: 'PodScheduled',
  /** Polecat (Pod execution): the agent runs in its pod with its certificate and gt's session is live. */
  SessionAttached: 'SessionAttached',
  /**
   * Rig (Pod execution): every session pod of the rig has its certificate Secret (the gt
   * proxy's admin API answers and issues them).
   */
  SessionCredentials: 'SessionCredentials',
  /**
   * Rig (Pod execution, with `spec.execution.maxPods`): whether the rig has room for another
   * session pod; False while pods wait at the capacity gate for one of the rig's sessions to end.
   */
  SessionCapacity: 'SessionCapacity',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** Condition (and Event) reasons: CamelCase, stable, matching the API's reason pattern. */
export const Reason = {
  // Shared by all kinds.
  Synced: 'Synced',
  /** gt could not be run or answered nothing in time (missing binary, timeout, circuit open). */
  GTUnavailable: 'GTUnavailable',
  /** gt ran and failed (`Error: ...`, exit 1). */
  GTError: 'GTError',
  /** gt answered with output the operator cannot parse. */
  GTOutputInvalid: 'GTOutputInvalid',
  /** A reconcile failed for a reason outside gt (API conflict exhausted, bug). */
  ReconcileError: 'ReconcileError',

  // Rig.
  PathNotFound: 'PathNotFound',
  PathNotDirectory: 'PathNotDirectory',
  RigNotInTown: 'RigNotInTown',
  /** `spec.beadsPrefix` or `spec.gitURL` disagree with the town. */
  SpecMismatch: 'SpecMismatch',
  RigOperational: 'RigOperational',
  RigParked: 'RigParked',
  RigDocked: 'RigDocked',
  RigStateUnknown: 'RigStateUnknown',

  // Polecat lifecycle.
  WaitingForSling: 'WaitingForSling',
  Slung: 'Slung',
  /** The bead was already hooked to a polecat of the rig; the operator followed it. */
  Adopted: 'Adopted',
  /** Sling only queued the bead (gt scheduler mode); the polecat appears later. */
  SlingScheduled: 'SlingScheduled',
  SlingRefused: 'SlingRefused',
  BeadNotFound: 'BeadNotFound',
  BeadClosed: 'BeadClosed',
  RigNotOperational: 'RigNotOperational',
  PolecatNotFound: 'PolecatNotFound',
  /** The gt polecat vanished without the operator nuking it. */
  NukedOutsideKubernetes: 'NukedOutsideKubernetes',
  Nuked: 'Nuked',
  ForceNuked: 'ForceNuked',
  Working: 'Working',
  Idle: 'Idle',

  // Polecat health (Stuck).
  GTStateStuck: 'GTStateStuck',
  GTStateStalled: 'GTStateStalled',
  GTStateZombie: 'GTStateZombie',
  GTStateUnknown: 'GTStateUnknown',
  NoRecentActivity: 'NoRecentActivity',
  /** gt reports the polecat `review-needed`: the witness's recovery has it; no mail. */
  HandledByWitness: 'HandledByWitness',
  Healthy: 'Healthy',
  Escalated: 'Escalated',
  /** A restart found an escalation mail recorded as pending and could not tell whether it went out. */
  EscalationUnconfirmed: 'EscalationUnconfirmed',

  // Polecat cleanup (CleanupBlocked), from `gt polecat check-recovery` / `nuke`.
  SafeToNuke: 'SafeToNuke',
  UncommittedChanges: 'UncommittedChanges',
  UnpushedCommits: 'UnpushedCommits',
  StashedChanges: 'StashedChanges',
  NeedsMergeRequestSubmit: 'NeedsMergeRequestSubmit',
  PendingMergeRequest: 'PendingMergeRequest',
  WorkOnHook: 'WorkOnHook',
  CleanupStatusUnknown: 'CleanupStatusUnknown',

  // Convoy.
  ConvoyCreated: 'ConvoyCreated',
  ConvoyNotFound: 'ConvoyNotFound',
  TrackingIncomplete: 'TrackingIncomplete',
  BeadsPending: 'BeadsPending',
  AllBeadsClosed: 'AllBeadsClosed',
  NotificationSent: 'NotificationSent',
  NotificationPending: 'NotificationPending',
  NotificationNotRequested: 'NotificationNotRequested',
  NotificationFailed: 'NotificationFailed',

  // Polecat cleanup, appended: gt could not check the merge queue (`mq_status: unknown`, e.g.
  // the beads database is down): gt v1.0.1 still says SAFE_TO_NUKE (not trusted), current gt
  // says NEEDS_RECOVERY. Either way the polecat is kept.
  MergeQueueUnknown: 'MergeQueueUnknown',

  // Polecat deletion, appended (annotation gastown.gastown.io/on-delete).
  /** The view was deleted with on-delete "orphan": its gt polecat was left running. */
  Orphaned: 'Orphaned',
  /** on-delete "orphan" and force-terminate "true" together: deletion held until one goes. */
  ConflictingDeleteAnnotations: 'ConflictingDeleteAnnotations',

  // Polecat reuse, appended.
  /**
   * gt reused the followed polecat for another bead than the one this view dispatched: the view
   * goes Idle (never re-slings its bead) and never nukes the polecat.
   */
  PolecatReassigned: 'PolecatReassigned',

  // Polecat completion, appended (gt v1.2 retires a polecat on a clean `gt done`).
  /**
   * The followed polecat finished its bead (closed, or submitted to the merge queue) and gt
   * removed it: the view goes Idle for good, never re-slings, never reports it lost.
   */
  Completed: 'Completed',

  // Rig execution (ExecutionWired), appended.
  /** Pod mode and the session wrapper in the rig's gt settings: sessions run in pods. */
  PodExecutionWired: 'PodExecutionWired',
  /** Pod mode is set but gt's `runtime.exec_wrapper` does not start `gastown-operator session`. */
  ExecWrapperMissing: 'ExecWrapperMissing',
  /** gt starts sessions through `gastown-operator session` but the Rig is not in Pod mode. */
  PodModeNotSet: 'PodModeNotSet',
  /** The rig's `settings/config.json` cannot be read or parsed. */
  RigSettingsUnreadable: 'RigSettingsUnreadable',

  // Pod execution, appended: why a session pod failed (Polecat phase Failed, Stuck).
  OOMKilled: 'OOMKilled',
  DeadlineExceeded: 'DeadlineExceeded',
  Evicted: 'Evicted',
  ImagePullBackOff: 'ImagePullBackOff',
  Unschedulable: 'Unschedulable',
  /** The agent container ended with a nonzero exit code (the message has it). */
  Error: 'Error',
  /** The session pod was deleted while gt still counted on the polecat. */
  PodDeleted: 'PodDeleted',
  // Pod execution: the session (PodScheduled, SessionAttached).
  Scheduled: 'Scheduled',
  WaitingForPod: 'WaitingForPod',
  /** The session pod is held at the capacity gate: the rig runs maxPods session pods. */
  WaitingForCapacity: 'WaitingForCapacity',
  CertificatePending: 'CertificatePending',
  ContainerWaiting: 'ContainerWaiting',
  Attached: 'Attached',
  SessionEnded: 'SessionEnded',
  // Pod execution: certificates and sweeping (Rig SessionCredentials, Events).
  CertificatesIssued: 'CertificatesIssued',
  CertificateIssued: 'CertificateIssued',
  ProxyUnavailable: 'ProxyUnavailable',
  CertificateRefused: 'CertificateRefused',
  InvalidIdentity: 'InvalidIdentity',
  SessionRetired: 'SessionRetired',
  OrphanSecretDeleted: 'OrphanSecretDeleted',
  SerialDenied: 'SerialDenied',
  /** The gt proxy presents a new server certificate: a new process, whose deny list is empty. */
  ProxyRestarted: 'ProxyRestarted',
  /** The gt proxy's server certificate is not from the CA that issued a session's certificate. */
  ProxyCAChanged: 'ProxyCAChanged',
  /** spec.execution.networkPolicy cannot be turned into a NetworkPolicy (a CIDR that is not allowed). */
  InvalidNetworkPolicy: 'InvalidNetworkPolicy',
  // Pod execution: capacity (Rig SessionCapacity, pod Events).
  BelowMaxPods: 'BelowMaxPods',
  AtMaxPods: 'AtMaxPods',
  CapacityAdmitted: 'CapacityAdmitted',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
