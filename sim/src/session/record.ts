// Where a simulated session lives on disk, in the town's `.runtime/sessions/` (the stand-in for
// the tmux server): `<session>.json` the record (supervisor pid, the session process group,
// a token naming this incarnation), `<session>.log` the captured pane output, and the nudge
// socket. The record is written only once the session process runs, and removed when it ends.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SessionRecord {
  session: string;
  rig: string;
  polecat: string;
  /** Identifies this incarnation; a later session of the same name has another. */
  token: string;
  /** The supervisor: holds the session's stdin and reports its death. */
  supervisorPid: number;
  /** The session process (`env ... <wrapper> <agent>`), leader of its own process group. */
  pid: number;
  socket: string;
  log: string;
  startedAt: string;
}

export interface SessionFiles {
  dir: string;
  record: string;
  log: string;
  socket: string;
}

/** Unix socket paths are limited to ~107 bytes; a long town path falls back to the temp dir. */
const MAX_SOCKET_PATH = 100;

export function sessionFiles(root: string, session: string): SessionFiles {
  const dir = join(root, '.runtime', 'sessions');
  let socket = join(dir, `${session}.sock`);
  if (socket.length > MAX_SOCKET_PATH) {
    const digest = createHash('sha256').update(socket).digest('hex').slice(0, 16);
    socket = join(tmpdir(), `gt-sim-${digest}.sock`);
  }
  return { dir, record: join(dir, `${session}.json`), log: join(dir, `${session}.log`), socket };
}

export function writeRecord(root: string, record: SessionRecord): void {
  const files = sessionFiles(root, record.session);
  mkdirSync(files.dir, { recursive: true });
  const tmp = `${files.record}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, files.record);
}

export function readRecord(root: string, session: string): SessionRecord | undefined {
  const path = sessionFiles(root, session).record;
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SessionRecord;
  } catch {
    return undefined;
  }
}

/** Removes the record, but only this incarnation's (a newer session keeps its own). */
export function removeRecord(root: string, session: string, token: string): void {
  const current = readRecord(root, session);
  if (current?.token !== token) return;
  rmSync(sessionFiles(root, session).record, { force: true });
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live session of that name, or undefined (no record, or its supervisor is gone). */
export function liveSession(root: string, session: string): SessionRecord | undefined {
  const record = readRecord(root, session);
  return record !== undefined && processAlive(record.supervisorPid) ? record : undefined;
}
