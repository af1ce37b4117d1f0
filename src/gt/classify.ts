// Turns a failed gt/bd process into a GtError of the right kind.
//
// Guarantees: the kind depends only on the exit code and the first `Error:` line of stderr
// (Cobra prints every error that way, docs/gt-contract.md "General behaviour"), matched against
// the contract's exact texts with anchored regexes; anything unrecognised is a CLIError that
// keeps the text. Crashes (a Go panic exits 2; a signal) and a database that is down are
// `Unavailable`: gt/bd are not usable right now, whatever was asked.
import { GtError, excerptOf } from './errors.ts';

/** A finished process that exited with a code other than 0 (or was killed by a signal). */
export interface FailedExit {
  readonly command: string;
  readonly binName: 'gt' | 'bd';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface NotFoundRule {
  readonly pattern: RegExp;
  /** gt prints this text for other failures too (a down database). */
  readonly possiblyTransient: boolean;
}

const NOT_FOUND: readonly NotFoundRule[] = [
  { pattern: /^rig '[^']*' not found/, possiblyTransient: false },
  { pattern: /^polecat '[^']*' not found in rig '[^']*'/, possiblyTransient: false },
  // `gt convoy status` prints this for any bd failure too (docs/gt-contract.md, Convoys).
  { pattern: /^convoy '[^']*' not found/, possiblyTransient: true },
  // gt sling's getBeadInfo (and the scheduler's verifyBeadExists) print this for any bd
  // failure, a database that is down included (gastown internal/cmd/sling_helpers.go).
  { pattern: /^checking bead status: bead '[^']*' not found/, possiblyTransient: true },
  { pattern: /^bead '[^']*' not found/, possiblyTransient: true },
];

/** Refusals gt itself asks to retry. */
const TRANSIENT: readonly RegExp[] = [/^bead \S+ is already being slung; retry/];

/** bd fails fast when the town's Dolt server is down; these are its connection failures. */
const DATABASE_DOWN: readonly RegExp[] = [
  /connection refused/i,
  /dial tcp/i,
  /dolt server (?:is )?(?:not running|unreachable|unavailable|down)/i,
  /database (?:is )?(?:unavailable|down|not running|unreachable)/i,
  /failed to connect to (?:the )?(?:dolt|database)/i,
];

const NOT_IN_TOWN = /^not in a Gas Town workspace/;

/** The first `Error: ...` line of stderr (warnings may come first), else the first line. */
export function firstErrorLine(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  return lines.find((l) => l.startsWith('Error:')) ?? lines[0] ?? '';
}

/** The message of an `Error: <message>` line, without the prefix. */
export function errorMessage(line: string): string {
  return line.startsWith('Error:') ? line.slice('Error:'.length).trim() : line;
}

export function isCrash(exit: Pick<FailedExit, 'exitCode' | 'signal' | 'stderr'>): boolean {
  if (exit.signal !== null || exit.exitCode === null) return true;
  // Cobra exits 1 on every error; anything else (Go's panic exit 2) is a crash.
  return exit.exitCode !== 1 || /^panic: /m.test(exit.stderr);
}

export function classifyFailure(exit: FailedExit): GtError {
  const line = firstErrorLine(exit.stderr);
  const message = errorMessage(line);
  const details = {
    command: exit.command,
    exitCode: exit.exitCode,
    stderr: line,
    excerpt: excerptOf(exit.stdout),
  };
  if (isCrash(exit)) {
    const how = exit.signal !== null ? `signal ${exit.signal}` : `exit ${exit.exitCode}`;
    return new GtError('Unavailable', `${exit.binName} crashed (${how}) running ${exit.command}: ${line}`, details);
  }
  if (NOT_IN_TOWN.test(message)) {
    return new GtError('Unavailable',
      `${exit.command}: ${message}; set GT_TOWN_ROOT to the town root (the directory holding mayor/town.json)`,
      details);
  }
  const notFound = NOT_FOUND.find((rule) => rule.pattern.test(message));
  if (notFound) {
    return new GtError('NotFound', `${exit.command}: ${message}`, {
      ...details,
      possiblyTransient: notFound.possiblyTransient,
    });
  }
  if (TRANSIENT.some((p) => p.test(message))) {
    return new GtError('Transient', `${exit.command}: ${message}`, details);
  }
  if (DATABASE_DOWN.some((p) => p.test(exit.stderr))) {
    return new GtError('Unavailable', `${exit.command}: the town database is unavailable: ${message}`, details);
  }
  return new GtError('CLIError', `${exit.command} failed (exit ${exit.exitCode}): ${message || '(no stderr)'}`, details);
}

/**
 * A listing gt reported as complete (exit 0) but that skipped some rigs. Treated as a
 * failure, never as a shorter list: a missing polecat must not read as a removed one
 * (gastown #2638). A database outage is Unavailable; anything else a CLIError.
 */
export function partialListingError(command: string, skipped: readonly { rig: string; reason: string }[]): GtError {
  const reasons = skipped.map((s) => `${s.rig}: ${s.reason}`).join('; ');
  const dbDown = skipped.some((s) => DATABASE_DOWN.some((p) => p.test(s.reason)));
  const message = `${command} could not list every rig (${reasons}); refusing to return a partial list`;
  return new GtError(dbDown ? 'Unavailable' : 'CLIError', message, {
    command,
    exitCode: 0,
    stderr: `warning: failed to list polecats in ${skipped[0]?.rig ?? ''}: ${skipped[0]?.reason ?? ''}`,
  });
}
