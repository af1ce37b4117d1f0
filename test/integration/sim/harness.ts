// Test harness for the town simulator: creates a town in a temp dir and runs the real
// sim/bin/gt and sim/bin/bd executables as child processes (Node from process.execPath).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTown } from '../../../sim/src/town.ts';
import type { CreateTownOptions } from '../../../sim/src/town.ts';
import { GT_VERSIONS } from '../../../sim/src/version.ts';
import type { GtVersion } from '../../../sim/src/version.ts';

export { GT_VERSIONS };
export type { GtVersion };

/** Run options for a gt/bd call that behaves like release `version`, whatever the town says. */
export function onVersion(version: GtVersion, opts: RunOptions = {}): RunOptions {
  return { ...opts, env: { ...opts.env, GT_SIM_VERSION: version } };
}

export const SIM_BIN = resolve(import.meta.dirname, '../../../sim/bin');

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function runBin(bin: 'gt' | 'bd' | 'gt-sim', town: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(join(SIM_BIN, bin), args, {
      cwd: opts.cwd ?? town,
      env: { PATH: process.env['PATH'] ?? '', GT_SIM_NODE: process.execPath, GT_TOWN_ROOT: town, NO_COLOR: '1', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      done({ stdout, stderr, code, signal });
    });
  });
}

export const gt = (town: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> => runBin('gt', town, args, opts);
export const bd = (town: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> => runBin('bd', town, args, opts);

export interface TestTown {
  root: string;
  cleanup(): void;
}

export async function makeTown(opts: CreateTownOptions = {}): Promise<TestTown> {
  const dir = mkdtempSync(join(tmpdir(), 'gt-sim-'));
  const root = join(dir, 'town');
  await createTown(root, { seed: 7, ...opts });
  return { root, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}
