// Parser for the refusal of `gt polecat nuke` (no --json exists).
//
// Guarantees: reads the block gastown's displaySafetyCheckBlocked prints on **stdout**
// (`Error: Cannot nuke the following polecats:`, then `  <rig>/<name>:` and `    - <reason>`
// lines, up to `Safety checks failed.`), so a refused nuke can say exactly why. The
// `Error: blocked: N polecat(s) have active work` line is on stderr and is recognised here.
import type { NukeBlockedPolecat } from '../types.ts';

export const NUKE_BLOCKED_STDERR = /^Error: blocked: \d+ polecat\(s\) have active work/m;

const HEADER = /^\s*(?:Error:\s*)?Cannot nuke the following polecats:\s*$/;
const END = /^\s*Safety checks failed\./;
const TARGET = /^\s+(\S+\/\S+):\s*$/;
const REASON = /^\s+-\s+(.+?)\s*$/;

export function parseNukeBlocked(stdout: string): NukeBlockedPolecat[] {
  const lines = stdout.split(/\r?\n/);
  const start = lines.findIndex((l) => HEADER.test(l));
  if (start < 0) return [];
  const blocked: { target: string; reasons: string[] }[] = [];
  for (const line of lines.slice(start + 1)) {
    if (END.test(line)) break;
    const target = TARGET.exec(line);
    if (target) {
      blocked.push({ target: target[1]!, reasons: [] });
      continue;
    }
    const reason = REASON.exec(line);
    if (reason && blocked.length > 0) blocked[blocked.length - 1]!.reasons.push(reason[1]!);
  }
  return blocked;
}
