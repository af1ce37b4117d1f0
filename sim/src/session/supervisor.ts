// The simulated tmux server for one session: started detached by `gt sling`, it runs the
// session command (`env GT_...=... <exec_wrapper...> <agent argv>`) as the leader of its own
// process group, appends its stdout/stderr to the session log (what `gt peek` shows), forwards
// whatever is written to the session socket into its stdin (what `gt nudge` types), and when
// the process exits it records the session's death: the polecat's session stops running and
// a `session_death` event is logged unless gt itself ended the session (done, nuke, kill).
// Signals: SIGTERM ends the session now (kill-session, nuke); SIGHUP ends it after a grace
// period (gt done, which lets the agent finish its own exit).
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { agentAddress, findPolecat, sessionName } from '../domain.ts';
import { appendEvents } from '../events.ts';
import type { EventInput } from '../events.ts';
import { mutateState } from '../store.ts';
import { removeRecord, sessionFiles, writeRecord } from './record.ts';

export interface SupervisorSpec {
  root: string;
  rig: string;
  polecat: string;
  session: string;
  token: string;
  cwd: string;
  argv: string[];
}

const KILL_AFTER_MS = 3000;
const DONE_GRACE_MS = 5000;

function deathReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `session process killed by ${signal}` : `session process exited with code ${code ?? 0}`;
}

async function reportDeath(spec: SupervisorSpec, reason: string): Promise<void> {
  const events: EventInput[] = [];
  await mutateState(spec.root, (state) => {
    const p = findPolecat(state, spec.rig, spec.polecat);
    // Already ended by gt (done, nuke, kill-session) or gone: nothing died unexpectedly.
    if (p === undefined || !p.sessionRunning) return;
    p.sessionRunning = false;
    events.push({ type: 'session_death', actor: 'daemon', payload: { session: sessionName(state, p.rig, p.name), agent: agentAddress(p), reason, caller: 'daemon' } });
  });
  if (events.length > 0) await appendEvents(spec.root, events);
}

function main(spec: SupervisorSpec): void {
  const files = sessionFiles(spec.root, spec.session);
  mkdirSync(files.dir, { recursive: true });
  const logFd = openSync(files.log, 'w', 0o600);
  rmSync(files.socket, { force: true });
  const [command = 'env', ...args] = spec.argv;
  const child = spawn(command, args, { cwd: spec.cwd, stdio: ['pipe', logFd, logFd], detached: true });
  // The agent may close its stdin; a nudge after that is simply lost, as keystrokes would be.
  const stdin = child.stdin;
  stdin?.on('error', () => undefined);
  const server = createServer((conn) => {
    conn.on('data', (chunk) => stdin?.write(chunk));
    conn.on('error', () => undefined);
  });
  const killGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const endSession = (afterMs: number): void => {
    setTimeout(() => killGroup('SIGTERM'), afterMs).unref();
    setTimeout(() => killGroup('SIGKILL'), afterMs + KILL_AFTER_MS).unref();
  };
  process.on('SIGTERM', () => endSession(0));
  process.on('SIGINT', () => endSession(0));
  process.on('SIGHUP', () => endSession(DONE_GRACE_MS));
  let finished = false;
  const finish = (reason: string): void => {
    if (finished) return;
    finished = true;
    server.close();
    rmSync(files.socket, { force: true });
    removeRecord(spec.root, spec.session, spec.token);
    void reportDeath(spec, reason).finally(() => process.exit(0));
  };
  child.on('error', (error) => finish(`session process failed to start: ${error.message}`));
  child.on('exit', (code, signal) => finish(deathReason(code, signal)));
  child.on('spawn', () => {
    server.listen(files.socket, () => {
      writeRecord(spec.root, {
        session: spec.session, rig: spec.rig, polecat: spec.polecat, token: spec.token, supervisorPid: process.pid,
        pid: child.pid ?? 0, socket: files.socket, log: files.log, startedAt: new Date().toISOString(),
      });
    });
  });
}

main(JSON.parse(process.argv[2] ?? '{}') as SupervisorSpec);
