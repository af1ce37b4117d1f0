// `POST /v1/exec` (gastown internal/proxy/exec.go handleExec, checks in its order): body
// <= 1 MiB JSON `{"argv": [...]}`; argv[0] must be an allowed binary and argv[1] an allowed
// sub-command (403 otherwise); then the caller's token bucket (429) and the global
// concurrency cap (503); the command runs with the binary resolved at startup, the town root
// as cwd, an environment of HOME and PATH only plus GT_PROXY_IDENTITY=<rig>/<name> from the
// client certificate (upstream passes the identity this way, not as an argv flag) and
// GT_TOWN_ROOT (the simulator finds its town by it), and is killed after the timeout. A run
// command always answers 200 `{"stdout","stderr","exitCode"}`; a killed one has exitCode -1.
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, httpError, readLimited } from './http.ts';
import type { Semaphore, TokenBuckets } from './limits.ts';

export const MAX_EXEC_BODY = 1 << 20;

export interface ExecPolicy {
  townRoot: string;
  /** Allowed binary name -> absolute path resolved at startup. */
  binaries: ReadonlyMap<string, string>;
  /** Binary name -> allowed sub-commands; a binary without an entry allows any. */
  subcommands: ReadonlyMap<string, ReadonlySet<string>>;
  timeoutMs: number;
  buckets: TokenBuckets;
  slots: Semaphore;
  /** Extra environment for the commands (the simulator's GT_SIM_NODE); never credentials. */
  extraEnv: Readonly<Record<string, string>>;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** HOME and PATH of the proxy's own environment, and nothing else (no credentials). */
export function hostEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['HOME', 'PATH']) {
    const v = process.env[key];
    if (v !== undefined && v !== '') env[key] = v;
  }
  return env;
}

function minimalEnv(policy: ExecPolicy, identity: string): NodeJS.ProcessEnv {
  return { ...policy.extraEnv, GT_TOWN_ROOT: policy.townRoot, GT_PROXY_IDENTITY: identity, ...hostEnv() };
}

export function runCommand(path: string, args: readonly string[], policy: ExecPolicy, identity: string): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(path, args, { cwd: policy.townRoot, env: minimalEnv(policy, identity), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, policy.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: `${stderr}${error.message}\n`, exitCode: 1 });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, exitCode: code ?? -1 });
    });
  });
}

function parseArgv(body: Buffer): string[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return `bad request: ${error instanceof Error ? error.message : String(error)}`;
  }
  const argv = (parsed as { argv?: unknown } | null)?.argv;
  if (argv === undefined || argv === null) return [];
  if (!Array.isArray(argv) || !argv.every((a): a is string => typeof a === 'string')) return 'bad request: argv must be an array of strings';
  return argv;
}

/** Checks the allowlists; the refusal message, or undefined when allowed. */
function refusal(policy: ExecPolicy, argv: readonly string[]): string | undefined {
  const [cmd = '', sub] = argv;
  if (!policy.binaries.has(cmd)) return `command not allowed: ${JSON.stringify(cmd)}`;
  const subs = policy.subcommands.get(cmd);
  if (subs === undefined) return undefined;
  if (sub === undefined) return 'subcommand required';
  return subs.has(sub) ? undefined : `subcommand not allowed: ${JSON.stringify(cmd)} ${JSON.stringify(sub)}`;
}

export async function handleExec(req: IncomingMessage, res: ServerResponse, policy: ExecPolicy, identity: string): Promise<void> {
  if (req.method !== 'POST') return httpError(res, 405, 'method not allowed');
  let body: Buffer;
  try {
    body = await readLimited(req, MAX_EXEC_BODY);
  } catch (error) {
    return httpError(res, 400, `bad request: ${error instanceof BodyTooLarge ? error.message : 'read error'}`);
  }
  const argv = parseArgv(body);
  if (typeof argv === 'string') return httpError(res, 400, argv);
  if (argv.length === 0) return httpError(res, 400, 'argv is empty');
  const refused = refusal(policy, argv);
  if (refused !== undefined) return httpError(res, 403, refused);
  if (!policy.buckets.allow(identity)) return httpError(res, 429, 'rate limit exceeded');
  const release = policy.slots.tryAcquire();
  if (release === undefined) return httpError(res, 503, 'server busy');
  try {
    const result = await runCommand(policy.binaries.get(argv[0] ?? '') ?? '', argv.slice(1), policy, identity);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(result)}\n`);
  } finally {
    release();
  }
}
