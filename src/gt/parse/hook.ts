// Parser for `gt hook status <target> --json`.
//
// Two shapes exist in gastown (internal/cmd/hook.go): `gt hook status` runs
// runMoleculeStatus and prints MoleculeStatusInfo (`{target, role, has_work, pinned_bead?,
// attached_molecule?, progress?, ...}`, molecule_status.go); `gt hook show --json` prints a
// compact `{agent, bead_id?, title?, status}` with status `empty` when nothing is hooked.
// The town simulator currently answers `hook status` with the compact shape. Both are
// accepted and mapped to one HookStatus; the fields that say whether there is work
// (`has_work`, resp. `agent` + `status`) are required, so an unrelated object can never read
// as an empty hook.
//
// Guarantees: the pinned bead, when present, is read with the bead schema (gt embeds a
// beads.Issue, so its times may be in gt's or bd's format); progress figures default to 0.
import { z } from 'zod';
import { BEAD_STATUSES, type HookStatus } from '../types.ts';
import { count, flag, openEnum, optString, str } from './fields.ts';
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

const compactHook = z
  .object({ agent: z.string(), bead_id: optString, title: str, status: openEnum(BEAD_STATUSES) })
  .transform((h): HookStatus => {
    const hasWork = h.bead_id !== undefined && h.status.raw !== 'empty';
    return {
      target: h.agent,
      role: '',
      hasWork,
      ...(hasWork && h.bead_id !== undefined
        ? { hookedBead: { id: h.bead_id, title: h.title, status: h.status } }
        : {}),
      isWisp: false,
    };
  });

export function parseHookStatus(stdout: string): HookStatus {
  return parseJsonOutput(z.union([moleculeStatus, compactHook]), stdout, 'gt hook status');
}
