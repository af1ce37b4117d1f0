// Folding the results of a Polecat's gt actions back into its decision, purely: what a sling
// printed (spawned / reused / already / scheduled, or a refusal), what a nuke did (removed,
// or refused with gt's own reasons). (Escalation mails are settled by stuck.ts.) reconcile.ts runs
// an action, then hands its result here; the status it writes is the one returned.
import { Annotation, ConditionType, PolecatPhase, Reason, type PolecatStatus } from '../../api/index.ts';
import type { NukeResult, SlingResult } from '../../gt/index.ts';
import { gtFailure } from '../shared/gt-failure.ts';
import type { Probe } from '../shared/probe.ts';
import { polecatAddress } from '../town-sync/snapshot.ts';
import { withCondition, withSyncFailure } from '../shared/status.ts';
import { blocked, type PolecatAction, type PolecatConfig, type PolecatDecision, type PolecatEvent } from './decide.ts';
import { ended, nukeRefusalReason, slingRefusalReason, withPhase } from './status.ts';

type Sling = Extract<PolecatAction, { type: 'sling' }>;
type Nuke = Extract<PolecatAction, { type: 'nuke' }>;

function plus(d: PolecatDecision, change: { status: PolecatStatus; events?: readonly PolecatEvent[]; requeueAfterMs?: number; released?: boolean }): PolecatDecision {
  const requeues = [d.requeueAfterMs, change.requeueAfterMs].filter((v): v is number => v !== undefined);
  const { requeueAfterMs: _r, ...rest } = d;
  return {
    ...rest,
    status: change.status,
    events: [...d.events, ...(change.events ?? [])],
    released: change.released ?? d.released,
    ...(requeues.length > 0 ? { requeueAfterMs: Math.min(...requeues) } : {}),
  };
}

export function applySling(d: PolecatDecision, action: Sling, result: Probe<SlingResult>, now: number, config: PolecatConfig): PolecatDecision {
  if (!result.ok) {
    const error = result.error;
    if (error.kind === 'CLIError' || error.kind === 'NotFound') {
      const reason = slingRefusalReason(error);
      const message = `gt sling ${action.bead} ${action.rig} refused: ${error.stderr || error.message}`.slice(0, 1024);
      const status = withPhase(d.status, PolecatPhase.Pending, reason, message, now);
      return plus(d, { status, events: [{ type: 'Warning', reason, message }], requeueAfterMs: config.retry.cliErrorMs });
    }
    const failure = gtFailure(error, config.retry);
    return plus(d, { status: withSyncFailure(d.status, failure, now), ...(failure.requeueAfterMs === undefined ? {} : { requeueAfterMs: failure.requeueAfterMs }) });
  }
  const r = result.value;
  if (r.outcome === 'scheduled') {
    const message = `gt scheduled ${r.bead} for rig ${r.rig}; the polecat appears when the scheduler dispatches it`;
    const status = withPhase({ ...d.status, beadID: r.bead, dispatchedBeadID: r.bead }, PolecatPhase.Pending, Reason.SlingScheduled, message, now);
    return plus(d, { status, events: [{ type: 'Normal', reason: Reason.SlingScheduled, message }], requeueAfterMs: config.scheduledPollMs });
  }
  const adopted = r.outcome === 'already';
  const reason = adopted ? Reason.Adopted : Reason.Slung;
  const message = adopted
    ? `bead ${r.bead} was already ${r.beadStatus} to ${polecatAddress(r.rig, r.polecatName)}; following it`
    : `slung ${r.bead} to ${polecatAddress(r.rig, r.polecatName)} (${r.outcome} polecat)`;
  const named: PolecatStatus = { ...d.status, gtName: r.polecatName, rig: r.rig, beadID: r.bead, dispatchedBeadID: r.bead };
  const status = withPhase(named, PolecatPhase.Working, reason, message, now);
  return plus(d, { status, events: [{ type: 'Normal', reason, message }], requeueAfterMs: config.townWaitMs });
}

export function applyNuke(d: PolecatDecision, action: Nuke, result: Probe<NukeResult>, now: number, config: PolecatConfig): PolecatDecision {
  const target = `${action.rig}/${action.name}`;
  if (result.ok) {
    const reason = action.force ? Reason.ForceNuked : Reason.Nuked;
    const message = action.force
      ? `nuked ${target} with --force because annotation ${Annotation.ForceTerminate}="true"; unsaved work in it is lost`
      : `nuked ${target}: gt reported it safe (SAFE_TO_NUKE)`;
    const status = ended(d.status, PolecatPhase.Terminated, reason, message, now);
    return plus(d, { status, events: [{ type: action.force ? 'Warning' : 'Normal', reason, message }], released: true });
  }
  const error = result.error;
  if (error.kind === 'CLIError' && error.blocked.length > 0) {
    const refusal = nukeRefusalReason(error.blocked);
    return plus(d, blocked(d.status, refusal.reason, `${refusal.message}; not nuking ${target}`, now, config));
  }
  const failure = gtFailure(error, config.retry);
  const status = withCondition(withSyncFailure(d.status, failure, now), ConditionType.CleanupBlocked, 'Unknown', failure.reason, `gt polecat nuke ${target} failed: ${failure.message}`, now);
  return plus(d, { status, ...(failure.requeueAfterMs === undefined ? {} : { requeueAfterMs: failure.requeueAfterMs }) });
}
