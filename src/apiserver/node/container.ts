// One container run of the local node: a host process in its own process group, its output
// appended to a log file (what `kubectl logs` reads) and fanned out to attached clients, its
// stdin fed by them. A `tty` container runs under util-linux `script`, which gives it a
// pseudo-terminal without a native addon; resizing sets the size of that terminal with `stty`.
// Processes are spawned without a shell, except the one command line `script -c` needs, built
// with POSIX quoting. A memory limit is enforced the way a cgroup OOM kill looks to the
// kubelet: the resident memory of the container's process tree is sampled, and over the limit
// the whole group is SIGKILLed and the exit is reported as reason OOMKilled, exit code 137.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, readlinkSync, type WriteStream } from 'node:fs';
import { shellQuote } from './pod-spec.ts';

export interface ContainerLaunch {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  tty: boolean;
  stdin: boolean;
  logPath: string;
  /** Kill the container (OOMKilled) when its process tree's resident memory exceeds this. */
  memoryLimitBytes?: number;
}

/** How often the memory of a limited container is sampled. */
const MEMORY_SAMPLE_MS = 100;
const PAGE_SIZE = 4096;

export interface ExitInfo {
  exitCode: number;
  signal: NodeJS.Signals | null;
  reason: string;
}

export type OutputListener = (stream: 'stdout' | 'stderr', data: Buffer) => void;

/** Runs `launch` (exec, attach and pod containers all use it). */
export function spawnContainerProcess(launch: Omit<ContainerLaunch, 'logPath'>): ChildProcess {
  const [cmd, ...args] = launch.argv;
  if (cmd === undefined) throw new Error('no command to run');
  const stdio: ('pipe' | 'ignore')[] = [launch.stdin || launch.tty ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  if (launch.tty) {
    // `script` runs the line with $SHELL -c; -e returns the child's exit code, -f flushes.
    return spawn('script', ['-qfec', `exec ${shellQuote(launch.argv)}`, '/dev/null'], {
      cwd: launch.cwd, env: { ...launch.env, SHELL: '/bin/sh', TERM: launch.env.TERM ?? 'xterm' }, detached: true, stdio,
    });
  }
  return spawn(cmd, args, { cwd: launch.cwd, env: launch.env, detached: true, stdio });
}

/** The pseudo-terminal of a `script`-run process (its child's stdin), if any. */
function ptyOf(pid: number): string | undefined {
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/)) {
        if (child === '') continue;
        const tty = readlinkSync(`/proc/${child}/fd/0`);
        if (tty.startsWith('/dev/pts/')) return tty;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Sets the window size of a tty process (the kernel sends SIGWINCH to its foreground group). */
export function resizeTty(child: ChildProcess, width: number, height: number): void {
  if (child.pid === undefined || !Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) return;
  const pty = ptyOf(child.pid);
  if (pty === undefined) return;
  spawn('stty', ['-F', pty, 'cols', String(width), 'rows', String(height)], { stdio: 'ignore' }).on('error', () => undefined);
}

/** The direct children of a process (from /proc; empty when it is gone). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter((c) => c !== '').map(Number));
  } catch {
    return [];
  }
}

/** The process and all its descendants. */
function processTree(pid: number): number[] {
  const seen: number[] = [];
  const queue = [pid];
  for (let p = queue.pop(); p !== undefined; p = queue.pop()) {
    seen.push(p);
    queue.push(...childrenOf(p));
  }
  return seen;
}

/** Resident memory of a process tree in bytes (statm's second field, in pages). */
export function treeRssBytes(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      total += Number(readFileSync(`/proc/${p}/statm`, 'utf8').split(' ')[1] ?? 0) * PAGE_SIZE;
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

/** Signals the whole process group (the container and everything it started). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    // The leader is gone; children may still hold the group.
    if (child.pid !== undefined) tryKill(-child.pid, signal);
    return;
  }
  tryKill(-child.pid, signal);
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

export class ContainerProcess {
  readonly child: ChildProcess;
  readonly startedAt: Date;
  readonly exited: Promise<ExitInfo>;
  private readonly log: WriteStream;
  private readonly listeners = new Set<OutputListener>();
  private stopReason: string | undefined;

  constructor(launch: ContainerLaunch) {
    this.log = createWriteStream(launch.logPath, { flags: 'a', mode: 0o600 });
    this.startedAt = new Date();
    this.child = spawnContainerProcess(launch);
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.write('stderr', Buffer.from(`${err.message}\n`));
        resolve({ exitCode: 128, signal: null, reason: 'StartError' });
      });
      this.child.on('close', (code, signal) => {
        this.log.end();
        const exitCode = code ?? (signal === null ? 0 : 128 + (signalNumber(signal) ?? 0));
        resolve({ exitCode, signal, reason: this.stopReason ?? (exitCode === 0 ? 'Completed' : 'Error') });
      });
    });
    if (launch.memoryLimitBytes !== undefined) this.watchMemory(launch.memoryLimitBytes);
    this.child.stdout?.on('data', (d: Buffer) => this.write('stdout', d));
    this.child.stderr?.on('data', (d: Buffer) => this.write('stderr', d));
    this.child.stdin?.on('error', () => undefined);
  }

  /** Samples the tree's memory; over `limit`, SIGKILLs the group as the kernel's OOM killer would. */
  private watchMemory(limit: number): void {
    const timer = setInterval(() => {
      const pid = this.child.pid;
      if (pid === undefined || !this.running) return;
      if (treeRssBytes(pid) <= limit) return;
      this.stopReason ??= 'OOMKilled';
      for (const p of processTree(pid)) tryKill(p, 'SIGKILL');
      signalGroup(this.child, 'SIGKILL');
    }, MEMORY_SAMPLE_MS);
    timer.unref();
    void this.exited.then(() => clearInterval(timer));
  }

  private write(stream: 'stdout' | 'stderr', data: Buffer): void {
    this.log.write(data);
    for (const l of this.listeners) l(stream, data);
  }

  /** Live output from now on; returns the unsubscribe function. */
  subscribe(listener: OutputListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  writeStdin(data: Buffer): void {
    if (this.child.stdin !== null && !this.child.stdin.destroyed) this.child.stdin.write(data);
  }

  closeStdin(): void {
    this.child.stdin?.end();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM to the group, SIGKILL after the grace period; resolves when the process is gone. */
  async stop(graceSeconds: number, reason: string): Promise<ExitInfo> {
    this.stopReason ??= reason;
    signalGroup(this.child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.child, 'SIGKILL'), Math.max(0, graceSeconds) * 1000);
    const info = await this.exited;
    clearTimeout(timer);
    // Anything the container left behind in its group goes too.
    signalGroup(this.child, 'SIGKILL');
    return info;
  }
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
  return table[signal];
}
