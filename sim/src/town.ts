// Creates a ready simulated town in a directory: the real layout files gt reads
// (`mayor/town.json`, `mayor/rigs.json`, `<rig>/config.json`, polecat worktree dirs), an empty
// event log, and the simulator state with rigs, beads, polecats (one working, the rest idle)
// and convoys. Seeded, so a given seed always yields the same ids and names.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { addBead, createConvoyBead, hookBead, spawnPolecat } from './domain.ts';
import { seededRng } from './ids.ts';
import type { Rng } from './ids.ts';
import { emptyState } from './model.ts';
import type { SimRig, SimState } from './model.ts';
import { townPaths } from './paths.ts';
import { createRigRepo } from './repo.ts';
import { writeStateUnlocked } from './store.ts';
import { DEFAULT_GT_VERSION, parseGtVersion } from './version.ts';
import type { GtVersion } from './version.ts';

export interface RigInput {
  name: string;
  prefix: string;
  gitUrl?: string;
}

export interface CreateTownOptions {
  rigs?: RigInput[];
  polecatsPerRig?: number;
  beadsPerRig?: number;
  convoys?: number;
  seed?: number;
  /** The gt/bd release the town behaves like (version.ts); default GT_SIM_VERSION, else 1.2. */
  gtVersion?: GtVersion;
}

export const DEFAULT_RIGS: readonly RigInput[] = [
  { name: 'gastown', prefix: 'gt' },
  { name: 'beads', prefix: 'bd' },
];

const TITLES = [
  'Fix flaky convoy check', 'Add retry to refinery merge', 'Document sling flags', 'Speed up polecat list',
  'Handle dolt reconnect', 'Tidy witness patrol logs', 'Cap mail queue size', 'Rename stale branches',
  'Validate rig config on load', 'Add metrics for hooks', 'Guard against empty convoy', 'Trim event log hourly',
];

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes gt's own layout files from the state (town.json, rigs.json, rig config.json). */
export function writeLayout(root: string, state: SimState): void {
  const paths = townPaths(root);
  mkdirSync(join(root, 'mayor'), { recursive: true });
  writeJson(paths.townJson, { type: 'town', version: 2, name: state.townName, owner: 'overseer', created_at: new Date().toISOString() });
  const rigs: Record<string, unknown> = {};
  for (const rig of Object.values(state.rigs)) {
    rigs[rig.name] = { git_url: rig.gitUrl, added_at: rig.addedAt, beads: { prefix: rig.prefix } };
    mkdirSync(join(root, rig.name, 'polecats'), { recursive: true });
    writeJson(join(root, rig.name, 'config.json'), {
      type: 'rig', version: 1, name: rig.name, git_url: rig.gitUrl, default_branch: 'main', beads: { prefix: rig.prefix },
    });
  }
  writeJson(paths.rigsJson, { version: 1, rigs });
}

function addRig(state: SimState, input: RigInput): SimRig {
  const rig: SimRig = {
    name: input.name,
    prefix: input.prefix,
    gitUrl: input.gitUrl ?? `https://github.com/example/${input.name}.git`,
    addedAt: new Date().toISOString(),
    status: 'operational',
    witnessRunning: true,
    refineryRunning: true,
    crew: [],
  };
  state.rigs[rig.name] = rig;
  return rig;
}

function populateRig(root: string, state: SimState, rig: SimRig, opts: Required<Omit<CreateTownOptions, 'rigs' | 'seed' | 'gtVersion'>>, rng: Rng): void {
  const beads = Array.from({ length: opts.beadsPerRig }, (_, i) =>
    addBead(state, { prefix: rig.prefix, title: TITLES[(i + rig.name.length) % TITLES.length] ?? 'Task', priority: i % 4 }, rng),
  );
  for (let i = 0; i < opts.polecatsPerRig; i++) {
    const polecat = spawnPolecat(root, state, rig);
    const bead = beads[i];
    // The first polecat of each rig is busy so a fresh town shows work in flight.
    if (i === 0 && bead !== undefined) hookBead(state, polecat, bead);
    // The idle ones stand for polecats that finished earlier work: gt done left `clean` on
    // their agent beads (a polecat that never ran gt done has no cleanup status).
    else polecat.cleanupStatus = 'clean';
  }
}

/** Creates (or re-creates) a ready town in `dir`. */
export async function createTown(dir: string, opts: CreateTownOptions = {}): Promise<void> {
  const root = resolve(dir);
  const rng = seededRng(opts.seed ?? 1);
  const state = emptyState(basename(root));
  const fromEnv = process.env['GT_SIM_VERSION'];
  state.settings.gtVersion = opts.gtVersion ?? (fromEnv !== undefined && fromEnv !== '' ? parseGtVersion(fromEnv, 'GT_SIM_VERSION') : DEFAULT_GT_VERSION);
  const counts = { polecatsPerRig: opts.polecatsPerRig ?? 2, beadsPerRig: opts.beadsPerRig ?? 5, convoys: opts.convoys ?? 1 };
  mkdirSync(townPaths(root).simDir, { recursive: true });
  for (const input of opts.rigs ?? DEFAULT_RIGS) populateRig(root, state, addRig(state, input), counts, rng);
  const rigBeads = Object.values(state.beads).filter((b) => b.issueType === 'task' && !b.id.startsWith('hq-'));
  for (let i = 0; i < counts.convoys; i++) {
    // Each convoy tracks two beads; a convoy spanning rigs exercises gastown #3681.
    const tracks = [rigBeads[i * 2], rigBeads[i * 2 + 1]].filter((b) => b !== undefined).map((b) => b.id);
    createConvoyBead(state, { title: `Batch ${i + 1}`, tracks }, rng);
  }
  writeLayout(root, state);
  for (const rig of Object.values(state.rigs)) createRigRepo(root, rig.name, rig.gitUrl);
  writeFileSync(townPaths(root).events, '');
  writeFileSync(townPaths(root).calls, '');
  writeFileSync(townPaths(root).faults, '[]\n');
  writeStateUnlocked(root, state);
  return Promise.resolve();
}
