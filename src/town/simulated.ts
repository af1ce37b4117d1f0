// Prepares the bundled town simulator for demo mode: creates the simulated town directory on
// first use (a few rigs, polecats, beads and convoys) and keeps an existing one as it is, so
// a restarted operator sees the same town. Prints nothing itself: callers announce it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createTown } from '../../sim/src/town.ts';

export const SIM_BANNER = [
  '',
  '  ***********************************************************************',
  '  *  SIMULATED TOWN: this runs against the bundled Gas Town simulator   *',
  '  *  (sim/), not a real gt. Nothing here touches a real town.           *',
  '  *  Install Gas Town or set GT_PATH / --gt-path to use your own town.  *',
  '  ***********************************************************************',
  '',
].join('\n');

export class NotASimulatedTownError extends Error {
  override readonly name = 'NotASimulatedTownError';
}

/**
 * Creates a demo town at `townRoot` unless a simulated one is already there (returns true
 * when created). Refuses a directory that holds a real town: the simulator must never write
 * into it.
 */
export async function ensureSimulatedTown(townRoot: string): Promise<boolean> {
  const hasTown = existsSync(path.join(townRoot, 'mayor', 'town.json'));
  const isSimulated = existsSync(path.join(townRoot, '.sim', 'state.json'));
  if (hasTown && !isSimulated) {
    throw new NotASimulatedTownError(`${townRoot} holds a real Gas Town; the simulator will not use it (pick another --town-root)`);
  }
  if (hasTown) return false;
  await createTown(townRoot, {
    rigs: [
      { name: 'gastown', prefix: 'gt' },
      { name: 'beads', prefix: 'bd' },
      { name: 'wasteland', prefix: 'wl' },
    ],
    polecatsPerRig: 2,
    beadsPerRig: 6,
    convoys: 2,
  });
  return true;
}
