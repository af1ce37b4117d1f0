// Parser for the text output of `gt sling <bead> <rig>` (there is no --json).
//
// Guarantees: every line is matched with an anchored regex taken from gastown's own Printf
// calls (internal/cmd/sling*.go, polecat_spawn.go), after NO_COLOR=1; the polecat name
// comes from the `🎯 Slinging <bead> to <rig>/polecats/<name>...` line, which names it for
// both a fresh and a reused polecat. Output that shows none of the known outcomes is a
// ContractViolation: a sling whose result we cannot read must not be mistaken for success.
import type { SlingResult } from '../types.ts';
import { ContractViolation } from './json.ts';

const NAME = '[A-Za-z0-9][A-Za-z0-9_-]*';
const ID = '[a-z0-9][a-z0-9-]*-[a-z0-9]+(?:\\.[0-9]+)*';
const CONVOY_ID = 'hq-cv-[0-9a-z]{5}';

const SLINGING = new RegExp(`^\\s*(?:🎯\\s*)?Slinging (${ID}) to (${NAME})/polecats/(${NAME})\\.\\.\\.\\s*$`);
const CREATED_POLECAT = new RegExp(`^\\s*Created polecat: (${NAME})\\s*$`);
const REUSING_POLECAT = new RegExp(`^\\s*Reusing idle polecat: (${NAME})\\s*$`);
const CREATED_CONVOY = new RegExp(`^\\s*→\\s*Created convoy (?:🚚\\s*)?(${CONVOY_ID})\\s*$`);
const TRACKED_CONVOY = new RegExp(`^\\s*○\\s*Already tracked by convoy (${CONVOY_ID})\\s*$`);
const ALREADY = new RegExp(
  `^\\s*○\\s*Bead (${ID}) is already (\\S+) to (${NAME})/polecats/(${NAME}), no-op\\s*$`);
const SCHEDULED = new RegExp(`^\\s*✓\\s*Scheduled (${ID}) → (${NAME})(?:\\s.*)?$`);
// Scheduler mode's idempotent no-op (gastown sling_schedule.go scheduleBead), exit 0.
const ALREADY_SCHEDULED = new RegExp(`^\\s*○\\s*Bead (${ID}) is already scheduled \\(context: [^)]*\\), no-op\\s*$`);

function firstMatch(lines: readonly string[], pattern: RegExp): RegExpExecArray | undefined {
  for (const line of lines) {
    const m = pattern.exec(line);
    if (m) return m;
  }
  return undefined;
}

export function parseSling(stdout: string, bead: string, rig: string): SlingResult {
  const lines = stdout.split(/\r?\n/);
  const already = firstMatch(lines, ALREADY);
  if (already) {
    return { outcome: 'already', bead, rig: already[3]!, polecatName: already[4]!, beadStatus: already[2]! };
  }
  const slinging = firstMatch(lines, SLINGING);
  if (slinging) {
    const reused = firstMatch(lines, REUSING_POLECAT) !== undefined;
    const created = firstMatch(lines, CREATED_CONVOY);
    const tracked = created ?? firstMatch(lines, TRACKED_CONVOY);
    return {
      outcome: reused ? 'reused' : 'spawned',
      bead,
      rig: slinging[2]!,
      polecatName: slinging[3]!,
      ...(tracked ? { convoyId: tracked[1]! } : {}),
      convoyCreated: created !== undefined,
    };
  }
  if (firstMatch(lines, SCHEDULED) || firstMatch(lines, ALREADY_SCHEDULED)) return { outcome: 'scheduled', bead, rig };
  // A `Created polecat:` line without the Slinging line means gt stopped half-way.
  const partial = firstMatch(lines, CREATED_POLECAT) ? ' (a polecat was created but no Slinging line followed)' : '';
  throw new ContractViolation(`gt sling printed no recognised outcome${partial}`, stdout);
}
