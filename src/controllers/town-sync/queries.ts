// Pure questions asked of one TownData: which rig a bead belongs to, how many open convoys a
// rig has, and the slice of the town each kind of view is computed from. The change detector
// (diff.ts) and the controllers use the same slices, so "the observed state of X changed" means
// exactly "what X's status is computed from changed".
import type { Bead, ConvoyListItem, PolecatListItem, Rig, RigRuntime } from '../../gt/index.ts';
import type { RigTownConfig, TownData } from './snapshot.ts';

/** The prefix of a bead id: everything before the last `-` of its root (`gt-abc12.1` → `gt`). */
export function beadPrefix(beadId: string): string {
  const root = beadId.split('.')[0] ?? beadId;
  const dash = root.lastIndexOf('-');
  return dash <= 0 ? root : root.slice(0, dash);
}

/**
 * The gt rig a bead belongs to, by its prefix: `mayor/rigs.json`'s beads prefix first (the
 * authoritative one), then `gt rig list`'s prefix. Undefined for town (`hq-`) and unknown beads.
 */
export function rigOfBead(data: TownData, beadId: string): string | undefined {
  const prefix = beadPrefix(beadId);
  for (const [name, config] of data.rigConfigs ?? []) {
    if (config.beadsPrefix === prefix) return name;
  }
  for (const rig of data.rigs.values()) {
    if (rig.sessionPrefix === prefix && !data.rigConfigs?.get(rig.name)?.beadsPrefix) return rig.name;
  }
  return undefined;
}

/** Open convoys tracking at least one bead of `rig`. */
export function convoysOfRig(data: TownData, rig: string): ConvoyListItem[] {
  return [...data.openConvoys.values()].filter((c) => c.tracked.some((t) => rigOfBead(data, t.id) === rig));
}

/** Everything a Rig's status is computed from. */
export interface RigObservation {
  readonly rig?: Rig;
  readonly runtime?: RigRuntime;
  readonly config?: RigTownConfig;
  readonly activeConvoys: number;
}

export function observeRig(data: TownData, name: string): RigObservation {
  return {
    rig: data.rigs.get(name),
    runtime: data.rigRuntime.get(name),
    config: data.rigConfigs?.get(name),
    activeConvoys: convoysOfRig(data, name).length,
  };
}

/** A polecat as the town shows it: its list entry and its hooked bead (what town sync diffs). */
export interface TownPolecat {
  readonly polecat?: PolecatListItem;
  readonly bead?: Bead;
}

export function townPolecat(data: TownData, key: string): TownPolecat {
  const polecat = data.polecats.get(key);
  const bead = polecat?.issue === undefined ? undefined : data.beads.get(polecat.issue);
  return { polecat, bead };
}

/** Every bead id a cycle reads: registered interest, polecat hooks, convoys' tracked beads. */
export function beadsOfInterest(
  registered: Iterable<string>,
  polecats: Iterable<PolecatListItem>,
  convoys: Iterable<ConvoyListItem>,
): string[] {
  const ids = new Set<string>(registered);
  for (const p of polecats) if (p.issue) ids.add(p.issue);
  for (const c of convoys) for (const t of c.tracked) ids.add(t.id);
  return [...ids].sort();
}

