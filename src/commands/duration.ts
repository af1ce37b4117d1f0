// Durations on the command line: `500ms`, `10s`, `15m`, `1h`, `1m30s`, or a bare number of
// milliseconds — the forms Kubernetes users type for controller-runtime and kubectl flags.
import { InvalidArgumentError } from 'commander';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new InvalidArgumentError(`"${text}" is not a duration (use e.g. 500ms, 10s, 15m, 1h30m)`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2] ?? 'ms'] ?? 1), 0));
}

/** A duration that must be positive. */
export function positiveDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms <= 0) throw new InvalidArgumentError('must be longer than 0');
  return ms;
}

/** A duration where 0 means "off". */
export function durationOrOff(text: string): number {
  return text.trim() === 'off' ? 0 : parseDuration(text);
}
