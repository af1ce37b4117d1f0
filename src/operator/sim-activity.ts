// Scripted activity for a simulated town, so a demo moves on its own: every interval one
// random step (a polecat finishes, gets stuck, a bead is filed, ...) through the simulator's
// control API. Runs only when the town is simulated; never touches a real town.
import { tick } from '../../sim/src/control.ts';
import type { Logger } from '../observability/logger.ts';

/** Runs until `signal` aborts; a failing step is logged and the next one tried. */
export async function runSimulatedActivity(townRoot: string, intervalMs: number, signal: AbortSignal, logger: Logger): Promise<void> {
  const log = logger.child({ component: 'sim-activity' });
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
    if (signal.aborted) return;
    try {
      const what = await tick(townRoot);
      log.info({ step: what }, 'simulated town activity');
    } catch (error) {
      log.warn({ err: error }, 'simulated town step failed');
    }
  }
}
