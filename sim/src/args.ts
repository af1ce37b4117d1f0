// A small pflag-compatible argument parser: long flags (`--x`, `--x=v`, `--x v`), short
// flags (`-n`, `-m v`), `--` ends flags, flags may come after positionals, and flags with an
// optional value (pflag's NoOptDefVal, e.g. `--notify`) take a value only as `--flag=value`.
// Unknown flags fail with pflag's exact messages, which gt prints as `Error: <msg>`.
import { CommandError } from './output.ts';

export interface FlagSpec {
  /** Boolean flags by long name. */
  bools?: readonly string[];
  /** Flags taking a value by long name. */
  values?: readonly string[];
  /** Flags with an optional value, and the value used when given bare. */
  optional?: Readonly<Record<string, string>>;
  /** Short alias -> long name. */
  short?: Readonly<Record<string, string>>;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string>;
}

function kindOf(spec: FlagSpec, name: string): 'bool' | 'value' | 'optional' | undefined {
  if (spec.bools?.includes(name) === true) return 'bool';
  if (spec.values?.includes(name) === true) return 'value';
  if (spec.optional !== undefined && name in spec.optional) return 'optional';
  return undefined;
}

interface FlagToken {
  name: string;
  kind: 'bool' | 'value' | 'optional';
  inline: string | undefined;
  display: string;
}

/** Splits `--name=v` / `-n` into a known flag, or throws pflag's unknown-flag error. */
function flagToken(arg: string, spec: FlagSpec): FlagToken {
  const isLong = arg.startsWith('--');
  const body = isLong ? arg.slice(2) : arg.slice(1);
  const eq = body.indexOf('=');
  const rawName = eq >= 0 ? body.slice(0, eq) : body;
  const name = isLong ? rawName : spec.short?.[rawName];
  const kind = name === undefined ? undefined : kindOf(spec, name);
  if (name === undefined || kind === undefined) {
    throw new CommandError(isLong ? `unknown flag: --${rawName}` : `unknown shorthand flag: '${rawName.charAt(0)}' in ${arg}`);
  }
  return { name, kind, inline: eq >= 0 ? body.slice(eq + 1) : undefined, display: isLong ? `--${name}` : `'${rawName}' in -${rawName}` };
}

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const token = flagToken(arg, spec);
    if (token.kind === 'bool') flags.set(token.name, token.inline ?? 'true');
    else if (token.kind === 'optional') flags.set(token.name, token.inline ?? spec.optional?.[token.name] ?? '');
    else if (token.inline !== undefined) flags.set(token.name, token.inline);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new CommandError(`flag needs an argument: ${token.display}`);
      flags.set(token.name, next);
      i++;
    }
  }
  return { positionals, flags };
}

export function flagBool(parsed: ParsedArgs, name: string): boolean {
  const v = parsed.flags.get(name);
  return v !== undefined && v !== 'false';
}

export function flagValue(parsed: ParsedArgs, name: string): string | undefined {
  return parsed.flags.get(name);
}
