// Starting, nudging, peeking at and ending the simulated town's real session processes (only
// for rigs whose settings configure `runtime.exec_wrapper` or an agent command; other rigs keep
// flag-only sessions). The command line follows gastown's BuildStartupCommand
// (internal/config/loader.go): `exec env <sorted exports> <exec_wrapper...> <agent argv>`, with
// the polecat exports of AgentEnv (internal/config/env.go); see docs/sim-sessions.md.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RigRuntime } from './config.ts';
import { liveSession, processAlive, readRecord, sessionFiles } from './record.ts';
import type { SessionRecord } from './record.ts';
import type { SupervisorSpec } from './supervisor.ts';

const SIM_ROOT = join(import.meta.dirname, '..', '..');
/** The scripted agent a session runs when the rig configures no agent command. */
export const SIM_AGENT = join(SIM_ROOT, 'image', 'bin', 'sim-agent');
const SUPERVISOR = join(import.meta.dirname, 'supervisor.ts');
const START_TIMEOUT_MS = 10_000;

export interface SessionTarget {
  root: string;
  rig: string;
  polecat: string;
  session: string;
  /** The polecat's worktree: the session's working directory. */
  cwd: string;
}

/** The environment gt exports for a polecat session (AgentEnv + BuildStartupCommand), sorted. */
export function polecatExports(t: SessionTarget, agentName: string): string[] {
  const role = `${t.rig}/polecats/${t.polecat}`;
  const env: Record<string, string> = {
    BD_ACTOR: role,
    BD_BACKUP_ENABLED: 'false',
    BD_DOLT_AUTO_COMMIT: 'off',
    BEADS_AGENT_NAME: `${t.rig}/${t.polecat}`,
    GIT_AUTHOR_NAME: t.polecat,
    GIT_CEILING_DIRECTORIES: t.root,
    GT_AGENT: agentName,
    GT_POLECAT: t.polecat,
    GT_PROCESS_NAMES: agentName,
    GT_RIG: t.rig,
    GT_ROLE: role,
    GT_ROOT: t.root,
    GT_SESSION: t.session,
    NODE_OPTIONS: '',
  };
  return Object.keys(env).sort().map((k) => `${k}=${env[k] ?? ''}`);
}

/** The full session command line as argv (what the tmux pane runs after `exec`). */
export function sessionArgv(t: SessionTarget, runtime: RigRuntime): string[] {
  const command = runtime.command ?? SIM_AGENT;
  return ['env', ...polecatExports(t, basename(command)), ...runtime.execWrapper, command, ...runtime.args];
}

/**
 * Starts the session unless one of that name is already live (gt never runs two sessions of a
 * name). Resolves once the session process runs and its nudge socket listens.
 */
export async function startSession(t: SessionTarget, runtime: RigRuntime, env: NodeJS.ProcessEnv): Promise<SessionRecord> {
  const live = liveSession(t.root, t.session);
  if (live !== undefined) return live;
  const token = randomUUID();
  const spec: SupervisorSpec = { root: t.root, rig: t.rig, polecat: t.polecat, session: t.session, token, cwd: t.cwd, argv: sessionArgv(t, runtime) };
  const supervisor = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', SUPERVISOR, JSON.stringify(spec)], {
    cwd: t.cwd, env, detached: true, stdio: 'ignore',
  });
  supervisor.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const record = readRecord(t.root, t.session);
    if (record?.token === token) return record;
    if (supervisor.pid === undefined || !processAlive(supervisor.pid)) break;
    await sleep(20);
  }
  throw new Error(`starting session ${t.session}: the session process did not start`);
}

/** Types a line into the session's stdin, as `tmux send-keys ... Enter` does. */
export async function nudgeSession(record: SessionRecord, message: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect(record.socket, () => {
      socket.end(`${message}\n`, () => resolve());
    });
    socket.on('error', reject);
  });
}

/** The last `lines` lines of the session's output, as `tmux capture-pane` gives them. */
export function peekSession(root: string, session: string, lines: number): string {
  const path = sessionFiles(root, session).log;
  if (!existsSync(path)) return '';
  const all = readFileSync(path, 'utf8').split('\n');
  if (all.at(-1) === '') all.pop();
  return all.slice(-lines).map((l) => `${l}\n`).join('');
}

/**
 * Ends a live session: `now` kills its process group (kill-session, nuke; SIGKILL after a few
 * seconds), otherwise after a grace period (gt done). Waits, when asked, until it is gone.
 */
export async function endSession(root: string, session: string, how: 'now' | 'grace', waitMs = 0): Promise<void> {
  const record = liveSession(root, session);
  if (record === undefined) return;
  try {
    process.kill(record.supervisorPid, how === 'now' ? 'SIGTERM' : 'SIGHUP');
  } catch {
    return;
  }
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && processAlive(record.supervisorPid)) await sleep(25);
}
