// Stuck detection and escalation, the witness role: a followed polecat that gt reports stuck,
// stalled or zombie, or that is working with no activity for longer than a threshold, gets
// Stuck=True and an escalation mail to its rig's witness. The witness and the mayor are AI
// agents (every mail wakes one and costs tokens), so the defaults are frugal: one mail when the
// polecat becomes stuck, repeats from 10 min doubling to 2 h, at most 5; polecats of one rig
// that are due in the same town read share one mail (escalation-outbox.ts); a polecat gt
// reports as the witness's own case (`review-needed`) is never mailed.
//
// The escalation state lives in status.escalation, so a restart neither resends early nor
// forgets; it is removed when the polecat recovers. A mail is an intent first: the status
// recording it (`pendingMail`, the mail's tag) is written before the outbox may send it, and
// it is settled on a later reconcile from what the outbox (or, after a restart, the town event
// log) says happened to that tag. See the polecat README, "Escalation".
//
// Pure: the intent is returned as an action; decide.ts folds it into the decision.
import { ConditionType, Reason, type PolecatStatus } from '../../api/index.ts';
import type { PolecatListItem } from '../../gt/index.ts';
import { formatTime, type ConditionStatus } from '../../runtime/conditions.ts';
import { conditionOf, withCondition } from '../shared/status.ts';

export interface EscalationConfig {
  /** A working polecat silent this long is stuck (default 15 min). */
  readonly stuckAfterMs: number;
  /** Mail address of the escalation; `{rig}` is replaced by the gt rig name. */
  readonly address: string;
  /** Delay from the first mail to the first repeat; each later repeat doubles it (default 10 min). */
  readonly baseDelayMs: number;
  /** The longest delay between two mails (default 2 h). */
  readonly maxDelayMs: number;
  /** Mails per stuck episode, the first one included (default 5). */
  readonly maxMails: number;
  /** How often a stuck polecat is looked at again once the mails are used up. */
  readonly recheckMs: number;
  /** How long the outbox gathers the round's polecats of a rig before it sends their one mail. */
  readonly batchWindowMs: number;
}

export const DEFAULT_ESCALATION: EscalationConfig = {
  stuckAfterMs: 15 * 60_000,
  address: '{rig}/witness',
  baseDelayMs: 10 * 60_000,
  maxDelayMs: 2 * 3_600_000,
  maxMails: 5,
  recheckMs: 60_000,
  batchWindowMs: 2_000,
};

/** gt's polecat state for "the witness's recovery decides" (gt ≥ 1.2): the witness has it already. */
export const WITNESS_STATE = 'review-needed';

export interface StuckVerdict {
  readonly status: ConditionStatus;
  readonly reason: Reason;
  readonly message: string;
  /** False when gt reports the polecat as the witness's own case: Stuck, but never mailed. */
  readonly mail: boolean;
}

/** One polecat's line in its rig's escalation mail. */
export interface EscalationEntry {
  /** `<rig>/<gt name>`. */
  readonly polecat: string;
  readonly message: string;
  readonly stuckSince: string;
  /** This mail's number for the polecat, and the most it will get. */
  readonly count: number;
  readonly of: number;
}

/** The intent to mail: the outbox sends every intent of one tag in one mail. */
export interface EscalationMail {
  readonly type: 'escalate';
  /** The mail's tag: the same for the polecats of a rig due in one town read, quoted in its subject. */
  readonly tag: string;
  readonly address: string;
  readonly rig: string;
  readonly entry: EscalationEntry;
}

/**
 * What became of the mail a status records as pending (`escalation.pendingMail`):
 * - `in-flight`: this process's outbox holds it (the batch window is open, or it is sending);
 * - `sent` / `failed`: this process's outbox sent it, or gt refused it;
 * - `not-sent`: a restarted process found no trace of it in the town event log, which reaches
 *   back past the intent: it never went out (a crash between intent and send);
 * - `unproven`: neither is known (the log was pruned past the intent, or is unreadable).
 */
export type PendingMailOutcome = 'in-flight' | 'sent' | 'failed' | 'not-sent' | 'unproven';

export interface EscalationStep {
  readonly status: PolecatStatus;
  readonly mail?: EscalationMail;
  readonly events: readonly { type: 'Normal' | 'Warning'; reason: Reason; message: string }[];
  readonly requeueAfterMs?: number;
}

/** Whether gt's state, or the silence since `lastActivity`, says the polecat is stuck. */
export function stuckVerdict(item: PolecatListItem, lastActivity: string | undefined, now: number, stuckAfterMs: number): StuckVerdict {
  const who = `${item.rig}/${item.name}`;
  const stuck = (reason: Reason, message: string): StuckVerdict => ({ status: 'True', reason, message, mail: true });
  // Matched on the raw value: older gt does not know the state, newer gt may make it a known kind.
  if (item.state.raw === WITNESS_STATE) {
    const message = `gt reports ${who} ${WITNESS_STATE}: its session runs with no work bead and unsaved work, which the witness's recovery handles; not mailed`;
    return { status: 'True', reason: Reason.HandledByWitness, message, mail: false };
  }
  switch (item.state.kind) {
    case 'stuck':
      return stuck(Reason.GTStateStuck, `gt reports ${who} stuck`);
    case 'stalled':
      return stuck(Reason.GTStateStalled, `gt reports ${who} stalled: its session died while working`);
    case 'zombie':
      return stuck(Reason.GTStateZombie, `gt reports ${who} zombie: a session without worktree`);
    case 'unknown':
      return { status: 'Unknown', reason: Reason.GTStateUnknown, message: `gt reports ${who} in state ${JSON.stringify(item.state.raw)}`, mail: false };
    default:
      break;
  }
  if (item.zombie === true) return stuck(Reason.GTStateZombie, `gt reports ${who} zombie: a session without worktree`);
  const silentFor = lastActivity === undefined ? 0 : now - Date.parse(lastActivity);
  if ((item.state.kind === 'working' || item.state.kind === 'active') && silentFor > stuckAfterMs) {
    const minutes = Math.floor(silentFor / 60_000);
    return stuck(Reason.NoRecentActivity, `${who} is working with no activity for ${minutes} min (since ${lastActivity ?? '?'})`);
  }
  return { status: 'False', reason: Reason.Healthy, message: `${who} is ${item.state.raw}`, mail: false };
}

/** Delay after mail number `sent` before the next one: base doubling per mail already sent, capped. */
export function escalationDelay(sent: number, config: EscalationConfig): number {
  return Math.min(config.baseDelayMs * 2 ** Math.max(0, sent - 1), config.maxDelayMs);
}

/** The tag of the mail for a rig's polecats due in the town read made at `round` (ms). */
export function escalationTag(rig: string, round: number): string {
  return `esc-${rig}-${round.toString(36)}`;
}

/** Where the escalation of one polecat stands: its view's status, rig, gt name, the town read. */
export interface EscalationInput {
  readonly status: PolecatStatus;
  readonly verdict: StuckVerdict;
  readonly rig: string;
  readonly gtName: string;
  /** When the town read this decision stands on was made: the batching round. */
  readonly round: number;
  readonly now: number;
  /** What became of `status.escalation.pendingMail`, when there is one. */
  readonly pending?: PendingMailOutcome;
  /**
   * A mail of this rig already went out on this very town read (the outbox knows its tag). A new
   * intent then waits for a newer read: it would reuse the tag of a mail already sent (a receipt
   * after a crash would take it for sent), and a repeat should stand on a read made after the
   * mail before it anyway.
   */
  readonly readMailed?: boolean;
}

type Events = EscalationStep['events'];

/** Applies a verdict: sets Stuck, settles a pending mail, and asks for the next mail if one is due. */
export function escalate(input: EscalationInput, config: EscalationConfig): EscalationStep {
  const { status, verdict, now } = input;
  const wasStuck = conditionOf(status, ConditionType.Stuck)?.status === 'True';
  const marked = withCondition(status, ConditionType.Stuck, verdict.status, verdict.reason, verdict.message, now);
  if (verdict.status !== 'True') {
    const { stuckSince: _s, escalation: _e, ...recovered } = marked;
    const events = wasStuck ? [{ type: 'Normal' as const, reason: Reason.Healthy, message: `recovered: ${verdict.message}` }] : [];
    return { status: recovered, events };
  }
  const turned = !wasStuck || conditionOf(status, ConditionType.Stuck)?.reason !== verdict.reason;
  const events: Events = turned ? [{ type: verdict.mail ? 'Warning' : 'Normal', reason: verdict.reason, message: verdict.message }] : [];
  const stuck: PolecatStatus = { ...marked, stuckSince: status.stuckSince ?? formatTime(now) };
  const pendingTag = stuck.escalation?.pendingMail;
  if (pendingTag !== undefined) {
    const settled = settlePending(stuck, pendingTag, input, config);
    if (settled.mail !== undefined || settled.requeueAfterMs !== undefined) return { ...settled, events: [...events, ...settled.events] };
    return next({ ...input, status: settled.status }, [...events, ...settled.events], config);
  }
  return next({ ...input, status: stuck }, events, config);
}

/** The next mail, if one is due and gt does not report the witness on it already. */
function next(input: EscalationInput, events: Events, config: EscalationConfig): EscalationStep {
  const { status, verdict, now } = input;
  if (!verdict.mail) return { status, events, requeueAfterMs: config.recheckMs };
  const sent = status.escalation?.count ?? 0;
  if (sent >= config.maxMails) {
    // The last mail went out: no next one is due (a nextAt left by an older release goes too).
    const { nextAt: _n, ...done } = status.escalation ?? { count: sent };
    return { status: status.escalation?.nextAt === undefined ? status : { ...status, escalation: done }, events, requeueAfterMs: config.recheckMs };
  }
  const dueAt = status.escalation?.nextAt === undefined ? now : Date.parse(status.escalation.nextAt);
  if (now < dueAt) return { status, events, requeueAfterMs: dueAt - now };
  // Due, but the read this stands on was mailed already: look again once town sync has read anew.
  if (input.readMailed === true) return { status, events, requeueAfterMs: config.batchWindowMs + 1_000 };
  const count = sent + 1;
  const tag = escalationTag(input.rig, input.round);
  // The last mail (count = maxMails) has no next one: nextAt is left out rather than promise one.
  const nextAt = count < config.maxMails ? { nextAt: formatTime(now + escalationDelay(count, config)) } : {};
  const intent: PolecatStatus = {
    ...status,
    escalation: { count, lastSentAt: formatTime(now), ...nextAt, pendingMail: tag },
  };
  return { status: intent, mail: mailOf(input, tag, count, config), events, requeueAfterMs: config.batchWindowMs + 1_000 };
}

function mailOf(input: EscalationInput, tag: string, count: number, config: EscalationConfig): EscalationMail {
  const { status, verdict, rig, gtName, now } = input;
  return {
    type: 'escalate',
    tag,
    address: config.address.replaceAll('{rig}', rig),
    rig,
    entry: { polecat: `${rig}/${gtName}`, message: verdict.message, stuckSince: status.stuckSince ?? formatTime(now), count, of: config.maxMails },
  };
}

/** Settles `escalation.pendingMail` from its outcome (see PendingMailOutcome). */
function settlePending(status: PolecatStatus, tag: string, input: EscalationInput, config: EscalationConfig): EscalationStep {
  const escalation = status.escalation ?? { count: 0 };
  const { pendingMail: _p, ...rest } = escalation;
  const settled: PolecatStatus = { ...status, escalation: rest };
  const address = config.address.replaceAll('{rig}', input.rig);
  const count = `escalation ${escalation.count}/${config.maxMails}`;
  switch (input.pending) {
    case 'sent':
      return { status: settled, events: [{ type: 'Warning', reason: Reason.Escalated, message: `${count} mailed to ${address} (${tag})` }] };
    case 'failed':
      return { status: settled, events: [{ type: 'Warning', reason: Reason.GTError, message: `${count}: the mail to ${address} (${tag}) failed; the next repeat tries again` }] };
    case 'unproven':
      return {
        status: settled,
        events: [{ type: 'Warning', reason: Reason.EscalationUnconfirmed, message: `${count} (${tag}): the operator restarted before recording the mail and the town event log no longer shows whether it went out; not sent again (at most once)` }],
      };
    case 'not-sent':
      // A crash between intent and send: send it now, under the same tag (so it is found next time).
      return { status, mail: mailOf(input, tag, escalation.count, config), events: [], requeueAfterMs: config.batchWindowMs + 1_000 };
    case 'in-flight':
    case undefined:
      return { status, events: [], requeueAfterMs: config.batchWindowMs + 1_000 };
  }
}
