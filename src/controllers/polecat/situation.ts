// Where a Polecat view stands, named once. classifyPolecat reads the view, the town snapshot
// and this process's sling in flight, and returns one Situation; the targeted gt reads to
// gather (probesNeeded) and the decision (decide.ts, one handler per kind) both come from it,
// so the branching exists in one place. The first row that applies wins:
//
//   kind                 | when                                                     | decision
//   ---------------------+----------------------------------------------------------+-------------------------------
//   release-orphan       | deleting, on-delete "orphan" (no force)                  | release, no gt call
//   delete-conflict      | deleting, orphan AND force-terminate, a live polecat     | CleanupBlocked, finalizer kept
//   awaiting-town        | no snapshot yet                                          | wait
//   town-failed          | the last town read failed                                | Synced=False, retry
//   ended                | terminating (spec or deletion), already Terminated or    | release
//                        |   Completed (retired by gt done: nothing left to nuke)   |
//   terminating          | terminating, a polecat to act on                         | check-recovery -> nuke | blocked
//   nothing-to-nuke      | terminating, no polecat was ever slung                   | Terminated, release
//   sling-unseen         | our own sling is newer than the snapshot                 | wait for a fresher one
//   sling-scheduled      | dispatching, gt only queued our sling (scheduler mode)   | record it, wait
//   adopting             | a polecat of the rig holds the bead we want / dispatched | follow it (Adopted)
//   dispatching          | Working with a bead not dispatched yet                   | checks, then sling
//   retired              | the followed polecat is no longer listed and its bead is | Idle (Completed), Normal Event
//                        |   closed, or an MR of it (or of its branch) exists        |
//   gone                 | the followed polecat is no longer listed (otherwise)     | Terminated (outside Kubernetes)
//   reassigned           | gt reused the followed polecat for another bead          | Idle (PolecatReassigned)
//   session-failed       | listed, gt counts on it, and its session pod failed or   | Failed with the pod's reason,
//                        |   vanished after it was seen (Pod execution)             |   Stuck, escalation
//   following            | the followed polecat is listed                           | phase, Stuck, escalation
//   awaiting-scheduled   | dispatched, Pending, the scheduler has not placed it     | poll
//   finished             | Terminated or Completed, nothing wanted                  | nothing
//   pending              | otherwise                                                | Pending (WaitingForSling)
//
// Pure.
import { Annotation, DesiredState, ON_DELETE_ORPHAN, PolecatPhase, Reason, TRUE_VALUE, type Polecat } from '../../api/index.ts';
import type { GtError } from '../../gt/index.ts';
import type { MergeRequest, PolecatListItem } from '../../gt/index.ts';
import type { Probe } from '../shared/probe.ts';
import { polecatKey, type TownData, type TownSnapshot } from '../town-sync/snapshot.ts';
import { podFailure, type PodFailure, type SessionPod } from '../session/pod-state.ts';
import { dispatchedBead, followedName, isDiscovered, isRetired } from './identity.ts';

/** A sling this process ran whose effect a snapshot older than `at` cannot show yet. */
export interface SlingInFlight {
  readonly beadID: string;
  /** When the sling returned (ms). */
  readonly at: number;
  /**
   * gt only queued the bead (scheduler mode): no snapshot can show this sling, so only the
   * view's own status (dispatchedBeadID) proves it; until then the bead is not slung again.
   */
  readonly scheduled?: boolean;
}

/** The followed polecat's session pod, for a rig in Pod execution (docs/pod-execution.md). */
export interface SessionView {
  readonly namespace: string;
  readonly podName: string;
  /** The pod as cached; undefined when there is none. */
  readonly pod: SessionPod | undefined;
  /** Whether the pod's certificate Secret exists. */
  readonly certificate: boolean;
  /** The rig's capacity when it has maxPods (from the Rig's status.execution). */
  readonly capacity?: { readonly running: number; readonly maxPods: number };
}

/** What classification reads: the view as cached, the town, and our own sling in flight. */
export interface PolecatView {
  readonly polecat: Polecat;
  readonly deleting: boolean;
  readonly snapshot: TownSnapshot | undefined;
  readonly slingInFlight?: SlingInFlight;
  /**
   * `gt mq list <rig> --status all`, read only when the followed polecat vanished with its bead
   * not closed (probesNeeded): a merge request of its bead or branch says it finished.
   */
  readonly mergeRequests?: Probe<readonly MergeRequest[]>;
  /** Pod execution only: the followed polecat's session. */
  readonly session?: SessionView;
}

/** A gt polecat by rig and name. */
export interface PolecatRef {
  readonly rig: string;
  readonly name: string;
}

export type Situation =
  | { readonly kind: 'release-orphan'; readonly target: PolecatRef | undefined }
  | { readonly kind: 'delete-conflict'; readonly target: PolecatRef }
  | { readonly kind: 'awaiting-town' }
  | { readonly kind: 'town-failed'; readonly error: GtError }
  | { readonly kind: 'ended'; readonly town: TownData }
  /** `adopted`: no name was recorded, the polecat holding the view's bead (`bead`) was found. */
  | { readonly kind: 'terminating'; readonly town: TownData; readonly target: PolecatRef; readonly adopted?: { readonly item: PolecatListItem; readonly bead: string } }
  | { readonly kind: 'nothing-to-nuke'; readonly town: TownData }
  | { readonly kind: 'sling-unseen'; readonly town: TownData }
  | { readonly kind: 'sling-scheduled'; readonly town: TownData; readonly bead: string }
  | { readonly kind: 'adopting'; readonly town: TownData; readonly holder: PolecatListItem; readonly bead: string }
  | { readonly kind: 'dispatching'; readonly town: TownData; readonly bead: string }
  /** `bead`: the bead it finished, `beadStatus` bd's status of it, `mergeRequest` the MR that carries it (if that was the proof). */
  | { readonly kind: 'retired'; readonly town: TownData; readonly target: PolecatRef; readonly bead: string; readonly beadStatus: string; readonly mergeRequest?: string }
  /**
   * `openBead`: the bead it held, not closed (a merge request of it would show it finished),
   * `mergeRequests`: the failed read that could have shown that (look again).
   */
  | { readonly kind: 'gone'; readonly town: TownData; readonly target: PolecatRef; readonly openBead?: string; readonly mergeRequests?: GtError }
  | { readonly kind: 'reassigned'; readonly town: TownData; readonly item: PolecatListItem; readonly other: string }
  | { readonly kind: 'session-failed'; readonly town: TownData; readonly item: PolecatListItem; readonly failure: PodFailure }
  | { readonly kind: 'following'; readonly town: TownData; readonly item: PolecatListItem }
  | { readonly kind: 'awaiting-scheduled'; readonly town: TownData }
  | { readonly kind: 'finished'; readonly town: TownData }
  | { readonly kind: 'pending'; readonly town: TownData };

export type SituationKind = Situation['kind'];

// ---- Delete policy ----

export function forceAllowed(polecat: Polecat): boolean {
  return polecat.metadata.annotations?.[Annotation.ForceTerminate] === TRUE_VALUE;
}

function orphanOnDelete(polecat: Polecat): boolean {
  return polecat.metadata.annotations?.[Annotation.OnDelete] === ON_DELETE_ORPHAN;
}

/**
 * What deleting the view does to its gt polecat, from its two annotations (README "Deleting a
 * Polecat view"). Only deletion reads on-delete: `desiredState: Terminated` nukes as always.
 *
 *   on-delete "orphan" | force-terminate "true" | deleting the view
 *   -------------------+------------------------+---------------------------------------------------
 *   no                 | no                     | nuke-if-safe: check-recovery; nuke only when proven
 *                      |                        |   safe, else CleanupBlocked and the finalizer stays
 *   no                 | yes                    | force-nuke: check-recovery, then nuke --force
 *   yes                | no                     | orphan: finalizer removed, no gt call, Normal Event
 *   yes                | yes                    | conflict: no gt call, finalizer kept, CleanupBlocked=
 *                      |                        |   ConflictingDeleteAnnotations, Warning Event
 *
 * Neither annotation wins the conflict: "leave it running" and "nuke it even with unsaved work"
 * are opposite wishes, and guessing wrong either loses work or leaks a polecat. Removing either
 * annotation is a watch event, so the deletion proceeds at once. Values other than "orphan" and
 * "true" count as absent.
 */
export type DeletePolicy = 'nuke-if-safe' | 'force-nuke' | 'orphan' | 'conflict';

export function deletePolicy(polecat: Polecat): DeletePolicy {
  const orphan = orphanOnDelete(polecat);
  const force = forceAllowed(polecat);
  if (orphan) return force ? 'conflict' : 'orphan';
  return force ? 'force-nuke' : 'nuke-if-safe';
}

// ---- Reading the town ----

/** The polecat of `rig` that holds `bead` on its hook (a live session preferred), if any. */
export function hookHolder(town: TownData, rig: string, bead: string): PolecatListItem | undefined {
  const holders = [...town.polecats.values()].filter((p) => p.rig === rig && p.issue === bead);
  const fromAgents = town.rigRuntime.get(rig)?.agents.find((a) => a.hookBead === bead && a.role === 'polecat');
  const byAgent = fromAgents === undefined ? undefined : town.polecats.get(polecatKey(rig, fromAgents.name));
  return holders.find((p) => p.sessionRunning) ?? holders[0] ?? byAgent;
}

/**
 * A polecat of the rig holding a bead this view dispatched or wants, when no gt name was
 * recorded (a crash between the sling and the status write). Discovered views have a name.
 */
function unrecordedHolder(polecat: Polecat, town: TownData): { item: PolecatListItem; bead: string } | undefined {
  if (followedName(polecat) !== undefined || isDiscovered(polecat)) return undefined;
  const beads = [dispatchedBead(polecat.status, false), polecat.spec.beadID].filter((b): b is string => b !== undefined);
  for (const bead of new Set(beads)) {
    const item = hookHolder(town, polecat.spec.rig, bead);
    if (item !== undefined) return { item, bead };
  }
  return undefined;
}

/** Whether gt now lists the followed polecat with another bead than the one this view dispatched. */
export function reassignedTo(dispatched: string | undefined, item: PolecatListItem | undefined): string | undefined {
  const issue = item?.issue;
  return dispatched !== undefined && issue !== undefined && issue !== dispatched ? issue : undefined;
}

/** True when the user (spec) or Kubernetes (deletion) wants the gt polecat gone. */
function isTerminating(polecat: Polecat, deleting: boolean): boolean {
  return deleting || polecat.spec.desiredState === DesiredState.Terminated;
}

/**
 * Working with a bead this view has not dispatched or adopted yet (discovered views never
 * sling). Compared with the dispatched bead, never with the bead the polecat holds now: gt may
 * reuse the polecat for another bead while ours is still open, and that is no reason to sling.
 */
function wantsDispatch(polecat: Polecat): string | undefined {
  const bead = polecat.spec.beadID;
  if (polecat.spec.desiredState !== DesiredState.Working || bead === undefined || isDiscovered(polecat)) return undefined;
  return dispatchedBead(polecat.status, false) !== bead ? bead : undefined;
}

/** Our own sling returned after this snapshot was read: it cannot show the polecat yet. */
function slingUnseen(view: PolecatView, town: TownData, bead?: string): boolean {
  const fence = view.slingInFlight;
  return fence !== undefined && (bead === undefined || fence.beadID === bead) && town.observedAt <= fence.at;
}

// ---- Classification ----

export function classifyPolecat(view: PolecatView): Situation {
  const { polecat, deleting, snapshot } = view;
  const town = snapshot?.ok === true ? snapshot : undefined;
  // Terminated, or Completed (its polecat retired by gt done): the view follows nothing any more.
  const terminatedPhase = polecat.status?.phase === PolecatPhase.Terminated || isRetired(polecat.status);
  const settled = deleting ? classifyDeletion(polecat, town) : undefined;
  if (settled !== undefined) return settled;
  if (snapshot === undefined) return { kind: 'awaiting-town' };
  if (!snapshot.ok) return { kind: 'town-failed', error: snapshot.error };
  if (isTerminating(polecat, deleting)) return classifyTermination(view, snapshot);
  const wanted = wantsDispatch(polecat);
  if (wanted !== undefined) return classifyDispatch(view, snapshot, wanted);
  const name = followedName(polecat);
  if (name !== undefined && !terminatedPhase) return classifyFollowed(view, snapshot, name);
  const dispatched = dispatchedBead(polecat.status, isDiscovered(polecat));
  if (dispatched !== undefined && polecat.status?.phase === PolecatPhase.Pending) {
    const holder = hookHolder(snapshot, polecat.spec.rig, dispatched);
    return holder === undefined ? { kind: 'awaiting-scheduled', town: snapshot } : { kind: 'adopting', town: snapshot, holder, bead: dispatched };
  }
  return { kind: terminatedPhase ? 'finished' : 'pending', town: snapshot };
}

/**
 * A deletion the annotations settle before the town read (leaving the gt polecat alone needs
 * no gt at all): orphan releases; a conflict holds while a live polecat is followed (with none,
 * there is nothing to guess about and the usual path releases).
 */
function classifyDeletion(polecat: Polecat, town: TownData | undefined): Situation | undefined {
  const policy = deletePolicy(polecat);
  if (policy !== 'orphan' && policy !== 'conflict') return undefined;
  // A polecat holding our bead without a recorded name (crash after sling) counts as followed.
  const name = followedName(polecat) ?? (town === undefined ? undefined : unrecordedHolder(polecat, town)?.item.name);
  const settled = polecat.status?.phase === PolecatPhase.Terminated || isRetired(polecat.status);
  const target = name !== undefined && !settled ? { rig: polecat.spec.rig, name } : undefined;
  if (policy === 'orphan') return { kind: 'release-orphan', target };
  return target === undefined ? undefined : { kind: 'delete-conflict', target };
}

/**
 * The polecat a termination acts on: the followed one, else (no name recorded: a crash between
 * sling and status write may have slung it) one of the rig holding the view's bead. With none,
 * the view is released, unless our own sling is newer than the town read.
 */
function classifyTermination(view: PolecatView, town: TownData): Situation {
  const { polecat } = view;
  if (polecat.status?.phase === PolecatPhase.Terminated || isRetired(polecat.status)) return { kind: 'ended', town };
  const name = followedName(polecat);
  if (name !== undefined) return { kind: 'terminating', town, target: { rig: polecat.spec.rig, name } };
  const adopted = unrecordedHolder(polecat, town);
  if (adopted !== undefined) return { kind: 'terminating', town, target: { rig: polecat.spec.rig, name: adopted.item.name }, adopted };
  return slingUnseen(view, town) ? { kind: 'sling-unseen', town } : { kind: 'nothing-to-nuke', town };
}

function classifyDispatch(view: PolecatView, town: TownData, bead: string): Situation {
  const holder = hookHolder(town, view.polecat.spec.rig, bead);
  if (holder !== undefined) return { kind: 'adopting', town, holder, bead };
  const fence = view.slingInFlight;
  // gt queued our sling and no snapshot can show that; the status write recording it was lost
  // or is not in the cache yet. Record it (again) rather than slinging twice.
  if (fence !== undefined && fence.beadID === bead && fence.scheduled === true) return { kind: 'sling-scheduled', town, bead };
  if (slingUnseen(view, town, bead)) return { kind: 'sling-unseen', town };
  return { kind: 'dispatching', town, bead };
}

function classifyFollowed(view: PolecatView, town: TownData, name: string): Situation {
  const { polecat } = view;
  const rig = polecat.spec.rig;
  const item = town.polecats.get(polecatKey(rig, name));
  if (item === undefined) return slingUnseen(view, town) ? { kind: 'sling-unseen', town } : classifyVanished(view, town, { rig, name });
  const followed = followedItem(town, item, dispatchedBead(polecat.status, isDiscovered(polecat)));
  const failure = followed.kind === 'following' ? sessionFailure(view, item) : undefined;
  return failure === undefined ? followed : { kind: 'session-failed', town, item, failure };
}

/**
 * Why the followed polecat's session pod failed while gt still counts on the polecat (it holds
 * work or its session runs): the pod's own failure, or its absence once this view has recorded
 * it (a pod never seen yet is one the session wrapper has not made yet, not a failure).
 */
export function sessionFailure(view: PolecatView, item: PolecatListItem): PodFailure | undefined {
  const session = view.session;
  if (session === undefined) return undefined;
  const kind = item.state.kind;
  if (kind === 'idle' || kind === 'done') return undefined;
  if (session.pod !== undefined) return podFailure(session.pod);
  const seen = view.polecat.status?.execution?.podName === session.podName;
  return seen ? { reason: Reason.PodDeleted, message: `session pod ${session.namespace}/${session.podName} is gone while gt still reports ${item.rig}/${item.name} ${item.state.raw}` } : undefined;
}

/** The bead a vanished polecat was working on for this view: the dispatched one, else the one it held. */
function finishedBead(polecat: Polecat): string | undefined {
  return dispatchedBead(polecat.status, isDiscovered(polecat)) ?? polecat.status?.beadID;
}

/**
 * The followed polecat is gone. gt v1.2 removes a polecat on a clean `gt done`, so that is the
 * normal end of work when its bead is closed, or submitted (a merge request names the bead as
 * its source, or carries the branch the view recorded); only otherwise was it lost.
 */
function classifyVanished(view: PolecatView, town: TownData, target: PolecatRef): Situation {
  const bead = finishedBead(view.polecat);
  if (bead === undefined) return { kind: 'gone', town, target };
  const read = town.beads.get(bead);
  const beadStatus = read?.status.raw ?? 'unknown';
  if (read?.status.kind === 'closed' || read?.status.kind === 'tombstone') return { kind: 'retired', town, target, bead, beadStatus };
  const mrs = view.mergeRequests;
  if (mrs === undefined) return { kind: 'gone', town, target, openBead: bead };
  if (!mrs.ok) return { kind: 'gone', town, target, openBead: bead, mergeRequests: mrs.error };
  const branch = view.polecat.status?.branch;
  const mr = mrs.value.find((m) => m.mergeRequest.sourceIssue === bead || (branch !== undefined && m.mergeRequest.branch === branch));
  return mr === undefined ? { kind: 'gone', town, target, openBead: bead } : { kind: 'retired', town, target, bead, beadStatus, mergeRequest: mr.id };
}

/** A listed polecat the view follows (or adopts): reassigned when it holds another bead than ours. */
export function followedItem(town: TownData, item: PolecatListItem, dispatched: string | undefined): Situation {
  const other = reassignedTo(dispatched, item);
  return other === undefined ? { kind: 'following', town, item } : { kind: 'reassigned', town, item, other };
}

// ---- What to gather ----

/** The targeted gt reads a situation needs; each costs a process, so only when it can matter. */
export interface ProbesNeeded {
  /** `gt polecat check-recovery` (then git-state when it says "not safe" without a reason). */
  readonly recovery?: PolecatRef;
  /** `gt polecat status`, when a working polecat may have been silent too long. */
  readonly activity?: PolecatRef;
  /** `gt mq list <rig> --status all`, when a followed polecat vanished with its bead open. */
  readonly mergeRequests?: string;
  /** Pod execution: the polecat's pushed branches in the rig's bare repository, before a nuke. */
  readonly pushed?: PolecatRef;
}

export function probesNeeded(situation: Situation, lastActivity: string | undefined, now: number, stuckAfterMs: number, podMode = false): ProbesNeeded {
  if (situation.kind === 'terminating') return { recovery: situation.target, ...(podMode ? { pushed: situation.target } : {}) };
  if (situation.kind === 'gone') return situation.openBead === undefined ? {} : { mergeRequests: situation.target.rig };
  if (situation.kind !== 'following') return {};
  const { item } = situation;
  const working = item.state.kind === 'working' || item.state.kind === 'active';
  const maybeSilent = lastActivity === undefined || now - Date.parse(lastActivity) > stuckAfterMs;
  return working && maybeSilent ? { activity: { rig: item.rig, name: item.name } } : {};
}
