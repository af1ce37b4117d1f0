// Integration helper: a fresh simulated town in a temp dir and a client on the real runner
// pointed at the simulator's gt/bd executables. `opts.gtVersion` picks the gt release the town
// behaves like (default: GT_SIM_VERSION, else 1.2).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTown, type CreateTownOptions } from '../../../sim/src/town.ts';
import { createGtClient, type GtClient, type GtClientConfig } from '../../../src/gt/index.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SIM_GT = path.join(repo, 'sim/bin/gt');
export const SIM_BD = path.join(repo, 'sim/bin/bd');

export interface SimTown {
  readonly root: string;
  client(extra?: GtClientConfig): GtClient;
  cleanup(): void;
}

export async function simTown(opts: CreateTownOptions = { seed: 7 }): Promise<SimTown> {
  const root = mkdtempSync(path.join(tmpdir(), 'gt-it-town-'));
  await createTown(root, opts);
  return {
    root,
    client: (extra = {}) => createGtClient({ gtPath: SIM_GT, bdPath: SIM_BD, townRoot: root, ...extra }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
