// Errors of the gt client: one class, `GtError`, whose `kind` tells a caller what to do.
//
// Guarantees: every failure that leaves src/gt/ is a GtError (never a raw spawn error, zod
// error or string), so a controller can `switch (err.kind)` exhaustively:
//   NotFound        the CLI said the thing does not exist (exact texts of docs/gt-contract.md).
//                   `possiblyTransient` is set when gt prints the same text for a down
//                   database (`convoy '<id>' not found`): confirm before concluding.
//   Transient       timeout, breaker open, cancelled, or a refusal gt itself calls
//                   transient (`already being slung; retry`). Retry with backoff.
//   CLIError        the CLI refused (exit != 0) for a reason of its own; `stderr` holds it.
//                   A refused nuke carries the structured reasons in `blocked`.
//   ParseError      output that is not what the contract says; `excerpt` shows the start.
//   Unavailable     the binary cannot be run (ENOENT/EACCES) or crashed (Go panic);
//                   the message says which env var to set.
//   InvalidArgument an identifier or text failed validation before any process was started.
//                   A sixth kind rather than a separate class so one `switch` covers every
//                   outcome; it is permanent (retrying the same input cannot help) and never
//                   counts against the circuit breaker, because nothing was executed.
import type { NukeBlockedPolecat } from './types.ts';

export const GT_ERROR_KINDS = [
  'NotFound', 'Transient', 'CLIError', 'ParseError', 'Unavailable', 'InvalidArgument',
] as const;
export type GtErrorKind = (typeof GT_ERROR_KINDS)[number];

export interface GtErrorDetails {
  /** Command label without ids, e.g. `gt polecat list` (safe as a metrics label). */
  readonly command: string;
  readonly exitCode?: number | null;
  /** First line of stderr, `Error: ` prefix kept as printed. */
  readonly stderr?: string;
  /** Short start of the offending output (ParseError) or of stdout. */
  readonly excerpt?: string;
  readonly possiblyTransient?: boolean;
  readonly blocked?: readonly NukeBlockedPolecat[];
  /** True when no gt/bd process was started (validation, breaker open, spawn failure, cancel while queued). */
  readonly notStarted?: boolean;
  readonly cause?: unknown;
}

export class GtError extends Error {
  override readonly name = 'GtError';
  readonly kind: GtErrorKind;
  readonly command: string;
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly excerpt: string;
  /** True when this NotFound may really be an outage (gt prints the same text for both). */
  readonly possiblyTransient: boolean;
  /** Set on a refused `polecat nuke`: which polecats blocked it and why. */
  readonly blocked: readonly NukeBlockedPolecat[];
  /**
   * False when the call provably had no effect in the town because no process was started:
   * argument validation, an open breaker, a spawn failure (ENOENT/EACCES), or a cancel while
   * queued. Anything else (crash, timeout, CLI error) may have acted before failing.
   */
  readonly started: boolean;

  constructor(kind: GtErrorKind, message: string, details: GtErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.command = details.command;
    this.exitCode = details.exitCode ?? null;
    this.stderr = details.stderr ?? '';
    this.excerpt = details.excerpt ?? '';
    this.possiblyTransient = details.possiblyTransient ?? false;
    this.blocked = details.blocked ?? [];
    this.started = !(details.notStarted ?? kind === 'InvalidArgument');
  }
}

export function isGtError(value: unknown): value is GtError {
  return value instanceof GtError;
}

/** Longest excerpt of CLI output carried in errors and logs. */
export const EXCERPT_CHARS = 200;

/** The first `max` characters of `text`, on one line, for error messages. */
export function excerptOf(text: string, max: number = EXCERPT_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
