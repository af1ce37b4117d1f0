// Folding the results of a Convoy's gt actions back into its decision, purely: the ID
// `gt convoy create` printed, beads `gt convoy add` tracked, and whether the completion mail
// went out. For the mail, an error that proves nothing was sent (gt could not be run, or it
// refused with exit 1) may be retried; one that leaves it open (timeout, unreadable output)
// is recorded as NotificationFailed and never retried: at most once (see decide.ts).
import { ConditionType, ConvoyPhase, Reason, type ConvoyStatus } from '../../api/index.ts';
import type { GtError } from '../../gt/index.ts';
import type { ConvoyAddResult, ConvoyCreateResult, MailSendResult } from '../../gt/index.ts';
import { formatTime } from '../../runtime/conditions.ts';
import { gtFailure } from '../shared/gt-failure.ts';
import type { Probe } from '../shared/probe.ts';
import { withCondition, withSyncFailure } from '../shared/status.ts';
import type { ConvoyAction, ConvoyConfig, ConvoyDecision, ConvoyEvent } from './decide.ts';
import { withPhase } from './status.ts';

type Create = Extract<ConvoyAction, { type: 'create' }>;
type Add = Extract<ConvoyAction, { type: 'add' }>;
type Notify = Extract<ConvoyAction, { type: 'notify' }>;

function plus(d: ConvoyDecision, status: ConvoyStatus, events: readonly ConvoyEvent[], requeueAfterMs?: number): ConvoyDecision {
  const requeues = [d.requeueAfterMs, requeueAfterMs].filter((v): v is number => v !== undefined);
  const { requeueAfterMs: _r, ...rest } = d;
  return { ...rest, status, events: [...d.events, ...events], ...(requeues.length > 0 ? { requeueAfterMs: Math.min(...requeues) } : {}) };
}

function failed(d: ConvoyDecision, error: GtError, now: number, config: ConvoyConfig): ConvoyDecision {
  const failure = gtFailure(error, config.retry);
  return plus(d, withSyncFailure(d.status, failure, now), [], failure.requeueAfterMs);
}

export function applyCreate(d: ConvoyDecision, action: Create, result: Probe<ConvoyCreateResult>, now: number, config: ConvoyConfig): ConvoyDecision {
  // A create whose output we could not read may still have created the convoy: the marker
  // search of the next reconcile finds it, so a failure never leads to a blind second create.
  if (!result.ok) return failed(d, result.error, now, config);
  const id = result.value.id;
  const message = `created gt convoy ${id} "${action.title}" tracking ${action.beads.length} beads`;
  const created: ConvoyStatus = { ...d.status, beadsConvoyID: id, startedAt: d.status.startedAt ?? formatTime(now) };
  const phased = withPhase(created, ConvoyPhase.InProgress, Reason.ConvoyCreated, message, now);
  const status = withCondition(phased, ConditionType.Tracking, 'Unknown', Reason.TrackingIncomplete, 'verifying tracked beads (gt reports tracking failures only as warnings)', now);
  return plus(d, status, [{ type: 'Normal', reason: Reason.ConvoyCreated, message }], config.townWaitMs);
}

export function applyAdd(d: ConvoyDecision, action: Add, result: Probe<ConvoyAddResult>, now: number, config: ConvoyConfig): ConvoyDecision {
  if (!result.ok) return failed(d, result.error, now, config);
  const message = `asked gt convoy ${action.id} to track ${action.beads.length} missing beads${result.value.reopened ? ' (gt reopened the convoy)' : ''}`;
  return plus(d, d.status, [{ type: 'Normal', reason: Reason.TrackingIncomplete, message }], config.townWaitMs);
}

/**
 * True when the error proves the mail was not sent: no gt process was started. A crash, a
 * timeout or even a CLI error may come after gt wrote the mail, so those are never resent
 * (at most once: the notification is then reported failed instead).
 */
function provablyNotSent(error: GtError): boolean {
  return !error.started;
}

export function applyNotify(d: ConvoyDecision, action: Notify, result: Probe<MailSendResult>, now: number, config: ConvoyConfig): ConvoyDecision {
  if (result.ok) {
    const message = `completion mail sent to ${action.address}`;
    const status = withCondition({ ...d.status, notifiedAt: formatTime(now) }, ConditionType.Notified, 'True', Reason.NotificationSent, message, now);
    return plus(d, status, [{ type: 'Normal', reason: Reason.NotificationSent, message }]);
  }
  const error = result.error;
  if (provablyNotSent(error)) {
    const failure = gtFailure(error, config.retry);
    const message = `completion mail to ${action.address} was not sent: ${failure.message}; will retry`;
    const status = withCondition(d.status, ConditionType.Notified, 'False', Reason.NotificationPending, message, now);
    return plus(d, status, [{ type: 'Warning', reason: Reason.NotificationFailed, message }], failure.requeueAfterMs);
  }
  const message = `completion mail to ${action.address} may or may not have been sent (${error.kind}: ${error.message}); not sent again`.slice(0, 1024);
  const status = withCondition(d.status, ConditionType.Notified, 'False', Reason.NotificationFailed, message, now);
  return plus(d, status, [{ type: 'Warning', reason: Reason.NotificationFailed, message }]);
}
