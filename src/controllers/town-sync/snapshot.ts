// The town as one sync cycle saw it: the shared, read-only observation every controller
// reconciles against, so that one batched read of the town serves all Rigs, Polecats and
// Convoys (docs/gt-contract.md: never call gt per resource per tick when one call serves all).
//
// A snapshot is either a complete read (`ok: true`) or a failed one carrying the GtError
// (`ok: false`): a failed read is never mistaken for an empty town (gastown #2638).
import type { GtError } from '../../gt/index.ts';
import type { Bead, ConvoyListItem, PolecatListItem, Rig, RigRuntime, TownStatus } from '../../gt/index.ts';

export interface TownData {
  /** When the cycle that produced this data started (ms since epoch). */
  readonly observedAt: number;
  /** `gt rig list --json`, by gt rig name: operational / parked / docked, witness, refinery. */
  readonly rigs: ReadonlyMap<string, Rig>;
  /** `gt status --json` per rig, by gt rig name: hooks, agents, merge queue. */
  readonly rigRuntime: ReadonlyMap<string, RigRuntime>;
  readonly town: TownStatus;
  /** `gt polecat list --all --json`, keyed `<rig>/<name>`. */
  readonly polecats: ReadonlyMap<string, PolecatListItem>;
  /** `gt convoy list --json` (open convoys), by convoy id. */
  readonly openConvoys: ReadonlyMap<string, ConvoyListItem>;
  /** One batched `bd show`: every bead the views refer to (polecat beads, tracked beads, convoy ids). */
  readonly beads: ReadonlyMap<string, Bead>;
  /** Ids asked of bd that it does not know (deleted, or never existed). */
  readonly missingBeads: ReadonlySet<string>;
  /**
   * `<town>/mayor/rigs.json` (a read-only file read, no gt call), by gt rig name: what the town
   * is configured with, for SpecMismatch. Absent when the file could not be read.
   */
  readonly rigConfigs?: ReadonlyMap<string, RigTownConfig>;
}

/** One rig's entry in `mayor/rigs.json`. */
export interface RigTownConfig {
  readonly gitURL?: string;
  /** `beads.prefix`: the rig's beads prefix (not `gt rig list`'s session prefix). */
  readonly beadsPrefix?: string;
}

export type TownSnapshot =
  | ({ readonly ok: true } & TownData)
  | { readonly ok: false; readonly observedAt: number; readonly error: GtError; readonly previous?: TownData };

/** Where controllers read the latest snapshot and ask for a fresh one after acting on gt. */
export interface TownView {
  /** The latest snapshot; undefined until the first cycle has finished. */
  current(): TownSnapshot | undefined;
  /** Ask for a sync cycle soon (debounced); used after a controller changed the town. */
  requestSync(reason: string): void;
  /** Beads the views care about; the sync cycle includes them in its one batched bead read. */
  registerBeadInterest(owner: string, beadIds: readonly string[]): void;
  /** Forget an owner's bead interest (the resource was deleted). */
  unregisterBeadInterest(owner: string): void;
}

/** The snapshot's key of a gt polecat (`gt polecat` commands take this form as their target). */
export function polecatKey(rig: string, name: string): string {
  return `${rig}/${name}`;
}

/**
 * A polecat's agent address, `<rig>/polecats/<name>`: what `gt hook status`, `gt mail send` and
 * gt's sling output use. gt matches a hook target exactly against the bead's assignee, so
 * `gt hook status <rig>/<name>` finds nothing: use this, never polecatKey, for those targets.
 */
export function polecatAddress(rig: string, name: string): string {
  return `${rig}/polecats/${name}`;
}
