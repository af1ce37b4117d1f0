// Real processes for the e2e tests: a child whose stdout and stderr are kept for assertions and
// whose exit is a promise, and a free loopback port to give a server that must be started later
// on a known address (a proxy that is "down" until the test brings it up).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

export interface LoggedProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** SIGKILL unless it already exited; resolves once it is gone. */
  kill(): Promise<void>;
}

/** Spawns `cmd` with stdin ignored and its output captured. */
export function spawnLogged(cmd: string, args: readonly string[], opts: Omit<SpawnOptions, 'stdio'> = {}): LoggedProcess {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}
