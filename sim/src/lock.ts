// A cross-process exclusive lock made of an O_EXCL-created file, since Node has no flock.
// Many short-lived gt/bd processes contend for it, so it polls with jitter rather than
// blocking. A holder that died (its pid is gone) or held it implausibly long is treated as
// stale and the lock file is removed; the window in which two waiters both judge the same
// lock stale is a few microseconds and only exists after a crash.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A lock older than this is stale even if its pid lives (pid reuse, frozen holder). */
const STALE_AFTER_MS = 30_000;
const GIVE_UP_AFTER_MS = 60_000;

function holderIsGone(path: string): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return false; // released meanwhile: just retry the create
  }
  const [pidText, sinceText] = text.split(' ');
  const pid = Number(pidText);
  const since = Number(sinceText);
  if (Number.isFinite(since) && Date.now() - since > STALE_AFTER_MS) return true;
  if (!Number.isInteger(pid) || pid <= 0) return text.length > 0; // torn write: the creator died mid-write
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, `${process.pid} ${Date.now()}`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function release(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already removed by a stale-lock recovery; nothing left to release.
  }
}

/** Runs `fn` while holding the lock file at `path`. */
export async function withLock<T>(path: string, fn: () => T | Promise<T>): Promise<T> {
  const deadline = Date.now() + GIVE_UP_AFTER_MS;
  let delay = 2;
  while (!tryCreate(path)) {
    if (holderIsGone(path)) {
      release(path);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 25);
  }
  try {
    return await fn();
  } finally {
    release(path);
  }
}
