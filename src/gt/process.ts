// Runs one child process, the only `spawn` in the operator.
//
// Guarantees: no shell (arguments are argv elements, never interpreted); the child leads a
// new process group (`detached`), so a timeout, an abort or an output overflow kills the
// whole group with SIGKILL, grandchildren included; stdout + stderr are captured up to a
// byte cap; the promise always settles, and never rejects: every ending is a value.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface ProcessRequest {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly signal?: AbortSignal;
}

/** How a process ended. Only `exited` carries output worth interpreting. */
export type ProcessEnding =
  | {
      readonly type: 'exited';
      readonly stdout: string;
      readonly stderr: string;
      /** null when the process was killed by a signal from outside. */
      readonly exitCode: number | null;
      readonly signal: NodeJS.Signals | null;
    }
  | { readonly type: 'timeout' }
  | { readonly type: 'aborted' }
  | { readonly type: 'overflow'; readonly stdout: string }
  | { readonly type: 'spawn-error'; readonly code: string; readonly message: string };

export function runProcess(req: ProcessRequest): Promise<ProcessEnding> {
  return new Promise<ProcessEnding>((resolve) => {
    if (req.signal?.aborted) {
      resolve({ type: 'aborted' });
      return;
    }
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(req.file, [...req.args], {
        cwd: req.cwd,
        env: req.env,
        detached: true,
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      // Synchronous refusals (an argument Node rejects): nothing was started.
      resolve({ type: 'spawn-error', code: errorCode(err), message: String(err) });
      return;
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let settled = false;

    const finish = (ending: ProcessEnding): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      resolve(ending);
    };
    // Kill the group, then settle without waiting for the pipes to close: a grandchild that
    // escaped the group could hold them open forever.
    const killAndFinish = (ending: ProcessEnding): void => {
      killGroup(child.pid);
      child.stdout.destroy();
      child.stderr.destroy();
      finish(ending);
    };
    const onAbort = (): void => killAndFinish({ type: 'aborted' });
    const collect = (sink: Buffer[]) => (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > req.maxOutputBytes) {
        killAndFinish({ type: 'overflow', stdout: Buffer.concat(stdout).subarray(0, 512).toString('utf8') });
        return;
      }
      sink.push(chunk);
    };

    const timer = setTimeout(() => killAndFinish({ type: 'timeout' }), req.timeoutMs);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    child.on('error', (err) => {
      killGroup(child.pid);
      finish({ type: 'spawn-error', code: errorCode(err), message: err.message });
    });
    child.on('close', (exitCode, signal) => {
      finish({
        type: 'exited',
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        exitCode,
        signal,
      });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}
