// Argument validation before anything is executed.
//
// Guarantees: an identifier (bead id, rig, polecat, convoy id, agent address) reaches a
// process only if it matches its format from docs/gt-contract.md; free text (convoy names, mail
// subjects and bodies, sling messages) only if it holds no NUL and does not start with `-`.
// There is no shell, so quoting is not the risk: the risks are a value that gt would read
// as a flag (`--force`), a path escape (`/..`) and ids that cannot be what the caller meant.
// Failures throw GtError kind `InvalidArgument` (see errors.ts) naming the argument and why.
import { GtError } from './errors.ts';

const NAME = '[A-Za-z0-9][A-Za-z0-9_-]{0,62}';
/** `<prefix>-<alnum>` with optional `.<n>` children; prefixes are lowercase alnum with `-`. */
export const BEAD_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*-[A-Za-z0-9]+(?:\.[0-9]+)*$/;
export const CONVOY_ID = /^hq-cv-[0-9a-z]{5}$/;
export const RIG_NAME = new RegExp(`^${NAME}$`);
export const POLECAT_NAME = new RegExp(`^${NAME}$`);
/** `mayor/`, `overseer`, `<rig>/witness`, `<rig>/polecats/<name>`, `<rig>/<name>`... */
export const AGENT_ADDRESS = new RegExp(`^${NAME}(?:/${NAME}){0,2}/?$`);

const MAX_ID_LENGTH = 128;
const MAX_TEXT_LENGTH = 64 * 1024;

/** Why an identifier is unsafe, in words, or undefined if nothing specific is wrong. */
function unsafeReason(value: string): string | undefined {
  if (value === '') return 'it is empty';
  if (value.startsWith('-')) return 'it starts with "-" and would be read as a flag';
  if (/\s/.test(value)) return 'it contains whitespace';
  if (/["'`]/.test(value)) return 'it contains a quote';
  if (/[;$&|<>\\]/.test(value)) return 'it contains a shell metacharacter';
  if (value.includes('/..') || value.startsWith('..')) return 'it contains a path escape ("..")';
  if (value.length > MAX_ID_LENGTH) return `it is longer than ${MAX_ID_LENGTH} characters`;
  return undefined;
}

function invalid(command: string, what: string, value: string, reason: string): GtError {
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return new GtError('InvalidArgument', `${command}: invalid ${what} ${shown}: ${reason}`, { command });
}

function checkId(command: string, what: string, value: string, pattern: RegExp, format: string): void {
  if (typeof value !== 'string') throw invalid(command, what, String(value), 'it is not a string');
  const reason = unsafeReason(value);
  if (reason !== undefined) throw invalid(command, what, value, reason);
  if (!pattern.test(value)) throw invalid(command, what, value, `expected ${format}`);
}

export function validateBeadId(command: string, value: string): void {
  checkId(command, 'bead id', value, BEAD_ID, '<prefix>-<alnum>[.<n>] such as gt-abc12 or hq-cv-abcde.1');
}

export function validateBeadIds(command: string, values: readonly string[]): void {
  if (values.length === 0) throw invalid(command, 'bead id list', '', 'at least one bead id is required');
  for (const v of values) validateBeadId(command, v);
}

export function validateConvoyId(command: string, value: string): void {
  checkId(command, 'convoy id', value, CONVOY_ID, 'hq-cv- followed by 5 of [0-9a-z]');
}

export function validateRigName(command: string, value: string): void {
  checkId(command, 'rig name', value, RIG_NAME, 'letters, digits, "-" or "_", starting with a letter or digit');
}

export function validatePolecatName(command: string, value: string): void {
  checkId(command, 'polecat name', value, POLECAT_NAME, 'letters, digits, "-" or "_", starting with a letter or digit');
}

export function validateAddress(command: string, value: string): void {
  checkId(command, 'agent address', value, AGENT_ADDRESS, 'an address such as mayor/, <rig>/witness or <rig>/polecats/<name>');
}

/** Free text passed as one argv element: any characters but NUL, not starting with `-`. */
export function validateText(command: string, what: string, value: string, options: { singleLine?: boolean } = {}): void {
  if (typeof value !== 'string') throw invalid(command, what, String(value), 'it is not a string');
  if (value.trim() === '') throw invalid(command, what, value, 'it is empty');
  if (value.includes('\0')) throw invalid(command, what, value, 'it contains a NUL character');
  if (value.startsWith('-')) throw invalid(command, what, value, 'it starts with "-" and would be read as a flag');
  if (options.singleLine && /[\r\n]/.test(value)) throw invalid(command, what, value, 'it must be a single line');
  if (value.length > MAX_TEXT_LENGTH) throw invalid(command, what, value, `it is longer than ${MAX_TEXT_LENGTH} characters`);
}
