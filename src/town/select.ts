// Chooses the town the operator talks to: the real `gt`/`bd` when they are installed (or named
// with --gt-path / GT_PATH), otherwise — only when the caller allows it — the bundled town
// simulator in `sim/`, in a town directory of its own that is created on first use.
//
// Guarantees: never silently falls back to the simulator when the user named a gt binary;
// when the simulator is chosen the result says so (`simulated: true`) so every caller can
// print it loudly; a named binary that does not exist is reported before anything starts.
import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TownSelection {
  readonly gtPath: string;
  readonly bdPath: string;
  readonly townRoot: string;
  readonly simulated: boolean;
  /** Why this town was chosen, for the start-up log. */
  readonly reason: string;
}

export interface TownSelectInput {
  readonly gtPath?: string;
  readonly bdPath?: string;
  readonly townRoot?: string;
  /** Use the simulator even when gt is installed. */
  readonly simulate?: boolean;
  /** Fall back to the simulator when no gt is found (the operator's `run` default). */
  readonly allowSimulator?: boolean;
  /** Where a simulated town lives when --town-root is not given. */
  readonly simTownRoot?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SIM_GT = path.join(REPO_ROOT, 'sim', 'bin', 'gt');
export const SIM_BD = path.join(REPO_ROOT, 'sim', 'bin', 'bd');

export class TownSelectError extends Error {
  override readonly name = 'TownSelectError';
}

/** Picks gt, bd and the town root; throws TownSelectError with a one-line, actionable reason. */
export function selectTown(input: TownSelectInput): TownSelection {
  const env = input.env ?? process.env;
  const home = env.HOME ?? homedir();
  const explicitGt = nonEmpty(input.gtPath) ?? nonEmpty(env.GT_PATH);
  const explicitBd = nonEmpty(input.bdPath) ?? nonEmpty(env.BD_PATH);
  const townRoot = expandHome(nonEmpty(input.townRoot) ?? nonEmpty(env.GT_TOWN_ROOT) ?? '~/gt', home);

  if (input.simulate === true) return simulated(input, home, 'simulation requested (--simulate)');
  if (explicitGt !== undefined) {
    const gtPath = resolveExecutable(explicitGt, env.PATH);
    if (gtPath === undefined) {
      throw new TownSelectError(`gt binary "${explicitGt}" (from --gt-path/GT_PATH) was not found or is not executable`);
    }
    const bdPath = resolveExecutable(explicitBd ?? 'bd', env.PATH) ?? explicitBd ?? 'bd';
    return { gtPath, bdPath, townRoot, simulated: false, reason: `gt from --gt-path/GT_PATH: ${gtPath}` };
  }
  const onPath = resolveExecutable('gt', env.PATH);
  if (onPath !== undefined) {
    const bdPath = resolveExecutable(explicitBd ?? 'bd', env.PATH) ?? explicitBd ?? 'bd';
    return { gtPath: onPath, bdPath, townRoot, simulated: false, reason: `gt found on PATH: ${onPath}` };
  }
  if (input.allowSimulator === true) return simulated(input, home, 'no gt binary on PATH and GT_PATH unset');
  throw new TownSelectError('gt was not found on PATH: install Gas Town, set GT_PATH (or --gt-path), or pass --simulate to use the bundled simulator');
}

// The simulator only uses a town root named explicitly, or its own directory: never the
// default ~/gt, where a real town may live.
function simulated(input: TownSelectInput, home: string, why: string): TownSelection {
  const townRoot = expandHome(
    nonEmpty(input.townRoot) ?? input.simTownRoot ?? path.join(home, '.gastown-operator', 'sim-town'), home);
  return { gtPath: SIM_GT, bdPath: SIM_BD, townRoot, simulated: true, reason: why };
}

/** Like `which`: a path with a slash is checked as is, a bare name is looked up on PATH. */
export function resolveExecutable(name: string, searchPath: string | undefined): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? path.resolve(name) : undefined;
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return existsSync(file);
  } catch {
    return false;
  }
}

function expandHome(p: string, home: string): string {
  return p === '~' || p.startsWith('~/') ? path.resolve(path.join(home, p.slice(1))) : path.resolve(p);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
