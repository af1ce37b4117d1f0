// Finding and validating JSON in CLI output.
//
// Guarantees: JSON is read from the first line that starts with `[` or `{` (some bd versions
// print `warning:` lines on stdout before it), bd's `{"schema_version","data"}` envelope is
// unwrapped when present, and anything that does not match the schema throws a
// ContractViolation carrying a short excerpt; the runner turns it into a GtError ParseError
// labelled with the command.
import type { z } from 'zod';
import { excerptOf } from '../errors.ts';

/** Output that breaks docs/gt-contract.md. Internal: callers see GtError kind ParseError. */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
  readonly excerpt: string;

  constructor(message: string, output: string) {
    super(message);
    this.excerpt = excerptOf(output);
  }
}

/**
 * Parses the JSON document that starts at the first line beginning with `[` or `{` (or a
 * bare `null` line: Go encodes a nil slice that way).
 */
export function extractJson(stdout: string): unknown {
  const match = /^[ \t]*(?:[[{]|null[ \t]*$)/m.exec(stdout);
  if (!match) throw new ContractViolation('no JSON document in output', stdout);
  const text = stdout.slice(match.index);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ContractViolation(`malformed JSON (${reason})`, text);
  }
}

/** bd's optional envelope (`BD_JSON_ENVELOPE=1`): `{"schema_version": n, "data": ...}`. */
export function unwrapBdEnvelope(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'data' in value && 'schema_version' in value) {
    return (value as { data: unknown }).data;
  }
  return value;
}

/** Validates `value` with `schema`, reporting the first issues and an excerpt of `output`. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, output: string, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  throw new ContractViolation(`${what} does not match the contract: ${issues}`, output);
}

/** `extractJson` + `validate` for commands whose whole stdout is one JSON document. */
export function parseJsonOutput<S extends z.ZodType>(schema: S, stdout: string, what: string): z.output<S> {
  return validate(schema, extractJson(stdout), stdout, what);
}

/** True when stdout, ignoring blank lines and leading warnings, is exactly `line`. */
export function isPlainReply(stdout: string, line: string): boolean {
  return stdout.split(/\r?\n/).some((l) => l.trim() === line) && !/^[ \t]*[[{]/m.test(stdout);
}
