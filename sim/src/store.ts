// Reads and writes `<town>/.sim/state.json`. Every mutation runs under `<town>/.sim/lock` and
// is written to a temp file then renamed over the old one, so a reader (which takes no lock)
// always sees a complete state and concurrent gt/bd processes never lose each other's writes.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { withLock } from './lock.ts';
import type { SimState } from './model.ts';
import { townPaths } from './paths.ts';

export function readState(root: string): SimState {
  const text = readFileSync(townPaths(root).state, 'utf8');
  return JSON.parse(text) as SimState;
}

export function writeStateUnlocked(root: string, state: SimState): void {
  const paths = townPaths(root);
  const tmp = `${paths.state}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, paths.state);
}

/**
 * Applies `fn` to the current state under the town lock and persists the result. `fn` mutates
 * the state in place; whatever it returns is passed through. A throw leaves the file untouched.
 */
export async function mutateState<T>(root: string, fn: (state: SimState) => T | Promise<T>): Promise<T> {
  return withLock(townPaths(root).lock, async () => {
    const state = readState(root);
    const result = await fn(state);
    writeStateUnlocked(root, state);
    return result;
  });
}
