// A rig's runtime settings as gt reads them for a session start: `<town>/<rig>/settings/config.json`,
// key `runtime` (gastown internal/config/types.go RuntimeConfig: `command`, `args`,
// `exec_wrapper`; resolveExecWrapper in loader.go). A missing file or key is "not configured";
// a present but malformed one is an error, so a typo never silently drops the sandbox wrapper.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RigRuntime {
  /** `runtime.exec_wrapper`: inserted between the env and the agent argv. Empty = none. */
  execWrapper: string[];
  /** `runtime.command`; undefined = the simulator's scripted agent (sim/image/bin/sim-agent). */
  command?: string;
  /** `runtime.args`, given to the agent command (to the scripted agent too). */
  args: string[];
}

export function rigSettingsPath(root: string, rig: string): string {
  return join(root, rig, 'settings', 'config.json');
}

function stringArray(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new Error(`${what} must be an array of strings`);
  }
  return [...value];
}

/** The rig's runtime settings; throws with the file name when they are malformed. */
export function readRigRuntime(root: string, rig: string): RigRuntime {
  const path = rigSettingsPath(root, rig);
  if (!existsSync(path)) return { execWrapper: [], args: [] };
  let settings: unknown;
  try {
    settings = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`loading rig settings ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const runtime = (settings as { runtime?: unknown } | null)?.runtime;
  if (runtime === undefined || runtime === null) return { execWrapper: [], args: [] };
  if (typeof runtime !== 'object') throw new Error(`${path}: runtime must be an object`);
  const r = runtime as { exec_wrapper?: unknown; command?: unknown; args?: unknown };
  const execWrapper = stringArray(r.exec_wrapper, `${path}: runtime.exec_wrapper`);
  const args = stringArray(r.args, `${path}: runtime.args`);
  if (r.command === undefined) return { execWrapper, args };
  if (typeof r.command !== 'string' || r.command === '') throw new Error(`${path}: runtime.command must be a non-empty string`);
  return { execWrapper, command: r.command, args };
}

/** True when gt would start this rig's sessions as real processes (a wrapper or an agent is set). */
export function runsProcesses(runtime: RigRuntime): boolean {
  return runtime.execWrapper.length > 0 || runtime.command !== undefined;
}
