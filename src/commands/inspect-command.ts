// Wiring of `gastown-operator inspect`: choose the town (real gt, or the simulator when asked),
// build the gt client, read once, print. Returns the process exit code.
import { isGtError } from '../gt/index.ts';
import { createGtClient } from '../gt/index.ts';
import type { InspectFlags } from '../cli.ts';
import { selectTown, TownSelectError } from '../town/select.ts';
import { ensureSimulatedTown, NotASimulatedTownError, SIM_BANNER } from '../town/simulated.ts';
import { readTownView, renderTables } from './inspect.ts';

export async function runInspect(flags: InspectFlags): Promise<number> {
  let town;
  try {
    town = selectTown({
      gtPath: flags.gtPath, bdPath: flags.bdPath, townRoot: flags.townRoot, simulate: flags.simulate,
    });
  } catch (err) {
    if (err instanceof TownSelectError) {
      process.stderr.write(`gastown-operator inspect: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (town.simulated) {
    process.stderr.write(`${SIM_BANNER}\n(${town.reason}; town: ${town.townRoot})\n`);
    try {
      if (await ensureSimulatedTown(town.townRoot)) process.stderr.write(`created simulated town at ${town.townRoot}\n`);
    } catch (err) {
      if (!(err instanceof NotASimulatedTownError)) throw err;
      process.stderr.write(`gastown-operator inspect: ${err.message}\n`);
      return 1;
    }
  }
  const client = createGtClient({
    gtPath: town.gtPath, bdPath: town.bdPath, townRoot: town.townRoot, timeoutMs: flags.timeout,
  });
  try {
    const view = await readTownView(client);
    process.stdout.write(flags.json ? `${JSON.stringify(view, null, 2)}\n` : renderTables(view));
    return 0;
  } catch (err) {
    if (isGtError(err)) {
      process.stderr.write(`gastown-operator inspect: ${err.kind}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
