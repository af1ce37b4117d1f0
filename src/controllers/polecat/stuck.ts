// Stuck detection and escalation, the witness role: a followed polecat that gt reports stuck,
// stalled or zombie, or that is working with no activity for longer than a threshold, gets
// Stuck=True, and a mail to its witness repeated with exponential backoff (base doubling to a
// cap, at most N mails). The escalation state lives in status.escalation, so a restart
// neither resends early nor forgets; both are removed when the polecat recovers.
//
// Pure: the mail is returned as an action; decide.ts folds it into the decision.
import { ConditionType, Reason, type PolecatStatus } from '../../api/index.ts';
import type { PolecatListItem } from '../../gt/index.ts';
import { formatTime, type ConditionStatus } from '../../runtime/conditions.ts';
import { conditionOf, withCondition } from '../shared/status.ts';

export interface EscalationConfig {
  /** A working polecat silent this long is stuck (default 15 min). */
  readonly stuckAfterMs: number;
  /** Mail address of the escalation; `{rig}` is replaced by the gt rig name. */
  readonly address: string;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxMails: number;
  /** How often a stuck polecat is looked at again once the mails are used up. */
  readonly recheckMs: number;
}

export const DEFAULT_ESCALATION: EscalationConfig = {
  stuckAfterMs: 15 * 60_000,
  address: '{rig}/witness',
  baseDelayMs: 5_000,
  maxDelayMs: 5 * 60_000,
  maxMails: 10,
  recheckMs: 60_000,
};

export interface StuckVerdict {
  readonly status: ConditionStatus;
  readonly reason: Reason;
  readonly message: string;
}

export interface EscalationMail {
  readonly type: 'escalate';
  readonly address: string;
  readonly subject: string;
  readonly body: string;
}

export interface EscalationStep {
  readonly status: PolecatStatus;
  readonly mail?: EscalationMail;
  readonly events: readonly { type: 'Normal' | 'Warning'; reason: Reason; message: string }[];
  readonly requeueAfterMs?: number;
}

/** Whether gt's state, or the silence since `lastActivity`, says the polecat is stuck. */
export function stuckVerdict(item: PolecatListItem, lastActivity: string | undefined, now: number, stuckAfterMs: number): StuckVerdict {
  const who = `${item.rig}/${item.name}`;
  switch (item.state.kind) {
    case 'stuck':
      return { status: 'True', reason: Reason.GTStateStuck, message: `gt reports ${who} stuck` };
    case 'stalled':
      return { status: 'True', reason: Reason.GTStateStalled, message: `gt reports ${who} stalled: its session died while working` };
    case 'zombie':
      return { status: 'True', reason: Reason.GTStateZombie, message: `gt reports ${who} zombie: a session without worktree` };
    case 'unknown':
      return { status: 'Unknown', reason: Reason.GTStateUnknown, message: `gt reports ${who} in state ${JSON.stringify(item.state.raw)}` };
    default:
      break;
  }
  if (item.zombie === true) {
    return { status: 'True', reason: Reason.GTStateZombie, message: `gt reports ${who} zombie: a session without worktree` };
  }
  const silentFor = lastActivity === undefined ? 0 : now - Date.parse(lastActivity);
  if ((item.state.kind === 'working' || item.state.kind === 'active') && silentFor > stuckAfterMs) {
    const minutes = Math.floor(silentFor / 60_000);
    return { status: 'True', reason: Reason.NoRecentActivity, message: `${who} is working with no activity for ${minutes} min (since ${lastActivity ?? '?'})` };
  }
  return { status: 'False', reason: Reason.Healthy, message: `${who} is ${item.state.raw}` };
}

/** Delay before mail number `sent + 1`: base doubling per mail already sent, capped. */
export function escalationDelay(sent: number, config: EscalationConfig): number {
  return Math.min(config.baseDelayMs * 2 ** Math.max(0, sent - 1), config.maxDelayMs);
}

/** Applies a verdict: sets Stuck, and when it is True, the next escalation mail if one is due. */
export function escalate(status: PolecatStatus, verdict: StuckVerdict, rig: string, now: number, config: EscalationConfig): EscalationStep {
  const wasStuck = conditionOf(status, ConditionType.Stuck)?.status === 'True';
  const marked = withCondition(status, ConditionType.Stuck, verdict.status, verdict.reason, verdict.message, now);
  if (verdict.status !== 'True') {
    const { stuckSince: _s, escalation: _e, ...recovered } = marked;
    const events = wasStuck ? [{ type: 'Normal' as const, reason: Reason.Healthy, message: `recovered: ${verdict.message}` }] : [];
    return { status: recovered, events };
  }
  const events = wasStuck ? [] : [{ type: 'Warning' as const, reason: verdict.reason, message: verdict.message }];
  const stuck: PolecatStatus = { ...marked, stuckSince: status.stuckSince ?? formatTime(now) };
  const sent = stuck.escalation?.count ?? 0;
  if (sent >= config.maxMails) return { status: stuck, events, requeueAfterMs: config.recheckMs };
  const dueAt = stuck.escalation?.nextAt === undefined ? now : Date.parse(stuck.escalation.nextAt);
  if (now < dueAt) return { status: stuck, events, requeueAfterMs: dueAt - now };
  const count = sent + 1;
  const nextAt = now + escalationDelay(count, config);
  const escalated: PolecatStatus = {
    ...stuck,
    escalation: { count, lastSentAt: formatTime(now), nextAt: formatTime(nextAt) },
  };
  const mail: EscalationMail = {
    type: 'escalate',
    address: config.address.replaceAll('{rig}', rig),
    subject: `Polecat ${rig}/${status.gtName ?? '?'} needs attention (${verdict.reason})`,
    body: `${verdict.message}.\nStuck since ${stuck.stuckSince ?? formatTime(now)}; escalation ${count} of ${config.maxMails}.\nSent by gastown-operator.`,
  };
  const mailEvent = { type: 'Warning' as const, reason: Reason.Escalated, message: `escalation ${count}/${config.maxMails} mailed to ${mail.address}` };
  return {
    status: escalated,
    mail,
    events: [...events, mailEvent],
    requeueAfterMs: count >= config.maxMails ? config.recheckMs : nextAt - now,
  };
}
