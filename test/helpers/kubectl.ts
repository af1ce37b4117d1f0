// Running the real kubectl (and helm) against a test server: one runner for the e2e tests.
// The tool must be installed (scripts/install-system-deps.sh): a missing binary fails the test.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export const KUBECTL_BIN = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p)) ?? 'kubectl';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Runner = (...args: string[]) => Promise<RunResult>;

/** A runner of `bin` with a fixed environment (KUBECONFIG, HOME...), optionally feeding stdin. */
export function runnerFor(bin: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Runner & { withInput: (input: string, ...args: string[]) => Promise<RunResult> } {
  const run = (input: string | undefined, args: string[]): Promise<RunResult> =>
    new Promise((resolve, reject) => {
      const child = execFile(bin, args, { env, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') {
          reject(new Error(`cannot run ${bin}: ${err.message}`));
          return;
        }
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  return Object.assign((...args: string[]) => run(undefined, args), { withInput: (input: string, ...args: string[]) => run(input, args) });
}

/** Runs and asserts exit 0, returning stdout. */
export async function ok(runner: Runner, ...args: string[]): Promise<string> {
  const r = await runner(...args);
  assert.equal(r.code, 0, `${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}
