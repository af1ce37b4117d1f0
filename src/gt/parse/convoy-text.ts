// Parsers for the text-only convoy commands: `gt convoy create|add|check|close`.
//
// Guarantees: anchored regexes from gastown internal/cmd/convoy.go's Printf calls, after
// NO_COLOR=1; convoy ids are `hq-cv-` + 5 of [0-9a-z]. A create whose id line is missing is
// a ContractViolation (the convoy may or may not exist: the caller must look it up).
import type { ConvoyAddResult, ConvoyCheckResult, ConvoyCloseResult, ConvoyCreateResult } from '../types.ts';
import { ContractViolation } from './json.ts';

const CONVOY_ID = 'hq-cv-[0-9a-z]{5}';
const CREATED = new RegExp(`^\\s*(?:✓\\s*)?Created convoy 🚚 (${CONVOY_ID})\\s*$`, 'm');
const ADDED = new RegExp(`^\\s*(?:✓\\s*)?Added (\\d+) issue\\(s\\) to convoy 🚚 (${CONVOY_ID})\\s*$`, 'm');
const REOPENED = new RegExp(`^\\s*(?:↺\\s*)?Reopened convoy (${CONVOY_ID})\\s*$`, 'm');
// `✓ Auto-closed convoy 🚚 <id>: <title>` (single) and `  🚚 <id>: <title>` under
// `✓ Auto-closed N convoy(s):` (all open convoys).
const AUTO_CLOSED_ONE = new RegExp(`^\\s*(?:✓\\s*)?Auto-closed convoy 🚚 (${CONVOY_ID}):`, 'gm');
const AUTO_CLOSED_HEADER = /^\s*(?:✓\s*)?Auto-closed \d+ convoy\(s\):\s*$/m;
const AUTO_CLOSED_ITEM = new RegExp(`^\\s+🚚 (${CONVOY_ID}):`, 'gm');
const CLOSED = new RegExp(`^\\s*(?:✓\\s*)?Closed convoy 🚚 (${CONVOY_ID})(?::|\\s*$)`, 'm');
const ALREADY_CLOSED = new RegExp(`^\\s*(?:○\\s*)?Convoy (${CONVOY_ID}) is already closed\\s*$`, 'm');

export function parseConvoyCreate(stdout: string): ConvoyCreateResult {
  const m = CREATED.exec(stdout);
  if (!m) throw new ContractViolation('gt convoy create printed no `Created convoy 🚚 hq-cv-…` line', stdout);
  return { id: m[1]! };
}

export function parseConvoyAdd(stdout: string, id: string): ConvoyAddResult {
  const m = ADDED.exec(stdout);
  if (!m) throw new ContractViolation('gt convoy add printed no `Added N issue(s)` line', stdout);
  return { id: m[2] ?? id, added: Number(m[1]), reopened: REOPENED.test(stdout) };
}

export function parseConvoyCheck(stdout: string): ConvoyCheckResult {
  const ids = [...stdout.matchAll(AUTO_CLOSED_ONE)].map((m) => m[1]!);
  if (AUTO_CLOSED_HEADER.test(stdout)) ids.push(...[...stdout.matchAll(AUTO_CLOSED_ITEM)].map((m) => m[1]!));
  return { closed: [...new Set(ids)] };
}

export function parseConvoyClose(stdout: string, id: string): ConvoyCloseResult {
  if (ALREADY_CLOSED.test(stdout)) return { id, outcome: 'already-closed' };
  if (CLOSED.test(stdout)) return { id, outcome: 'closed' };
  throw new ContractViolation('gt convoy close printed neither `Closed convoy` nor `already closed`', stdout);
}
