// The effect of a sling on the town, shared by `gt sling`, scheduler dispatch and the control
// API: pick an idle polecat or spawn a fresh one, hook the bead, track it in a convoy, and
// say which events gt would log. Printing is left to the caller.
import type { EventInput } from './events.ts';
import { agentAddress, createConvoyBead, hookBead, rigPolecats, spawnPolecat, trackingConvoy } from './domain.ts';
import type { Rng } from './ids.ts';
import type { SimBead, SimPolecat, SimRig, SimState } from './model.ts';

export interface SlingResult {
  polecat: SimPolecat;
  reused: boolean;
  /** The convoy created for the bead, or the one already tracking it. */
  convoy?: { id: string; created: boolean };
  events: EventInput[];
}

/** An idle polecat gt would reuse: no session, no hook, worktree present. */
export function idlePolecat(state: SimState, rig: SimRig): SimPolecat | undefined {
  return rigPolecats(state, rig.name).find((p) => p.state === 'idle' && !p.sessionRunning && p.hookBead === undefined && p.worktree);
}

export interface SlingOptions {
  convoy: boolean;
  actor: string;
  /** Force a fresh polecat (target named a polecat whose session is dead). */
  fresh?: boolean;
  /** Hook this live polecat instead of picking one (target `<rig>/polecats/<name>`). */
  polecat?: SimPolecat;
  /** gt v1.2 `--branch`/`--pr`: resume this existing branch instead of a fresh polecat branch. */
  branch?: string;
}

/** Ensures a convoy tracks the bead (sling's auto-convoy); undefined when convoys are off. */
export function ensureConvoy(state: SimState, bead: SimBead, rng: Rng): { id: string; created: boolean } {
  const existing = trackingConvoy(state, bead.id);
  if (existing !== undefined) return { id: existing.id, created: false };
  const convoy = createConvoyBead(state, { title: `Work: ${bead.title}`, tracks: [bead.id], description: `Auto-created convoy tracking ${bead.id}` }, rng);
  return { id: convoy.id, created: true };
}

export function slingToRig(root: string, state: SimState, bead: SimBead, rig: SimRig, opts: SlingOptions, rng: Rng): SlingResult {
  const events: EventInput[] = [];
  let polecat = opts.polecat ?? (opts.fresh === true ? undefined : idlePolecat(state, rig));
  const reused = polecat !== undefined && opts.polecat === undefined;
  if (polecat === undefined) {
    polecat = spawnPolecat(root, state, rig);
    events.push({ type: 'spawn', actor: 'gt', payload: { rig: rig.name, polecat: polecat.name } });
  }
  const convoy = opts.convoy ? ensureConvoy(state, bead, rng) : undefined;
  hookBead(state, polecat, bead);
  if (opts.branch !== undefined) polecat.branch = opts.branch;
  const target = agentAddress(polecat);
  events.push({ type: 'hook', actor: target, payload: { bead: bead.id } });
  events.push({ type: 'sling', actor: opts.actor, payload: { bead: bead.id, target } });
  const result: SlingResult = { polecat, reused, events };
  if (convoy !== undefined) result.convoy = convoy;
  return result;
}
