// Parser for `gt hook status <target> --json`.
//
// `gt hook status` is an alias of `gt mol status` (gastown internal/cmd/hook.go
// hookStatusCmd -> runMoleculeStatus) and prints MoleculeStatusInfo, 2-space indented
// (molecule_status.go): `{target, role, agent_bead_id?, has_work, pinned_bead?,
// attached_molecule?, attached_formula?, attached_at?, ..., is_wisp, progress?, next_action}`.
// The compact `{agent, bead_id, title, status}` line is `gt hook show --json`, a different
// command, and is not accepted here. `has_work` is required, so an unrelated object can never
// read as an empty hook. Caveats of the real command: the target is matched verbatim against
// bead assignees (a polecat is `<rig>/polecats/<name>`), and a failed bead query also prints
// `has_work: false` with exit 0, so "no work" is not proof of an empty hook.
//
// Guarantees: the pinned bead, when present, is read with the bead schema (gt re-encodes a
// beads.Issue, so its times may be in gt's or bd's format); progress figures default to 0.
import { z } from 'zod';
import type { HookStatus } from '../types.ts';
import { count, flag, optString, str } from './fields.ts';
import { parseJsonOutput } from './json.ts';
import { relayedBeadSchema } from './bead.ts';

const progress = z
  .object({
    root_id: str,
    root_title: str,
    total_steps: count,
    done_steps: count,
    in_progress_steps: count,
    percent_complete: count,
    complete: flag,
  })
  .transform((p) => ({
    rootId: p.root_id,
    rootTitle: p.root_title,
    totalSteps: p.total_steps,
    doneSteps: p.done_steps,
    inProgressSteps: p.in_progress_steps,
    percentComplete: p.percent_complete,
    complete: p.complete,
  }));

const moleculeStatus = z
  .object({
    target: z.string(),
    role: str,
    agent_bead_id: optString,
    has_work: z.boolean(),
    pinned_bead: relayedBeadSchema.nullish(),
    attached_molecule: optString,
    attached_formula: optString,
    attached_at: optString,
    is_wisp: flag,
    progress: progress.nullish(),
    next_action: optString,
  })
  .transform((h): HookStatus => ({
    target: h.target,
    role: h.role,
    agentBeadId: h.agent_bead_id,
    hasWork: h.has_work,
    ...(h.pinned_bead
      ? { hookedBead: { id: h.pinned_bead.id, title: h.pinned_bead.title, status: h.pinned_bead.status }, pinnedBead: h.pinned_bead }
      : {}),
    attachedMolecule: h.attached_molecule,
    attachedFormula: h.attached_formula,
    attachedAt: h.attached_at,
    isWisp: h.is_wisp,
    ...(h.progress ? { progress: h.progress } : {}),
    nextAction: h.next_action,
  }));

export function parseHookStatus(stdout: string): HookStatus {
  return parseJsonOutput(moleculeStatus, stdout, 'gt hook status');
}
