// What changed between two snapshots, per kind of view, so the composition root enqueues only
// the resources whose observed state moved (issue 6: "enqueues only the resources whose
// observed state changed").
//
// Guarantees: pure; a key is reported when the slice its view is computed from (queries.ts)
// differs, including appearing and disappearing; when the town's readability changes (first
// snapshot, a read starts or stops failing, the failure changes kind) `all` is set, because
// every view's conditions change, including views of things gt never reported.
import { isDeepStrictEqual } from 'node:util';
import { townPolecat, observeRig } from './queries.ts';
import type { TownData, TownSnapshot } from './snapshot.ts';

export interface TownChange {
  /** Every view is affected (the town became readable or unreadable): reconcile everything. */
  readonly all: boolean;
  /** gt rig names. */
  readonly rigs: readonly string[];
  /** `<rig>/<name>` polecat keys. */
  readonly polecats: readonly string[];
  readonly beads: readonly string[];
  /** Convoy ids (open convoys appearing, changing or leaving the open list). */
  readonly convoys: readonly string[];
}

export const NO_CHANGE: TownChange = { all: false, rigs: [], polecats: [], beads: [], convoys: [] };

export function isEmptyChange(change: TownChange): boolean {
  return !change.all && change.rigs.length + change.polecats.length + change.beads.length + change.convoys.length === 0;
}

function dataOf(snapshot: TownSnapshot | undefined): TownData | undefined {
  if (!snapshot) return undefined;
  return snapshot.ok ? snapshot : snapshot.previous;
}

function changedKeys<T>(keys: Iterable<string>, before: (k: string) => T, after: (k: string) => T): string[] {
  const out: string[] = [];
  for (const key of new Set(keys)) if (!isDeepStrictEqual(before(key), after(key))) out.push(key);
  return out.sort();
}

function allKeys(a: TownData | undefined, b: TownData | undefined, pick: (d: TownData) => Iterable<string>): string[] {
  const keys = new Set<string>();
  for (const d of [a, b]) if (d) for (const k of pick(d)) keys.add(k);
  return [...keys];
}

const rigKeys = (d: TownData): Iterable<string> => [...d.rigs.keys(), ...d.rigRuntime.keys(), ...(d.rigConfigs?.keys() ?? [])];
const beadKeys = (d: TownData): Iterable<string> => [...d.beads.keys(), ...d.missingBeads];

/** The data-level difference of two complete reads. */
export function diffData(before: TownData | undefined, after: TownData | undefined): Omit<TownChange, 'all'> {
  const rig = (d: TownData | undefined) => (name: string) => (d ? observeRig(d, name) : undefined);
  const polecat = (d: TownData | undefined) => (key: string) => (d ? townPolecat(d, key) : undefined);
  const bead = (d: TownData | undefined) => (id: string) => (d ? (d.beads.get(id) ?? (d.missingBeads.has(id) ? 'missing' : undefined)) : undefined);
  const convoy = (d: TownData | undefined) => (id: string) => d?.openConvoys.get(id);
  return {
    rigs: changedKeys(allKeys(before, after, rigKeys), rig(before), rig(after)),
    polecats: changedKeys(allKeys(before, after, (d) => d.polecats.keys()), polecat(before), polecat(after)),
    beads: changedKeys(allKeys(before, after, beadKeys), bead(before), bead(after)),
    convoys: changedKeys(allKeys(before, after, (d) => d.openConvoys.keys()), convoy(before), convoy(after)),
  };
}

function healthOf(snapshot: TownSnapshot | undefined): string {
  if (!snapshot) return 'none';
  return snapshot.ok ? 'ok' : `failed:${snapshot.error.kind}`;
}

/** What changed from `before` (undefined: nothing seen yet) to `after`. */
export function diffTown(before: TownSnapshot | undefined, after: TownSnapshot): TownChange {
  const all = healthOf(before) !== healthOf(after);
  const a = dataOf(before);
  const b = dataOf(after);
  if (all) {
    // Every view is affected; list every key known on either side for callers that map keys.
    const keys = (pick: (d: TownData) => Iterable<string>): string[] => allKeys(a, b, pick).sort();
    return { all, rigs: keys(rigKeys), polecats: keys((d) => d.polecats.keys()), beads: keys(beadKeys), convoys: keys((d) => d.openConvoys.keys()) };
  }
  if (!after.ok) return NO_CHANGE;
  return { all: false, ...diffData(a, b) };
}
