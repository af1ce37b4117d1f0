// What a simulated command produces: stdout, stderr and an exit code, collected in memory so
// the runtime can apply output faults (truncate, garbage, warnings) before anything is
// written, and so command handlers stay plain functions that tests can call.

export interface Output {
  stdout: string[];
  stderr: string[];
  exitCode: number;
}

export function newOutput(): Output {
  return { stdout: [], stderr: [], exitCode: 0 };
}

/** Prints a stdout line. */
export function out(o: Output, line = ''): void {
  o.stdout.push(`${line}\n`);
}

/** Prints a stderr line. */
export function err(o: Output, line: string): void {
  o.stderr.push(`${line}\n`);
}

/** Go's json.Encoder with SetIndent("", "  "): 2-space indent and a trailing newline. */
export function json(o: Output, value: unknown): void {
  o.stdout.push(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A command failure as cobra reports it: `Error: <msg>` on stderr, exit 1, and by default
 * the usage text after it (gt's convoy sub-commands set SilenceUsage).
 */
export class CommandError extends Error {
  readonly usage: boolean;
  constructor(message: string, usage = true) {
    super(message);
    this.usage = usage;
  }
}

/** Thrown for a failure that prints nothing more than what is already in the Output. */
export class ExitError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}
