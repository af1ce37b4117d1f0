// The control API: what tests (in-process) and `gt-sim` (CLI) call to make the town move the
// way agents, humans and the gt daemon move a real one. Each change takes the town lock like
// a gt process would and writes the same events gt would write for it (none where gt writes
// none: bead close, nuke, park/dock, convoy changes).
import { readCalls as readCallLog, clearCalls as clearCallLog } from './calllog.ts';
import type { CallRecord } from './calllog.ts';
import * as domain from './domain.ts';
import { appendEvents, pruneEvents } from './events.ts';
import type { EventInput } from './events.ts';
import { addFaults, setFaults } from './faults.ts';
import type { FaultRule } from './faults.ts';
import { defaultRng, pick } from './ids.ts';
import type { Rng } from './ids.ts';
import type { RigStatus, SimBead, SimPolecat, SimSettings, SimState } from './model.ts';
import { mutateState, readState } from './store.ts';
import { slingToRig } from './slinging.ts';
import { endSession } from './session/sessions.ts';

export type { CallRecord, FaultRule, RigStatus, SimState };

async function change<T>(root: string, fn: (state: SimState, events: EventInput[]) => T): Promise<T> {
  const events: EventInput[] = [];
  const result = await mutateState(root, (state) => fn(state, events));
  await appendEvents(root, events);
  return result;
}

function polecatOf(state: SimState, rig: string, name: string): SimPolecat {
  const p = domain.findPolecat(state, rig, name);
  if (p === undefined) throw new Error(`polecat '${name}' not found in rig '${rig}'`);
  return p;
}

export function readTown(root: string): SimState {
  return readState(root);
}

export interface NewBeadInput {
  /** Rig whose beads prefix to use; default: the town's `hq` prefix. */
  rig?: string;
  title: string;
  description?: string;
  issueType?: string;
  priority?: number;
}

/** Adds an open bead (like `bd create`); returns its id. */
export async function addBead(root: string, input: NewBeadInput, rng: Rng = defaultRng): Promise<string> {
  return change(root, (state) => {
    const prefix = input.rig === undefined ? domain.TOWN_PREFIX : state.rigs[input.rig]?.prefix;
    if (prefix === undefined) throw new Error(`rig '${input.rig ?? ''}' not found`);
    const { rig: _rig, ...rest } = input;
    return domain.addBead(state, { prefix, ...rest }, rng).id;
  });
}

/** Closes a bead like `bd close` (no event, polecats untouched). */
export async function closeBead(root: string, beadId: string, reason = 'Closed'): Promise<void> {
  await change(root, (state) => {
    const bead = state.beads[beadId];
    if (bead === undefined) throw new Error(`bead '${beadId}' not found`);
    domain.closeBead(bead, reason);
  });
}

/**
 * `gt done` by a polecat: bead closed, polecat idle without session (gt v1.2: retired when
 * clean, gone from the town), event `done`.
 */
export async function finishWork(root: string, rig: string, polecat: string): Promise<string | undefined> {
  return change(root, (state, events) => {
    const p = polecatOf(state, rig, polecat);
    const branch = p.branch;
    const { bead } = domain.finishWork(root, state, p);
    events.push({ type: 'done', actor: domain.agentAddress(p), payload: { bead: bead?.id ?? '', branch } });
    return bead?.id;
  });
}

/**
 * Sets a polecat's raw state. `zombie` also removes the worktree and keeps a session running;
 * `stalled` ends the session of a working polecat (what gt derives when a session dies).
 */
export async function setPolecatState(root: string, rig: string, polecat: string, state: string): Promise<void> {
  await change(root, (s) => {
    const p = polecatOf(s, rig, polecat);
    p.lastActivity = domain.nowIso();
    if (state === 'zombie') {
      Object.assign(p, { state, worktree: false, sessionRunning: true });
      domain.removeWorktree(root, p);
    } else if (state === 'stalled') {
      Object.assign(p, { state: 'working', sessionRunning: false });
    } else {
      p.state = state;
    }
  });
}

/** The polecat's session dies (crash, OOM): event `session_death`; gt lists it as stalled. */
export async function killSession(root: string, rig: string, polecat: string, reason = 'session crashed'): Promise<void> {
  await change(root, (state, events) => {
    const p = polecatOf(state, rig, polecat);
    p.sessionRunning = false;
    events.push({ type: 'session_death', actor: 'daemon', payload: { session: domain.sessionName(state, rig, polecat), agent: domain.agentAddress(p), reason, caller: 'daemon' } });
  });
  // A real session process (a rig with an exec_wrapper or agent) dies too.
  await endSession(root, domain.sessionName(readState(root), rig, polecat), 'now', 5000);
}

export interface DirtInput {
  uncommittedFiles?: string[];
  unpushedCommits?: number;
  stashCount?: number;
  /** Open a merge request for the polecat's branch (nuke refuses: "has open MR"). */
  openMr?: boolean;
  /** Pushed but never submitted to the merge queue (verdict NEEDS_MQ_SUBMIT). */
  needsMqSubmit?: boolean;
  /** Self-reported cleanup status on the agent bead; null clears it (gt then prints `""`). */
  cleanupStatus?: string | null;
}

/** Sets the git dirt of a polecat worktree; fields left out keep their value. */
export async function makeDirty(root: string, rig: string, polecat: string, dirt: DirtInput, rng: Rng = defaultRng): Promise<void> {
  await change(root, (state) => {
    const p = polecatOf(state, rig, polecat);
    if (dirt.uncommittedFiles !== undefined) p.dirt.uncommittedFiles = [...dirt.uncommittedFiles];
    if (dirt.unpushedCommits !== undefined) p.dirt.unpushedCommits = dirt.unpushedCommits;
    if (dirt.stashCount !== undefined) p.dirt.stashCount = dirt.stashCount;
    if (dirt.needsMqSubmit !== undefined) p.dirt.needsMqSubmit = dirt.needsMqSubmit;
    if (dirt.openMr === true && p.dirt.openMr === undefined) p.dirt.openMr = domain.addMergeRequest(state, p, rng).id;
    if (dirt.openMr === false && p.dirt.openMr !== undefined) {
      const mr = state.beads[p.dirt.openMr];
      if (mr !== undefined && mr.status !== 'closed') domain.finishMergeRequest(mr, 'success', rng);
      delete p.dirt.openMr;
    }
    if (dirt.cleanupStatus === null) delete p.cleanupStatus;
    else if (dirt.cleanupStatus !== undefined) p.cleanupStatus = dirt.cleanupStatus;
  });
}

export type { MergeRequestOutcome } from './domain.ts';

export interface MergeRequestOptions {
  /** How the refinery finishes it (see domain.finishMergeRequest); omitted: it stays open. */
  outcome?: domain.MergeRequestOutcome;
  /** The polecat whose branch and hooked bead it carries; default a made-up worker. */
  polecat?: string;
  /** Backdates created_at by this much, so the merge takes that long (duration metric). */
  queuedSeconds?: number;
  /** Overrides the bd close reason the outcome would write. */
  closeReason?: string;
}

/**
 * A merge request of `rig` submitted to the refinery (a wisp labelled gt:merge-request, as
 * `gt done` / `gt mq submit` create it) and, with `outcome`, finished by the refinery in the
 * same step. No event (gt writes none for MR beads). Returns the MR id.
 */
export async function mergeRequest(root: string, rig: string, opts: MergeRequestOptions = {}, rng: Rng = defaultRng): Promise<string> {
  return change(root, (state) => {
    if (state.rigs[rig] === undefined) throw new Error(`rig '${rig}' not found`);
    const p = opts.polecat === undefined ? undefined : polecatOf(state, rig, opts.polecat);
    const mr = p !== undefined
      ? domain.addMergeRequest(state, p, rng)
      : domain.addRigMergeRequest(state, rig, { branch: `polecat/sim-${Math.floor(rng() * 1e6).toString(36)}`, worker: 'sim' }, rng);
    if (opts.queuedSeconds !== undefined) mr.createdAt = new Date(Date.now() - opts.queuedSeconds * 1000).toISOString();
    if (opts.outcome !== undefined) domain.finishMergeRequest(mr, opts.outcome, rng, opts.closeReason);
    return mr.id;
  });
}

/** The refinery finishes an open merge request with `outcome` (no event). */
export async function finishMergeRequest(root: string, id: string, outcome: domain.MergeRequestOutcome, rng: Rng = defaultRng, closeReason?: string): Promise<void> {
  await change(root, (state) => {
    const mr = state.beads[id];
    if (mr === undefined || mr.issueType !== 'merge-request') throw new Error(`merge request '${id}' not found`);
    if (mr.status === 'closed') throw new Error(`merge request '${id}' is already closed`);
    domain.finishMergeRequest(mr, outcome, rng, closeReason);
  });
}

/** Parks, docks or returns a rig to operational (no event, as with `gt rig park`). */
export async function setRigStatus(root: string, rig: string, status: RigStatus): Promise<void> {
  await change(root, (state) => {
    const r = state.rigs[rig];
    if (r === undefined) throw new Error(`rig '${rig}' not found`);
    r.status = status;
    r.witnessRunning = status === 'operational';
    r.refineryRunning = status === 'operational';
    if (status === 'docked') for (const p of domain.rigPolecats(state, rig)) p.sessionRunning = false;
  });
}

export interface SlingOutcome {
  polecat: string;
  reused: boolean;
  convoyId?: string;
}

/** Slings a bead to a rig outside Kubernetes, as a human's `gt sling <bead> <rig>` would. */
export async function slingOutside(root: string, beadId: string, rig: string, opts: { convoy?: boolean } = {}, rng: Rng = defaultRng): Promise<SlingOutcome> {
  return change(root, (state, events) => {
    const bead = state.beads[beadId];
    const r = state.rigs[rig];
    if (bead === undefined || r === undefined) throw new Error(`unknown bead '${beadId}' or rig '${rig}'`);
    const result = slingToRig(root, state, bead, r, { convoy: opts.convoy ?? true, actor: 'overseer' }, rng);
    events.push(...result.events);
    const outcome: SlingOutcome = { polecat: result.polecat.name, reused: result.reused };
    if (result.convoy !== undefined) outcome.convoyId = result.convoy.id;
    return outcome;
  });
}

/** Removes a polecat outside Kubernetes (`gt polecat nuke --force`): no event. */
export async function removePolecatOutside(root: string, rig: string, polecat: string): Promise<void> {
  await change(root, (state) => domain.removePolecat(root, state, polecatOf(state, rig, polecat)));
}

/** Changes town settings (scheduler mode, convoy tracking failure). */
export async function setSettings(root: string, settings: Partial<SimSettings>): Promise<void> {
  await change(root, (state) => Object.assign(state.settings, settings));
}

/** Dispatches beads queued by scheduler-mode slings (the scheduler's job); returns how many. */
export async function dispatchScheduled(root: string, rng: Rng = defaultRng): Promise<number> {
  return change(root, (state, events) => {
    let dispatched = 0;
    for (const item of state.scheduled.splice(0)) {
      const bead = state.beads[item.bead];
      const rig = state.rigs[item.rig];
      if (bead === undefined || rig === undefined || bead.status === 'closed') continue;
      const result = slingToRig(root, state, bead, rig, { convoy: false, actor: 'deacon' }, rng);
      events.push(...result.events, { type: 'scheduler_dispatch', actor: 'deacon', payload: { bead: bead.id, rig: rig.name, polecat: result.polecat.name } });
      dispatched++;
    }
    return dispatched;
  });
}

export async function setFaultRules(root: string, rules: readonly FaultRule[]): Promise<void> {
  await setFaults(root, rules);
}

export async function addFaultRules(root: string, rules: readonly FaultRule[]): Promise<void> {
  await addFaults(root, rules);
}

export async function clearFaults(root: string): Promise<void> {
  await setFaults(root, []);
}

export function readCalls(root: string): CallRecord[] {
  return readCallLog(root);
}

export function clearCalls(root: string): void {
  clearCallLog(root);
}

/** Prunes the event log to its last `keep` lines by write-new-file-and-rename (new inode). */
export async function pruneEventLog(root: string, keep = 0): Promise<number> {
  return pruneEvents(root, keep);
}

type TickAction = 'sling' | 'done' | 'bead' | 'stuck' | 'death' | 'convoy-check';

/** A work bead: a task that is not a convoy (gt v1.2 convoys are tasks too). */
function isWork(bead: SimBead): boolean {
  return bead.issueType === 'task' && !domain.isConvoy(bead);
}

function tickAction(state: SimState, rng: Rng): TickAction {
  const working = Object.values(state.polecats).some((p) => p.hookBead !== undefined && p.sessionRunning);
  const open = Object.values(state.beads).some((b) => isWork(b) && b.status === 'open');
  const roll = rng();
  if (roll < 0.3 && open) return 'sling';
  if (roll < 0.6 && working) return 'done';
  if (roll < 0.75) return 'bead';
  if (roll < 0.82 && working) return 'stuck';
  if (roll < 0.87 && working) return 'death';
  return 'convoy-check';
}

function workingPolecat(state: SimState, rng: Rng): SimPolecat | undefined {
  const busy = Object.values(state.polecats).filter((p) => p.hookBead !== undefined && p.sessionRunning);
  return busy.length === 0 ? undefined : pick(rng, busy);
}

function tickSling(root: string, state: SimState, events: EventInput[], rng: Rng): string {
  const rigs = Object.values(state.rigs).filter((r) => r.status === 'operational');
  const prefixes = new Set(rigs.map((r) => r.prefix));
  const beads = Object.values(state.beads).filter((b) => isWork(b) && b.status === 'open' && prefixes.has(domain.beadPrefix(b.id)));
  if (beads.length === 0) return 'idle: nothing to sling';
  const bead = pick(rng, beads);
  const rig = rigs.find((r) => r.prefix === domain.beadPrefix(bead.id));
  if (rig === undefined) return 'idle: no rig';
  const result = slingToRig(root, state, bead, rig, { convoy: true, actor: 'mayor' }, rng);
  events.push(...result.events);
  return `slung ${bead.id} to ${rig.name}/polecats/${result.polecat.name}`;
}

function tickConvoyCheck(state: SimState): string {
  const closed: string[] = [];
  for (const c of domain.convoys(state).filter((x) => x.status === 'open' && !domain.isCrossRig(x))) {
    const tracked = domain.trackedIssues(state, c);
    if (tracked.length > 0 && tracked.every((t) => t.status === 'closed')) {
      domain.closeBead(c, 'All tracked issues completed');
      closed.push(c.id);
    }
  }
  return closed.length === 0 ? 'convoy check: nothing to close' : `convoy check closed ${closed.join(', ')}`;
}

function applyTick(root: string, state: SimState, events: EventInput[], rng: Rng): string {
  const action = tickAction(state, rng);
  const p = workingPolecat(state, rng);
  if (action === 'sling') return tickSling(root, state, events, rng);
  if (action === 'done' && p !== undefined) {
    const branch = p.branch;
    const { bead, retired } = domain.finishWork(root, state, p);
    events.push({ type: 'done', actor: domain.agentAddress(p), payload: { bead: bead?.id ?? '', branch } });
    return `${p.rig}/${p.name} finished ${bead?.id ?? 'its work'}${retired ? ' and was retired' : ''}`;
  }
  if (action === 'stuck' && p !== undefined) {
    p.state = 'stuck';
    return `${p.rig}/${p.name} is stuck`;
  }
  if (action === 'death' && p !== undefined) {
    p.sessionRunning = false;
    events.push({ type: 'session_death', actor: 'daemon', payload: { session: domain.sessionName(state, p.rig, p.name), agent: domain.agentAddress(p), reason: 'session crashed', caller: 'daemon' } });
    return `${p.rig}/${p.name} session died`;
  }
  if (action === 'bead') {
    const rig = pick(rng, Object.values(state.rigs));
    const bead = domain.addBead(state, { prefix: rig.prefix, title: `Follow-up ${Math.floor(rng() * 1000)}` }, rng);
    return `new bead ${bead.id}`;
  }
  return tickConvoyCheck(state);
}

/** One step of scripted random activity (demo mode); returns what happened. */
export async function tick(root: string, rng: Rng = defaultRng): Promise<string> {
  return change(root, (state, events) => applyTick(root, state, events, rng));
}
