// Configuration of the gt client: every knob has a default and can be overridden, first by
// the explicit config object, then by the environment (GT_PATH, BD_PATH, GT_TOWN_ROOT).
//
// Guarantees: `resolveGtConfig` returns a complete, validated config (positive integers,
// absolute town root with `~` expanded) or throws a RangeError naming the bad setting, so a
// misconfiguration fails at start-up and not on the first reconcile.
import { homedir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../observability/logger.ts';
import type { GtErrorKind } from './errors.ts';

/** One finished call, for metrics. `command` is a label without ids (`gt polecat list`). */
export interface CallEvent {
  readonly command: string;
  readonly durationMs: number;
  readonly result: 'success' | 'error';
  readonly errorKind?: GtErrorKind;
}

export interface GtClientConfig {
  /** gt binary; default env GT_PATH, else `gt` (looked up on PATH). */
  readonly gtPath?: string;
  /** bd binary; default env BD_PATH, else `bd`. */
  readonly bdPath?: string;
  /** Town root (cwd and GT_TOWN_ROOT of every call); default env GT_TOWN_ROOT, else `~/gt`. */
  readonly townRoot?: string;
  /** Per-call timeout; the whole process group is killed. Default 30 000. */
  readonly timeoutMs?: number;
  /** Cap on captured stdout + stderr; beyond it the process is killed. Default 16 MiB. */
  readonly maxOutputBytes?: number;
  /** Calls in flight at once, shared by all callers. Default 4. */
  readonly concurrency?: number;
  /** Consecutive counted failures that open the breaker. Default 5. */
  readonly breakerFailureThreshold?: number;
  /** Open period before one probe call. Default 30 000. */
  readonly breakerHalfOpenAfterMs?: number;
  /** Environment the calls inherit (filtered); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /** Observer of every finished call; must not throw (errors are logged and ignored). */
  readonly onCall?: (event: CallEvent) => void;
  /** Clock for the breaker; default `Date.now`. */
  readonly now?: () => number;
}

export interface ResolvedGtConfig {
  readonly gtPath: string;
  readonly bdPath: string;
  readonly townRoot: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly concurrency: number;
  readonly breakerFailureThreshold: number;
  readonly breakerHalfOpenAfterMs: number;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const DEFAULTS = {
  timeoutMs: 30_000,
  maxOutputBytes: 16 * 1024 * 1024,
  concurrency: 4,
  breakerFailureThreshold: 5,
  breakerHalfOpenAfterMs: 30_000,
} as const;

/**
 * Variables that change gt/bd output or limits (docs/gt-contract.md): an operator that inherited
 * them would break its own parsing, and gt's parsing of bd.
 */
export const STRIPPED_ENV = ['BD_JSON_ENVELOPE', 'BD_AGENT_MODE', 'CLAUDE_CODE'] as const;

export function resolveGtConfig(config: GtClientConfig = {}): ResolvedGtConfig {
  const env = config.env ?? process.env;
  return {
    gtPath: nonEmpty(config.gtPath) ?? nonEmpty(env.GT_PATH) ?? 'gt',
    bdPath: nonEmpty(config.bdPath) ?? nonEmpty(env.BD_PATH) ?? 'bd',
    townRoot: expandHome(nonEmpty(config.townRoot) ?? nonEmpty(env.GT_TOWN_ROOT) ?? '~/gt', env),
    timeoutMs: positiveInt('timeoutMs', config.timeoutMs ?? DEFAULTS.timeoutMs),
    maxOutputBytes: positiveInt('maxOutputBytes', config.maxOutputBytes ?? DEFAULTS.maxOutputBytes),
    concurrency: positiveInt('concurrency', config.concurrency ?? DEFAULTS.concurrency),
    breakerFailureThreshold: positiveInt(
      'breakerFailureThreshold', config.breakerFailureThreshold ?? DEFAULTS.breakerFailureThreshold),
    breakerHalfOpenAfterMs: positiveInt(
      'breakerHalfOpenAfterMs', config.breakerHalfOpenAfterMs ?? DEFAULTS.breakerHalfOpenAfterMs),
    env,
  };
}

/** The environment of every call: inherited minus STRIPPED_ENV, plus town root and NO_COLOR. */
export function callEnvironment(config: ResolvedGtConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.env)) {
    if (value !== undefined && !(STRIPPED_ENV as readonly string[]).includes(key)) out[key] = value;
  }
  out.GT_TOWN_ROOT = config.townRoot;
  out.NO_COLOR = '1';
  return out;
}

function expandHome(p: string, env: Readonly<Record<string, string | undefined>>): string {
  if (p === '~' || p.startsWith('~/')) {
    return path.resolve(path.join(nonEmpty(env.HOME) ?? homedir(), p.slice(1)));
  }
  return path.resolve(p);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`gt client setting ${name} must be a positive integer, got ${value}`);
  }
  return value;
}
