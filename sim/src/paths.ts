// Where things live in a simulated town, and how a process finds its town. Discovery mirrors
// gt: walk up from the working directory to the first `mayor/town.json`, with GT_TOWN_ROOT
// (then GT_ROOT) taking precedence when set, as the gt client always sets it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface TownPaths {
  root: string;
  simDir: string;
  state: string;
  lock: string;
  faults: string;
  calls: string;
  events: string;
  eventsLock: string;
  townJson: string;
  rigsJson: string;
}

export function townPaths(root: string): TownPaths {
  const simDir = join(root, '.sim');
  return {
    root,
    simDir,
    state: join(simDir, 'state.json'),
    lock: join(simDir, 'lock'),
    faults: join(simDir, 'faults.json'),
    calls: join(simDir, 'calls.jsonl'),
    events: join(root, '.events.jsonl'),
    eventsLock: join(root, '.events.jsonl.lock'),
    townJson: join(root, 'mayor', 'town.json'),
    rigsJson: join(root, 'mayor', 'rigs.json'),
  };
}

function isTown(dir: string): boolean {
  return existsSync(join(dir, 'mayor', 'town.json'));
}

/** Walks up from `start`; undefined when no ancestor is a town. */
export function findTownUp(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (isTown(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export type TownLookup = { ok: true; root: string } | { ok: false; message: string };

/** Finds the town for this process, or the exact error text gt prints outside a town. */
export function locateTown(cwd: string, env: NodeJS.ProcessEnv): TownLookup {
  for (const candidate of [env['GT_TOWN_ROOT'], env['GT_ROOT']]) {
    if (candidate !== undefined && candidate !== '' && isTown(candidate)) return { ok: true, root: resolve(candidate) };
  }
  const found = findTownUp(cwd);
  if (found !== undefined) return { ok: true, root: found };
  return { ok: false, message: `not in a Gas Town workspace: no mayor/town.json found above ${resolve(cwd)}` };
}

/** True when `cwd` is inside `root`: gt only writes events from inside the town. */
export function isInside(root: string, cwd: string): boolean {
  const r = resolve(root);
  const c = resolve(cwd);
  return c === r || c.startsWith(r.endsWith('/') ? r : `${r}/`);
}
