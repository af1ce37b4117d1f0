// The call log `<town>/.sim/calls.jsonl`: one line per gt/bd invocation, written at exit, so
// tests and benchmarks can count what the operator actually executed. Each line is a single
// small O_APPEND write, which the kernel keeps whole between concurrent writers on a local
// file system, so no lock is taken on this hot path.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { townPaths } from './paths.ts';

export interface CallRecord {
  ts: string;
  bin: 'gt' | 'bd';
  args: string[];
  durationMs: number;
  /** null when the process died by a signal (e.g. a hang fault terminated with SIGTERM). */
  exitCode: number | null;
}

export function appendCall(root: string, record: CallRecord): void {
  try {
    appendFileSync(townPaths(root).calls, `${JSON.stringify(record)}\n`);
  } catch {
    // The town may have been deleted under a still-running call (test teardown): nothing to log to.
  }
}

export function readCalls(root: string): CallRecord[] {
  const path = townPaths(root).calls;
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CallRecord);
}

export function clearCalls(root: string): void {
  writeFileSync(townPaths(root).calls, '');
}
