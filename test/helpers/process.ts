// Real processes for the e2e tests: a child whose stdout and stderr are kept for assertions and
// whose exit is a promise, and a free loopback port to give a server that must be started later
// on a known address (a proxy that is "down" until the test brings it up).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/**
 * A loopback port nothing listens on right now, for a server started later on a known address.
 * It is taken below the kernel's ephemeral range (ip_local_port_range), not from it: while the
 * server is not up, the port must not go to an outgoing connection of some other process, nor
 * to one of the very connections retried against it (a TCP connect to a closed loopback port
 * in the ephemeral range can be given that port as its source and connect to itself). Either
 * holds the port, the server then fails with EADDRINUSE, and every test after it times out.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low - 1 - Math.floor(Math.random() * Math.min(10_000, low - 1_025));
    if (await listensOn(port)) return port;
  }
  // Nothing free below the range (or no range to read): any port the kernel gives.
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

/** The first ephemeral port (Linux's default when the setting cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2_048 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Whether a listener could be opened on 127.0.0.1:`port` (and was closed again). */
function listensOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
