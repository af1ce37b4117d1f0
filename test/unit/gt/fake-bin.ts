// Test helper: tiny `#!/bin/sh` executables in a temp dir, standing in for gt/bd in runner
// and client unit tests, plus process-table helpers.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FakeDir {
  readonly dir: string;
  /** Writes an executable shell script `name` with `body` and returns its path. */
  script(name: string, body: string): string;
  file(name: string): string;
  read(name: string): string;
  exists(name: string): boolean;
  cleanup(): void;
}

export function makeFakeDir(): FakeDir {
  const dir = mkdtempSync(path.join(tmpdir(), 'gt-unit-'));
  return {
    dir,
    script(name, body) {
      const p = path.join(dir, name);
      writeFileSync(p, `#!/bin/sh\n${body}\n`);
      chmodSync(p, 0o755);
      return p;
    },
    file: (name) => path.join(dir, name),
    read: (name) => readFileSync(path.join(dir, name), 'utf8'),
    exists: (name) => existsSync(path.join(dir, name)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** True while `pid` exists and is not a zombie (an unreaped zombie holds no resources). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls `check` every 20 ms until it is true or `timeoutMs` passes. */
