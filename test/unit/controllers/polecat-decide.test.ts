// Decision tables of the Polecat controller: every transition of issue 6 and every gt error
// kind, as (Polecat, snapshot, probes, now) -> (actions, status, events, requeue).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Annotation, Label, Reason } from '../../../src/api/index.ts';
import {
  DEFAULT_POLECAT_CONFIG, decidePolecat, deletePolicy, probesFor, type DeletePolicy, type PolecatObservation,
} from '../../../src/controllers/polecat/decide.ts';
import { applyNuke, applySling } from '../../../src/controllers/polecat/outcome.ts';
import { mergeQueueUnknown, needsGitState, safeToNukeProven } from '../../../src/controllers/polecat/status.ts';
import { escalationDelay, escalationTag, DEFAULT_ESCALATION } from '../../../src/controllers/polecat/stuck.ts';
import type { GtErrorKind } from '../../../src/gt/errors.ts';
import type { RecoveryCheck } from '../../../src/gt/types.ts';
import { NOW, bead, cond, failedTown, gtError, iso, item, open, polecat, recovery, rig, town } from './polecat-fixtures.ts';

const decide = (obs: Partial<PolecatObservation> & Pick<PolecatObservation, 'polecat'>, now = NOW) =>
  decidePolecat({ deleting: false, snapshot: town(), ...obs }, now, DEFAULT_POLECAT_CONFIG);

const following = (extra: Parameters<typeof polecat>[0] = {}) =>
  polecat({ ...extra, status: { phase: 'Working', gtName: 'nux', beadID: 'gt-abc12', ...extra.status } });

describe('polecat decide: the town read', () => {
  test('no snapshot yet: no action, status untouched, look again soon', () => {
    const d = decide({ polecat: polecat(), snapshot: undefined });
    assert.deepEqual(d.actions, []);
    assert.equal(d.requeueAfterMs, DEFAULT_POLECAT_CONFIG.townWaitMs);
    assert.equal(d.status.phase, undefined);
  });

  const kinds: [GtErrorKind, string, number | undefined][] = [
    ['Transient', Reason.GTUnavailable, 5_000],
    ['Unavailable', Reason.GTUnavailable, 30_000],
    ['CLIError', Reason.GTError, 60_000],
    ['NotFound', Reason.GTError, 60_000],
    ['ParseError', Reason.GTOutputInvalid, 60_000],
    ['InvalidArgument', Reason.GTError, undefined],
  ];
  for (const [kind, reason, requeue] of kinds) {
    test(`failed town read (${kind}) -> Synced=False/${reason}, no action, requeue ${String(requeue)}`, () => {
      const d = decide({ polecat: following(), snapshot: failedTown(gtError(kind)) });
      assert.deepEqual(d.actions, []);
      assert.deepEqual(cond(d.status, 'Synced'), { status: 'False', reason });
      assert.equal(d.requeueAfterMs, requeue);
      assert.equal(d.status.phase, 'Working', 'the last known phase is kept, never invented');
    });
  }
});

describe('polecat decide: dispatch (sling or adopt, never twice)', () => {
  test('Working + bead, nobody holds it -> one sling to the gt rig, Pending', () => {
    const d = decide({ polecat: polecat() });
    assert.deepEqual(d.actions, [{ type: 'sling', bead: 'gt-abc12', rig: 'gastown' }]);
    assert.equal(d.status.phase, 'Pending');
    assert.deepEqual(cond(d.status, 'Synced'), { status: 'True', reason: Reason.Synced });
  });

  test('the bead is already hooked to a polecat of the rig (crash after sling) -> adopt, no sling', () => {
    const d = decide({ polecat: polecat(), snapshot: town({ polecats: [item('nux', 'working', { issue: 'gt-abc12' })] }) });
    assert.deepEqual(d.actions, []);
    assert.equal(d.status.gtName, 'nux');
    assert.equal(d.status.beadID, 'gt-abc12');
    assert.equal(d.status.phase, 'Working');
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'True', reason: Reason.Adopted });
    assert.ok(d.events.some((e) => e.reason === Reason.Adopted));
  });

  test('a hook seen only in gt status agents is adopted too', () => {
    const runtime = [{ name: 'gastown', polecats: ['slit'], polecatCount: 1, crews: [], crewCount: 0, hasWitness: true, hasRefinery: true, hooks: [], agents: [{ name: 'slit', address: 'gastown/polecats/slit', session: 's', role: 'polecat', running: true, hasWork: true, hookBead: 'gt-abc12', unreadMail: 0 }] }];
    const d = decide({ polecat: polecat(), snapshot: town({ polecats: [item('slit', 'working')], runtime }) });
    assert.deepEqual(d.actions, []);
    assert.equal(d.status.gtName, 'slit');
  });

  test('a bead hooked in another rig is not adopted (gt would refuse; sling reports it)', () => {
    const d = decide({ polecat: polecat(), snapshot: town({ polecats: [item('nux', 'working', { rig: 'beads', issue: 'gt-abc12' })] }) });
    assert.equal(d.actions[0]?.type, 'sling');
  });

  test('our own sling returned after this snapshot was read -> wait for a fresher one, no second sling', () => {
    const d = decide({ polecat: polecat(), snapshot: town({ observedAt: NOW - 2_000 }), slingInFlight: { beadID: 'gt-abc12', at: NOW - 1_000 } });
    assert.deepEqual(d.actions, []);
    assert.equal(d.requeueAfterMs, DEFAULT_POLECAT_CONFIG.townWaitMs);
  });

  test('a snapshot newer than our sling that shows no holder -> the sling may be retried', () => {
    const d = decide({ polecat: polecat(), snapshot: town({ observedAt: NOW - 100 }), slingInFlight: { beadID: 'gt-abc12', at: NOW - 1_000 } });
    assert.equal(d.actions[0]?.type, 'sling');
  });

  const refusals: [string, Parameters<typeof town>[0], string][] = [
    ['closed bead', { beads: [bead('gt-abc12', 'closed')] }, Reason.BeadClosed],
    ['bead unknown to bd', { missing: ['gt-abc12'] }, Reason.BeadNotFound],
    ['rig not in the town', { rigs: [rig('beads')] }, Reason.RigNotInTown],
    ['parked rig', { rigs: [rig('gastown', 'parked')] }, Reason.RigNotOperational],
    ['docked rig', { rigs: [rig('gastown', 'docked')] }, Reason.RigNotOperational],
  ];
  for (const [name, parts, reason] of refusals) {
    test(`${name} -> Pending/${reason}, no sling`, () => {
      const d = decide({ polecat: polecat(), snapshot: town(parts) });
      assert.deepEqual(d.actions, []);
      assert.equal(d.status.phase, 'Pending');
      assert.deepEqual(cond(d.status, 'Ready'), { status: 'False', reason });
    });
  }

  test('no beadID -> Pending/WaitingForSling', () => {
    const d = decide({ polecat: polecat({ spec: { beadID: undefined } }) });
    assert.deepEqual(d.actions, []);
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'False', reason: Reason.WaitingForSling });
  });

  test('scheduled earlier (status persisted) -> no new sling; adopt when the polecat appears', () => {
    const scheduled = polecat({ status: { phase: 'Pending', beadID: 'gt-abc12' } });
    const waiting = decide({ polecat: scheduled });
    assert.deepEqual(waiting.actions, []);
    assert.equal(waiting.requeueAfterMs, DEFAULT_POLECAT_CONFIG.scheduledPollMs);
    const landed = decide({ polecat: scheduled, snapshot: town({ polecats: [item('rictus', 'working', { issue: 'gt-abc12' })] }) });
    assert.equal(landed.status.gtName, 'rictus');
    assert.equal(landed.status.phase, 'Working');
  });

  test('discovered views follow the polecat named by their label and never sling', () => {
    const discovered = polecat({ labels: { [Label.Discovered]: 'true', [Label.Polecat]: 'furiosa' } });
    const d = decide({ polecat: discovered, snapshot: town({ polecats: [item('furiosa', 'working', { issue: 'gt-zzz99' })] }) });
    assert.deepEqual(d.actions, []);
    assert.equal(d.status.gtName, 'furiosa');
    assert.equal(d.status.phase, 'Working');
    const gone = decide({ polecat: discovered, snapshot: town() });
    assert.deepEqual(gone.actions, []);
    assert.equal(gone.status.phase, 'Terminated');
  });
});

describe('polecat decide: following', () => {
  test('working polecat -> Working, Ready, Stuck=False, gt fields recorded', () => {
    const d = decide({ polecat: following(), snapshot: town({ polecats: [item('nux', 'working', { issue: 'gt-abc12', branch: 'polecat/nux', sessionName: 'gt-gastown-nux' })] }) });
    assert.equal(d.status.phase, 'Working');
    assert.equal(d.status.branch, 'polecat/nux');
    assert.equal(d.status.session, 'gt-gastown-nux');
    assert.deepEqual(d.status.gtState, { raw: 'working', known: true });
    assert.deepEqual(cond(d.status, 'Stuck'), { status: 'False', reason: Reason.Healthy });
    assert.deepEqual(d.actions, []);
  });

  test('open enums keep gt\'s raw value and say separately whether the operator knows it', () => {
    const newer = decide({ polecat: following(), snapshot: town({ polecats: [item('nux', 'review-needed', { issue: 'gt-abc12', cleanupStatus: open('has_conflicts', []) })] }) });
    assert.deepEqual(newer.status.gtState, { raw: 'review-needed', known: false });
    assert.deepEqual([newer.status.cleanupStatus, newer.status.cleanupStatusKnown], ['has_conflicts', false]);
    const said = decide({ polecat: following(), snapshot: town({ polecats: [item('nux', 'working', { issue: 'gt-abc12', cleanupStatus: open('unknown', ['unknown']) })] }) });
    assert.deepEqual([said.status.cleanupStatus, said.status.cleanupStatusKnown], ['unknown', true], "gt's own word 'unknown' is a known value");
  });

  test('Working -> Idle when the bead is closed (batched bead read), with an Event', () => {
    const d = decide({ polecat: following(), snapshot: town({ polecats: [item('nux', 'working', { issue: 'gt-abc12' })], beads: [bead('gt-abc12', 'closed')] }) });
    assert.equal(d.status.phase, 'Idle');
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'True', reason: Reason.BeadClosed });
    assert.ok(d.events.some((e) => e.reason === Reason.BeadClosed));
  });

  test('idle polecat after gt done -> Idle; the closed bead is not slung again', () => {
    const d = decide({ polecat: following(), snapshot: town({ polecats: [item('nux', 'idle', { sessionRunning: false })], beads: [bead('gt-abc12', 'closed')] }) });
    assert.equal(d.status.phase, 'Idle');
    assert.deepEqual(d.actions, []);
  });

  test('polecat gone from gt without us -> Terminated/NukedOutsideKubernetes, Warning Event', () => {
    const d = decide({ polecat: following() });
    assert.equal(d.status.phase, 'Terminated');
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'False', reason: Reason.NukedOutsideKubernetes });
    assert.equal(d.events[0]?.type, 'Warning');
  });

  test('polecat missing from a snapshot older than our sling is not declared gone', () => {
    const d = decide({ polecat: following(), snapshot: town({ observedAt: NOW - 5_000 }), slingInFlight: { beadID: 'gt-abc12', at: NOW - 1_000 } });
    assert.equal(d.status.phase, 'Working');
    assert.equal(d.requeueAfterMs, DEFAULT_POLECAT_CONFIG.townWaitMs);
  });
});

describe('polecat decide: stuck detection and escalation', () => {
  const states: [string, Partial<ReturnType<typeof item>>, string, string][] = [
    ['stuck', {}, 'True', Reason.GTStateStuck],
    ['stalled', {}, 'True', Reason.GTStateStalled],
    ['zombie', {}, 'True', Reason.GTStateZombie],
    ['working', { zombie: true }, 'True', Reason.GTStateZombie],
    ['hibernating', {}, 'Unknown', Reason.GTStateUnknown],
  ];
  for (const [state, extra, status, reason] of states) {
    test(`gt state ${state}${extra.zombie ? ' (zombie flag)' : ''} -> Stuck=${status}/${reason}`, () => {
      const d = decide({ polecat: following(), snapshot: town({ polecats: [item('nux', state, { issue: 'gt-abc12', ...extra })] }) });
      assert.deepEqual(cond(d.status, 'Stuck'), { status, reason });
      if (status === 'True') {
        const tag = escalationTag('gastown', NOW - 500);
        const mail = d.actions[0];
        assert.equal(mail?.type, 'escalate');
        assert.deepEqual(mail?.type === 'escalate' ? [mail.tag, mail.address, mail.entry.polecat, mail.entry.count, mail.entry.of] : [], [tag, 'gastown/witness', 'gastown/nux', 1, 5]);
        assert.deepEqual(d.status.escalation, { count: 1, lastSentAt: iso(NOW), nextAt: iso(NOW + 10 * 60_000), pendingMail: tag }, 'the intent, written before the outbox may send');
        assert.equal(d.status.stuckSince, iso(NOW));
        assert.ok(d.events.some((e) => e.type === 'Warning' && e.reason === reason));
        assert.equal(d.requeueAfterMs, DEFAULT_ESCALATION.batchWindowMs + 1_000, 'looked at again once the outbox has sent');
      } else {
        assert.deepEqual(d.actions, []);
      }
    });
  }

  test('working with no activity for longer than the threshold -> NoRecentActivity', () => {
    const silent = following({ status: { lastActivity: iso(NOW - 16 * 60_000) } });
    const d = decide({ polecat: silent, snapshot: town({ polecats: [item('nux', 'working', { issue: 'gt-abc12' })] }) });
    assert.deepEqual(cond(d.status, 'Stuck'), { status: 'True', reason: Reason.NoRecentActivity });
    assert.equal(d.actions[0]?.type, 'escalate');
  });

  test('activity from the polecat status probe is recorded and clears the suspicion', () => {
    const silent = following({ status: { lastActivity: iso(NOW - 16 * 60_000) } });
    const probe = { ok: true as const, value: { rig: 'gastown', name: 'nux', state: item('nux', 'working').state, clonePath: '/x', branch: 'b', sessionRunning: true, lastActivity: iso(NOW - 60_000) } };
    const d = decide({ polecat: silent, snapshot: town({ polecats: [item('nux', 'working', { issue: 'gt-abc12' })] }), activity: probe });
    assert.equal(d.status.lastActivity, iso(NOW - 60_000));
    assert.deepEqual(cond(d.status, 'Stuck'), { status: 'False', reason: Reason.Healthy });
    assert.deepEqual(d.actions, []);
  });

  test('probesFor: the activity probe only when a working polecat may have been silent too long', () => {
    const snap = town({ polecats: [item('nux', 'working', { issue: 'gt-abc12' })] });
    assert.equal(probesFor(following({ status: { lastActivity: iso(NOW - 60_000) } }), false, snap, NOW, DEFAULT_POLECAT_CONFIG).activity, false);
    assert.equal(probesFor(following({ status: { lastActivity: iso(NOW - 20 * 60_000) } }), false, snap, NOW, DEFAULT_POLECAT_CONFIG).activity, true);
    assert.equal(probesFor(following(), false, snap, NOW, DEFAULT_POLECAT_CONFIG).activity, true);
    const idle = town({ polecats: [item('nux', 'idle')] });
    assert.equal(probesFor(following(), false, idle, NOW, DEFAULT_POLECAT_CONFIG).activity, false);
  });

  test('a repeat due on a town read the outbox already mailed waits for a newer read (its tag is spent)', () => {
    const min = 60_000;
    const snap = town({ polecats: [item('nux', 'stuck', { issue: 'gt-abc12' })] });
    const first = decide({ polecat: following(), snapshot: snap, pendingMail: 'sent' }, NOW);
    const settled = decide({ polecat: following({ status: first.status }), snapshot: snap, pendingMail: 'sent' }, NOW + min).status;
    const stale = decide({ polecat: following({ status: settled }), snapshot: snap, readMailed: true }, NOW + 10 * min);
    assert.deepEqual(stale.actions, []);
    assert.equal(stale.status.escalation?.count, 1);
    assert.equal(stale.requeueAfterMs, DEFAULT_ESCALATION.batchWindowMs + 1_000, 'looked at again soon: town sync reads every 10 s');
    const fresh = decide({ polecat: following({ status: settled }), snapshot: snap }, NOW + 10 * min);
    assert.equal(fresh.actions[0]?.type, 'escalate');
    assert.equal(fresh.status.escalation?.count, 2);
  });

  test('schedule: one mail at once, repeats from 10 min doubling to 2 h, at most 5', () => {
    assert.equal(DEFAULT_ESCALATION.maxMails, 5);
    const min = 60_000;
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => escalationDelay(n, DEFAULT_ESCALATION)), [10 * min, 20 * min, 40 * min, 80 * min, 120 * min, 120 * min, 120 * min]);
  });

  test('schedule, followed through status: mails at 0, 10, 30, 70 and 150 min, then none', () => {
    const min = 60_000;
    const snap = town({ polecats: [item('nux', 'stuck', { issue: 'gt-abc12' })] });
    let status = following().status;
    const sentAt: number[] = [];
    for (let t = 0; t <= 300; t += 1) {
      const d = decide({ polecat: following({ status }), snapshot: snap, pendingMail: 'sent' }, NOW + t * min);
      if (d.actions.some((a) => a.type === 'escalate')) sentAt.push(t);
      status = d.status;
    }
    assert.deepEqual(sentAt, [0, 10, 30, 70, 150]);
    assert.equal(status?.escalation?.count, 5);
    assert.equal(status?.escalation?.pendingMail, undefined);
  });

  test('gt reports review-needed (the witness has it): Stuck=True/HandledByWitness, never mailed, even mid-escalation', () => {
    const fresh = decide({ polecat: following(), snapshot: town({ polecats: [item('nux', 'review-needed', { issue: 'gt-abc12' })] }) });
    assert.deepEqual(cond(fresh.status, 'Stuck'), { status: 'True', reason: Reason.HandledByWitness });
    assert.deepEqual(fresh.actions, []);
    assert.equal(fresh.status.escalation, undefined);
    assert.ok(fresh.events.some((e) => e.type === 'Normal' && e.reason === Reason.HandledByWitness));
    const mailed = following({ status: { stuckSince: iso(NOW - 20 * 60_000), escalation: { count: 1, lastSentAt: iso(NOW - 20 * 60_000), nextAt: iso(NOW - 10 * 60_000) } } });
    const later = decide({ polecat: mailed, snapshot: town({ polecats: [item('nux', 'review-needed', { issue: 'gt-abc12' })] }) });
    assert.deepEqual(later.actions, [], 'a repeat that is due is not sent once the witness has the polecat');
    assert.equal(later.status.escalation?.count, 1);
    assert.equal(later.requeueAfterMs, DEFAULT_ESCALATION.recheckMs);
  });

  const pending = (tag = 'esc-gastown-x') =>
    following({ status: { stuckSince: iso(NOW - 1_000), escalation: { count: 1, lastSentAt: iso(NOW - 1_000), nextAt: iso(NOW + 10 * 60_000 - 1_000), pendingMail: tag } } });
  const stuckTown = town({ polecats: [item('nux', 'stuck', { issue: 'gt-abc12' })] });

  test('a pending mail the outbox still holds: wait, no second intent', () => {
    for (const outcome of ['in-flight', undefined] as const) {
      const d = decide({ polecat: pending(), snapshot: stuckTown, ...(outcome ? { pendingMail: outcome } : {}) });
      assert.deepEqual(d.actions, []);
      assert.equal(d.status.escalation?.pendingMail, 'esc-gastown-x');
      assert.equal(d.requeueAfterMs, DEFAULT_ESCALATION.batchWindowMs + 1_000);
    }
  });

  test('a pending mail that went out: settled, Escalated Event, next one at its time', () => {
    const d = decide({ polecat: pending(), snapshot: stuckTown, pendingMail: 'sent' });
    assert.deepEqual(d.status.escalation, { count: 1, lastSentAt: iso(NOW - 1_000), nextAt: iso(NOW + 10 * 60_000 - 1_000) });
    assert.deepEqual(d.actions, []);
    assert.ok(d.events.some((e) => e.reason === Reason.Escalated && e.message.includes('esc-gastown-x')));
    assert.equal(d.requeueAfterMs, 10 * 60_000 - 1_000);
  });

  test('a pending mail gt refused: settled with a Warning, the count kept (the next repeat tries again)', () => {
    const d = decide({ polecat: pending(), snapshot: stuckTown, pendingMail: 'failed' });
    assert.equal(d.status.escalation?.pendingMail, undefined);
    assert.equal(d.status.escalation?.count, 1);
    assert.ok(d.events.some((e) => e.type === 'Warning' && e.reason === Reason.GTError));
    assert.deepEqual(d.actions, []);
  });

  test('after a crash between intent and send: not in the event log -> sent now under the same tag; unprovable -> not resent', () => {
    const lost = decide({ polecat: pending(), snapshot: stuckTown, pendingMail: 'not-sent' });
    assert.deepEqual(lost.actions.map((a) => (a.type === 'escalate' ? [a.tag, a.entry.count] : [])), [['esc-gastown-x', 1]]);
    assert.equal(lost.status.escalation?.pendingMail, 'esc-gastown-x', 'the intent stays until the outbox confirms');
    const unknown = decide({ polecat: pending(), snapshot: stuckTown, pendingMail: 'unproven' });
    assert.deepEqual(unknown.actions, []);
    assert.equal(unknown.status.escalation?.pendingMail, undefined);
    assert.ok(unknown.events.some((e) => e.type === 'Warning' && e.reason === Reason.EscalationUnconfirmed));
  });

  test('polecats of one rig due in the same town read share a tag; another read, another tag', () => {
    const one = decide({ polecat: following(), snapshot: town({ observedAt: NOW - 500, polecats: [item('nux', 'stuck')] }) });
    const two = decide({ polecat: following({ status: { gtName: 'toast' } }), snapshot: town({ observedAt: NOW - 500, polecats: [item('toast', 'stalled')] }) }, NOW + 40);
    const later = decide({ polecat: following(), snapshot: town({ observedAt: NOW + 3_000, polecats: [item('nux', 'stuck')] }) }, NOW + 3_100);
    const tags = [one, two, later].map((d) => (d.actions[0]?.type === 'escalate' ? d.actions[0].tag : undefined));
    assert.equal(tags[0], tags[1]);
    assert.notEqual(tags[0], tags[2]);
  });

  test('a mail not due yet is not sent; restart keeps the schedule from status', () => {
    const stuck = following({ status: { stuckSince: iso(NOW - 6_000), escalation: { count: 2, lastSentAt: iso(NOW - 1_000), nextAt: iso(NOW + 9_000) } } });
    const d = decide({ polecat: stuck, snapshot: town({ polecats: [item('nux', 'stuck', { issue: 'gt-abc12' })] }) });
    assert.deepEqual(d.actions, []);
    assert.equal(d.requeueAfterMs, 9_000);
    assert.equal(d.status.escalation?.count, 2);
  });

  test('a due mail is sent with the next delay doubled', () => {
    const stuck = following({ status: { stuckSince: iso(NOW - 40 * 60_000), escalation: { count: 2, lastSentAt: iso(NOW - 20 * 60_000), nextAt: iso(NOW) } } });
    const d = decide({ polecat: stuck, snapshot: town({ polecats: [item('nux', 'stuck', { issue: 'gt-abc12' })] }) });
    assert.equal(d.actions[0]?.type, 'escalate');
    assert.deepEqual(d.status.escalation, { count: 3, lastSentAt: iso(NOW), nextAt: iso(NOW + 40 * 60_000), pendingMail: escalationTag('gastown', NOW - 500) });
  });

  test('after 5 mails: no more mail, looked at again later', () => {
    const stuck = following({ status: { stuckSince: iso(NOW - 3 * 3_600_000), escalation: { count: 5, lastSentAt: iso(NOW - 2 * 3_600_000), nextAt: iso(NOW - 100_000) } } });
    const d = decide({ polecat: stuck, snapshot: town({ polecats: [item('nux', 'stuck', { issue: 'gt-abc12' })] }) });
    assert.deepEqual(d.actions, []);
    assert.equal(d.requeueAfterMs, DEFAULT_ESCALATION.recheckMs);
    assert.deepEqual(d.status.escalation, { count: 5, lastSentAt: iso(NOW - 2 * 3_600_000) }, 'no next mail is promised');
  });

  test('the fifth mail is the last: its intent names no next one', () => {
    const stuck = following({ status: { stuckSince: iso(NOW - 3 * 3_600_000), escalation: { count: 4, lastSentAt: iso(NOW - 80 * 60_000), nextAt: iso(NOW) } } });
    const d = decide({ polecat: stuck, snapshot: town({ polecats: [item('nux', 'stuck', { issue: 'gt-abc12' })] }) });
    assert.equal(d.actions[0]?.type, 'escalate');
    assert.deepEqual(d.status.escalation, { count: 5, lastSentAt: iso(NOW), pendingMail: escalationTag('gastown', NOW - 500) });
  });

  test('recovery resets Stuck, stuckSince and escalation, with a Normal Event', () => {
    const stuckStatus = { stuckSince: iso(NOW - 60_000), escalation: { count: 3 }, conditions: [{ type: 'Stuck', status: 'True' as const, reason: 'GTStateStuck', message: '', lastTransitionTime: iso(NOW - 60_000) }] };
    const d = decide({ polecat: following({ status: stuckStatus }), snapshot: town({ polecats: [item('nux', 'working', { issue: 'gt-abc12' })] }) });
    assert.equal(d.status.escalation, undefined);
    assert.equal(d.status.stuckSince, undefined);
    assert.deepEqual(cond(d.status, 'Stuck'), { status: 'False', reason: Reason.Healthy });
    assert.ok(d.events.some((e) => e.type === 'Normal' && e.reason === Reason.Healthy));
  });

  test('the escalation address is configurable', () => {
    const config = { ...DEFAULT_POLECAT_CONFIG, escalation: { ...DEFAULT_ESCALATION, address: 'mayor/' } };
    const d = decidePolecat({ polecat: following(), deleting: false, snapshot: town({ polecats: [item('nux', 'stuck')] }) }, NOW, config);
    assert.equal(d.actions[0]?.type === 'escalate' ? d.actions[0].address : '', 'mayor/');
  });
});

describe('polecat decide: termination and deletion', () => {
  const terminating = (extra: Parameters<typeof polecat>[0] = {}) =>
    polecat({ ...extra, spec: { desiredState: 'Terminated', ...extra.spec }, status: { phase: 'Working', gtName: 'nux', beadID: 'gt-abc12' } });
  const snap = town({ polecats: [item('nux', 'working', { issue: 'gt-abc12' })] });

  test('probesFor: check-recovery first, whenever termination is wanted (spec or deletion)', () => {
    assert.equal(probesFor(terminating(), false, snap, NOW, DEFAULT_POLECAT_CONFIG).recovery, true);
    assert.equal(probesFor(following(), true, snap, NOW, DEFAULT_POLECAT_CONFIG).recovery, true);
    assert.equal(probesFor(following(), false, snap, NOW, DEFAULT_POLECAT_CONFIG).recovery, false);
  });

  test('SAFE_TO_NUKE -> nuke without --force', () => {
    const d = decide({ polecat: terminating(), snapshot: snap, recovery: { ok: true, value: recovery('SAFE_TO_NUKE', 'clean') } });
    assert.deepEqual(d.actions, [{ type: 'nuke', rig: 'gastown', name: 'nux', force: false }]);
  });

  const blocked: [string, string, string][] = [
    ['NEEDS_RECOVERY', 'has_uncommitted', Reason.UncommittedChanges],
    ['NEEDS_RECOVERY', 'has_unpushed', Reason.UnpushedCommits],
    ['NEEDS_RECOVERY', 'has_stash', Reason.StashedChanges],
    ['NEEDS_MQ_SUBMIT', 'clean', Reason.NeedsMergeRequestSubmit],
    ['PENDING_MR', 'clean', Reason.PendingMergeRequest],
    ['NEEDS_RECOVERY', 'unknown', Reason.CleanupStatusUnknown],
    ['NEEDS_RECOVERY', '', Reason.CleanupStatusUnknown],
    ['SOMETHING_NEW', 'clean', Reason.CleanupStatusUnknown],
  ];
  for (const [verdict, cleanup, reason] of blocked) {
    for (const deleting of [false, true]) {
      test(`${verdict}/${cleanup || '""'}${deleting ? ' (deletion)' : ''} -> no nuke, CleanupBlocked=${reason}, Warning, retry in 1 min`, () => {
        const d = decide({ polecat: terminating(), deleting, snapshot: snap, recovery: { ok: true, value: recovery(verdict, cleanup) } });
        assert.deepEqual(d.actions, []);
        assert.deepEqual(cond(d.status, 'CleanupBlocked'), { status: 'True', reason });
        assert.deepEqual(d.events.map((e) => [e.type, e.reason]), [['Warning', reason]]);
        assert.equal(d.requeueAfterMs, 60_000);
        assert.equal(d.released, false);
        assert.notEqual(d.status.phase, 'Terminated');
      });
    }
  }

  const git = (over: Partial<{ uncommittedFiles: string[]; unpushedCommits: number; stashCount: number }>) => {
    const g = { uncommittedFiles: [], unpushedCommits: 0, stashCount: 0, ...over };
    return { ok: true as const, value: { clean: g.uncommittedFiles.length === 0 && g.unpushedCommits === 0 && g.stashCount === 0, ...g } };
  };
  const unreported: [string, ReturnType<typeof git>, string][] = [
    ['uncommitted files', git({ uncommittedFiles: ['a.go'] }), Reason.UncommittedChanges],
    ['unpushed commits', git({ unpushedCommits: 2 }), Reason.UnpushedCommits],
    ['stashes', git({ stashCount: 1 }), Reason.StashedChanges],
    ['a clean worktree', git({}), Reason.CleanupStatusUnknown],
  ];
  for (const [what, gitState, reason] of unreported) {
    test(`gt says NEEDS_RECOVERY without a cleanup status; git-state shows ${what} -> ${reason}`, () => {
      const d = decide({ polecat: terminating(), snapshot: snap, recovery: { ok: true, value: recovery('NEEDS_RECOVERY', '') }, gitState });
      assert.deepEqual(d.actions, []);
      assert.deepEqual(cond(d.status, 'CleanupBlocked'), { status: 'True', reason });
    });
  }

  test('needsGitState: only when the verdict is not safe and gt gave no reason', () => {
    assert.equal(needsGitState(recovery('NEEDS_RECOVERY', '')), true);
    assert.equal(needsGitState(recovery('NEEDS_RECOVERY', 'unknown')), true);
    assert.equal(needsGitState(recovery('NEEDS_RECOVERY', 'has_stash')), false);
    assert.equal(needsGitState(recovery('SAFE_TO_NUKE', 'clean')), false);
    assert.equal(needsGitState(recovery('NEEDS_MQ_SUBMIT', 'clean')), false);
  });

  test('force-terminate annotation "true" -> nuke --force even with unsaved work', () => {
    const forced = terminating({ annotations: { [Annotation.ForceTerminate]: 'true' } });
    const d = decide({ polecat: forced, snapshot: snap, recovery: { ok: true, value: recovery('NEEDS_RECOVERY', 'has_unpushed') } });
    assert.deepEqual(d.actions, [{ type: 'nuke', rig: 'gastown', name: 'nux', force: true }]);
  });

  test('any other annotation value does not force', () => {
    const notForced = terminating({ annotations: { [Annotation.ForceTerminate]: 'yes' } });
    const d = decide({ polecat: notForced, snapshot: snap, recovery: { ok: true, value: recovery('NEEDS_RECOVERY', 'has_unpushed') } });
    assert.deepEqual(d.actions, []);
  });

  test('check-recovery NotFound and the town read no longer lists it -> already gone: Terminated, finalizer released', () => {
    const d = decide({ polecat: terminating(), deleting: true, snapshot: town(), recovery: { ok: false, error: gtError('NotFound') } });
    assert.equal(d.status.phase, 'Terminated');
    assert.equal(d.released, true);
  });

  for (const kind of ['Transient', 'Unavailable', 'CLIError', 'ParseError'] as const) {
    test(`check-recovery ${kind} -> no nuke, Synced=False, finalizer kept`, () => {
      const d = decide({ polecat: terminating(), deleting: true, snapshot: snap, recovery: { ok: false, error: gtError(kind) } });
      assert.deepEqual(d.actions, []);
      assert.equal(cond(d.status, 'Synced')?.status, 'False');
      assert.equal(d.released, false);
      assert.ok(d.requeueAfterMs !== undefined);
    });
  }

  test('never slung -> nothing to nuke: Terminated and released', () => {
    const d = decide({ polecat: polecat({ spec: { desiredState: 'Terminated' } }), deleting: true });
    assert.deepEqual(d.actions, []);
    assert.equal(d.released, true);
  });

  test('deleting a Terminated view releases at once, without gt calls', () => {
    const done = polecat({ status: { phase: 'Terminated', gtName: 'nux' } });
    assert.equal(probesFor(done, true, snap, NOW, DEFAULT_POLECAT_CONFIG).recovery, false);
    assert.equal(decide({ polecat: done, deleting: true }).released, true);
  });
});

describe('polecat decide: deleting a view (on-delete x force-terminate)', () => {
  const ORPHAN = { [Annotation.OnDelete]: 'orphan' };
  const FORCE = { [Annotation.ForceTerminate]: 'true' };
  const snap = town({ polecats: [item('nux', 'working', { issue: 'gt-abc12' })] });
  const clean = { ok: true as const, value: recovery('SAFE_TO_NUKE', 'clean') };
  const dirty = { ok: true as const, value: recovery('NEEDS_RECOVERY', 'has_unpushed') };

  const policies: [Record<string, string>, DeletePolicy][] = [
    [{}, 'nuke-if-safe'],
    [FORCE, 'force-nuke'],
    [ORPHAN, 'orphan'],
    [{ ...ORPHAN, ...FORCE }, 'conflict'],
    [{ [Annotation.OnDelete]: 'Orphan' }, 'nuke-if-safe'],
    [{ [Annotation.OnDelete]: 'delete' }, 'nuke-if-safe'],
    [{ ...ORPHAN, [Annotation.ForceTerminate]: 'yes' }, 'orphan'],
    [{ [Annotation.OnDelete]: 'background', ...FORCE }, 'force-nuke'],
  ];
  for (const [annotations, policy] of policies) {
    test(`deletePolicy(${JSON.stringify(annotations)}) = ${policy}`, () => {
      assert.equal(deletePolicy(polecat({ annotations })), policy);
    });
  }

  interface Row {
    readonly name: string;
    readonly deleting: boolean;
    readonly annotations: Record<string, string>;
    readonly spec?: 'Working' | 'Terminated';
    readonly status?: { phase: string; gtName?: string };
    readonly obs?: Partial<PolecatObservation>;
    /** Whether check-recovery is asked for. */
    readonly probe: boolean;
    readonly nuke?: 'safe' | 'force';
    readonly released: boolean;
    readonly blocked?: string;
    readonly event?: [string, string];
  }
  const rows: Row[] = [
    { name: 'no annotation, clean -> check-recovery, safe nuke', deleting: true, annotations: {}, obs: { recovery: clean }, probe: true, nuke: 'safe', released: false },
    { name: 'no annotation, unsaved work -> CleanupBlocked, finalizer kept', deleting: true, annotations: {}, obs: { recovery: dirty }, probe: true, released: false, blocked: Reason.UnpushedCommits, event: ['Warning', Reason.UnpushedCommits] },
    { name: 'force-terminate, unsaved work -> nuke --force', deleting: true, annotations: FORCE, obs: { recovery: dirty }, probe: true, nuke: 'force', released: false },
    { name: 'orphan, unsaved work -> released, no gt call, Normal Orphaned', deleting: true, annotations: ORPHAN, obs: { recovery: dirty }, probe: false, released: true, event: ['Normal', Reason.Orphaned] },
    { name: 'orphan, clean -> released, not nuked although it would be safe', deleting: true, annotations: ORPHAN, obs: { recovery: clean }, probe: false, released: true, event: ['Normal', Reason.Orphaned] },
    { name: 'orphan, no town snapshot yet -> released all the same (needs no gt)', deleting: true, annotations: ORPHAN, obs: { snapshot: undefined }, probe: false, released: true, event: ['Normal', Reason.Orphaned] },
    { name: 'orphan, the town read failing -> released all the same', deleting: true, annotations: ORPHAN, obs: { snapshot: failedTown(gtError('Unavailable')) }, probe: false, released: true, event: ['Normal', Reason.Orphaned] },
    { name: 'orphan, never slung -> released', deleting: true, annotations: ORPHAN, status: { phase: 'Pending' }, probe: false, released: true, event: ['Normal', Reason.Orphaned] },
    { name: 'orphan and force-terminate -> refused: no gt call, finalizer kept, CleanupBlocked', deleting: true, annotations: { ...ORPHAN, ...FORCE }, obs: { recovery: dirty }, probe: false, released: false, blocked: Reason.ConflictingDeleteAnnotations, event: ['Warning', Reason.ConflictingDeleteAnnotations] },
    { name: 'orphan and force-terminate, no town snapshot -> refused the same', deleting: true, annotations: { ...ORPHAN, ...FORCE }, obs: { snapshot: undefined }, probe: false, released: false, blocked: Reason.ConflictingDeleteAnnotations, event: ['Warning', Reason.ConflictingDeleteAnnotations] },
    { name: 'orphan and force-terminate on a Terminated view -> nothing to guess: released', deleting: true, annotations: { ...ORPHAN, ...FORCE }, status: { phase: 'Terminated', gtName: 'nux' }, probe: false, released: true },
    { name: 'orphan and force-terminate, never slung -> nothing to guess: released', deleting: true, annotations: { ...ORPHAN, ...FORCE }, status: { phase: 'Pending' }, spec: 'Terminated', obs: { snapshot: town() }, probe: false, released: true },
    { name: 'on-delete "Orphan" (not the value) -> the default: safe nuke', deleting: true, annotations: { [Annotation.OnDelete]: 'Orphan' }, obs: { recovery: clean }, probe: true, nuke: 'safe', released: false },
    // Only deletion reads on-delete: the annotation never prevents anything else.
    { name: 'not deleting, spec Terminated + orphan, clean -> safe nuke as always', deleting: false, annotations: ORPHAN, spec: 'Terminated', obs: { recovery: clean }, probe: true, nuke: 'safe', released: false },
    { name: 'not deleting, spec Terminated + orphan + force, unsaved work -> nuke --force (no conflict)', deleting: false, annotations: { ...ORPHAN, ...FORCE }, spec: 'Terminated', obs: { recovery: dirty }, probe: true, nuke: 'force', released: false },
    { name: 'not deleting, Working + orphan -> followed, nothing else', deleting: false, annotations: ORPHAN, probe: false, released: false },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const pc = polecat({
        annotations: row.annotations,
        spec: { desiredState: row.spec ?? 'Working' },
        status: { beadID: 'gt-abc12', ...(row.status ?? { phase: 'Working', gtName: 'nux' }) },
      });
      assert.equal(probesFor(pc, row.deleting, snap, NOW, DEFAULT_POLECAT_CONFIG).recovery, row.probe, 'check-recovery asked');
      const d = decide({ polecat: pc, deleting: row.deleting, snapshot: snap, ...row.obs });
      const nukes = row.nuke === undefined ? [] : [{ type: 'nuke', rig: 'gastown', name: 'nux', force: row.nuke === 'force' }];
      assert.deepEqual(d.actions, nukes);
      assert.equal(d.released, row.released);
      assert.equal(cond(d.status, 'CleanupBlocked')?.reason, row.blocked);
      assert.deepEqual(d.events.map((e) => [e.type, e.reason]), row.event ? [row.event] : []);
    });
  }

  test('the orphan Event says the gt polecat was left running; the conflict needs no timer', () => {
    const orphaned = decide({ polecat: following({ annotations: ORPHAN }), deleting: true, snapshot: snap });
    assert.match(orphaned.events[0]?.message ?? '', /gastown\/polecats\/nux left running \(no check-recovery, no nuke\)/);
    const conflict = decide({ polecat: following({ annotations: { ...ORPHAN, ...FORCE } }), deleting: true, snapshot: snap });
    const message = conflict.status.conditions?.find((c) => c.type === 'CleanupBlocked')?.message ?? '';
    assert.match(message, /on-delete="orphan".*force-terminate="true".*until one of them is removed/);
    assert.equal(conflict.requeueAfterMs, undefined, 'removing an annotation is a watch event');
  });

  test('an orphaned view clears a CleanupBlocked left from an earlier attempt', () => {
    const earlier = decide({ polecat: following(), deleting: true, snapshot: snap, recovery: dirty });
    assert.equal(cond(earlier.status, 'CleanupBlocked')?.reason, Reason.UnpushedCommits);
    const withStatus = polecat({ annotations: ORPHAN, status: earlier.status });
    const d = decide({ polecat: withStatus, deleting: true, snapshot: snap });
    assert.equal(d.released, true);
    assert.equal(cond(d.status, 'CleanupBlocked'), undefined);
  });
});

describe('polecat outcomes', () => {
  const base = decide({ polecat: polecat() });
  const sling = { type: 'sling' as const, bead: 'gt-abc12', rig: 'gastown' };

  test('spawned -> the REAL gt name recorded, Working/Slung, Event', () => {
    const d = applySling(base, sling, { ok: true, value: { outcome: 'spawned', bead: 'gt-abc12', rig: 'gastown', polecatName: 'nux', convoyCreated: false } }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.equal(d.status.gtName, 'nux');
    assert.equal(d.status.phase, 'Working');
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'True', reason: Reason.Slung });
    assert.equal(d.events.at(-1)?.reason, Reason.Slung);
  });

  test('exit-0 "already ... no-op" -> adopted', () => {
    const d = applySling(base, sling, { ok: true, value: { outcome: 'already', bead: 'gt-abc12', rig: 'gastown', polecatName: 'slit', beadStatus: 'hooked' } }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.equal(d.status.gtName, 'slit');
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'True', reason: Reason.Adopted });
  });

  test('scheduler mode -> Pending/SlingScheduled, bead remembered, no name yet', () => {
    const d = applySling(base, sling, { ok: true, value: { outcome: 'scheduled', bead: 'gt-abc12', rig: 'gastown' } }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.equal(d.status.phase, 'Pending');
    assert.equal(d.status.beadID, 'gt-abc12');
    assert.equal(d.status.gtName, undefined);
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'False', reason: Reason.SlingScheduled });
  });

  const refusals: [string, string][] = [
    ['Error: bead gt-abc12 is closed (work already completed)', Reason.BeadClosed],
    ["Error: checking bead status: bead 'gt-abc12' not found", Reason.BeadNotFound],
    ['Error: cannot sling to parked rig "gastown"', Reason.RigNotOperational],
    ['Error: bead gt-abc12 is already hooked to beads/polecats/nux', Reason.SlingRefused],
  ];
  for (const [stderr, reason] of refusals) {
    test(`sling refused "${stderr}" -> ${reason}, Warning`, () => {
      const d = applySling(base, sling, { ok: false, error: gtError('CLIError', stderr, { stderr }) }, NOW, DEFAULT_POLECAT_CONFIG);
      assert.deepEqual(cond(d.status, 'Ready'), { status: 'False', reason });
      assert.equal(d.events.at(-1)?.type, 'Warning');
      assert.equal(d.status.gtName, undefined);
    });
  }

  test('sling Transient -> GTUnavailable, short retry', () => {
    const d = applySling(base, sling, { ok: false, error: gtError('Transient') }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.deepEqual(cond(d.status, 'Synced'), { status: 'False', reason: Reason.GTUnavailable });
    assert.equal(d.requeueAfterMs, 5_000);
  });

  const nuking = decide({ polecat: polecat({ spec: { desiredState: 'Terminated' }, status: { phase: 'Working', gtName: 'nux' } }), snapshot: town({ polecats: [item('nux', 'working')] }), recovery: { ok: true, value: recovery('SAFE_TO_NUKE', 'clean') } });

  test('nuke done -> Terminated/Nuked, released', () => {
    const d = applyNuke(nuking, { type: 'nuke', rig: 'gastown', name: 'nux', force: false }, { ok: true, value: { target: 'gastown/nux', nuked: true } }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.equal(d.status.phase, 'Terminated');
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'False', reason: Reason.Nuked });
    assert.equal(d.released, true);
  });

  test('forced nuke -> ForceNuked and the Warning Event says --force and why', () => {
    const d = applyNuke(nuking, { type: 'nuke', rig: 'gastown', name: 'nux', force: true }, { ok: true, value: { target: 'gastown/nux', nuked: true } }, NOW, DEFAULT_POLECAT_CONFIG);
    const e = d.events.at(-1)!;
    assert.equal(e.type, 'Warning');
    assert.equal(e.reason, Reason.ForceNuked);
    assert.match(e.message, /--force/);
    assert.match(e.message, /force-terminate/);
  });

  const refused: [string, string][] = [
    ['has unpushed commits', Reason.UnpushedCommits],
    ['has uncommitted changes', Reason.UncommittedChanges],
    ['has stashed changes', Reason.StashedChanges],
    ['has open MR (gt-mr123)', Reason.PendingMergeRequest],
    ['has work on hook (gt-abc12)', Reason.WorkOnHook],
    ['cleanup status unknown', Reason.CleanupStatusUnknown],
  ];
  for (const [text, reason] of refused) {
    test(`nuke refused by gt ("${text}") -> CleanupBlocked=${reason}, not released`, () => {
      const error = gtError('CLIError', 'blocked: 1 polecat(s) have active work', { blocked: [{ target: 'gastown/nux', reasons: [text] }] });
      const d = applyNuke(nuking, { type: 'nuke', rig: 'gastown', name: 'nux', force: false }, { ok: false, error }, NOW, DEFAULT_POLECAT_CONFIG);
      assert.deepEqual(cond(d.status, 'CleanupBlocked'), { status: 'True', reason });
      assert.equal(d.released, false);
      assert.equal(d.requeueAfterMs, 60_000);
    });
  }

  test('nuke Unavailable -> not released, GTUnavailable', () => {
    const d = applyNuke(nuking, { type: 'nuke', rig: 'gastown', name: 'nux', force: false }, { ok: false, error: gtError('Unavailable') }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.equal(d.released, false);
    assert.deepEqual(cond(d.status, 'Synced'), { status: 'False', reason: Reason.GTUnavailable });
  });

});

describe('polecat decide: SAFE_TO_NUKE must be proven (gt v1.0.1 keeps it when the merge-queue check fails)', () => {
  const terminating = (extra: Parameters<typeof polecat>[0] = {}) =>
    polecat({ ...extra, spec: { desiredState: 'Terminated', ...extra.spec }, status: { phase: 'Working', gtName: 'nux', beadID: 'gt-abc12' } });
  const listed = [item('nux', 'working', { issue: 'gt-abc12' })];
  const check = (verdict: string, cleanup: string, over: { mqStatus?: string; branch?: string; issue?: string; blockers?: string[] } = {}) => ({
    ok: true as const, value: { ...recovery(verdict, cleanup), branch: 'polecat/nux', ...over },
  });
  // [case, verdict, cleanup, mq_status, bead status in the bead read, nuke?]
  const table: [string, string, string, string | undefined, string | undefined, boolean][] = [
    ['MR submitted', 'SAFE_TO_NUKE', 'clean', 'submitted', 'open', true],
    ['nothing to submit (current gt: idle after gt done, or a no-merge bead)', 'SAFE_TO_NUKE', 'clean', 'not_required', 'open', true],
    ['nothing to submit, bead not in the read', 'SAFE_TO_NUKE', 'clean', 'not_required', undefined, true],
    ['no branch, so no merge-queue check, clean', 'SAFE_TO_NUKE', 'clean', undefined, 'open', true],
    ['mq unknown (v1.0.1, database down: git fallback, MR search failed)', 'SAFE_TO_NUKE', 'clean', 'unknown', 'open', false],
    ['mq unknown, bead not in the read', 'SAFE_TO_NUKE', 'clean', 'unknown', undefined, false],
    ['mq unknown but the bead is closed (work done)', 'SAFE_TO_NUKE', 'clean', 'unknown', 'closed', true],
    ['an mq status no gt printed yet', 'SAFE_TO_NUKE', 'clean', 'deferred', 'open', false],
    ['not_submitted next to SAFE_TO_NUKE (contradictory)', 'SAFE_TO_NUKE', 'clean', 'not_submitted', 'open', false],
    ['no mq status and an unknown cleanup status', 'SAFE_TO_NUKE', '', undefined, 'open', false],
    ['current gt fails closed: NEEDS_RECOVERY with mq unknown', 'NEEDS_RECOVERY', 'clean', 'unknown', 'open', false],
    ['current gt fails closed, even with the bead closed', 'NEEDS_RECOVERY', 'clean', 'unknown', 'closed', false],
  ];
  for (const [name, verdict, cleanup, mq, beadStatus, nuke] of table) {
    test(`${name} -> ${nuke ? 'nuke without --force' : 'CleanupBlocked=MergeQueueUnknown, no nuke'}`, () => {
      const snapshot = town({ polecats: listed, beads: beadStatus === undefined ? [] : [bead('gt-abc12', beadStatus)] });
      const d = decide({ polecat: terminating(), snapshot, recovery: check(verdict, cleanup, mq === undefined ? {} : { mqStatus: mq }) });
      if (nuke) {
        assert.deepEqual(d.actions, [{ type: 'nuke', rig: 'gastown', name: 'nux', force: false }]);
        return;
      }
      assert.deepEqual(d.actions, []);
      assert.deepEqual(cond(d.status, 'CleanupBlocked'), { status: 'True', reason: Reason.MergeQueueUnknown });
      assert.deepEqual(d.events.map((e) => [e.type, e.reason]), [['Warning', Reason.MergeQueueUnknown]]);
      assert.equal(d.requeueAfterMs, DEFAULT_POLECAT_CONFIG.cleanupRetryMs, 'retried later');
      assert.equal(d.released, false);
      const message = d.status.conditions?.find((c) => c.type === 'CleanupBlocked')?.message ?? '';
      assert.match(message, /merge queue/);
      assert.match(message, /could not confirm that branch polecat\/nux reached the merge queue/);
      assert.match(message, /gt mq submit --branch polecat\/nux/);
      assert.match(message, new RegExp(`${Annotation.ForceTerminate}="true"`));
    });
  }

  test('current gt\'s blockers are quoted in the message, bounded', () => {
    const blockers = ['mq_status=unknown', 'b2', 'b3', `b4${'x'.repeat(500)}`];
    const d = decide({ polecat: terminating(), snapshot: town({ polecats: listed }), recovery: check('NEEDS_RECOVERY', 'clean', { mqStatus: 'unknown', blockers }) });
    const message = d.status.conditions?.find((c) => c.type === 'CleanupBlocked')?.message ?? '';
    assert.match(message, /says NEEDS_RECOVERY \(cleanup status clean, merge queue unknown; blockers: mq_status=unknown, b2, b3, \+1 more\): could not confirm/);
    const one = decide({ polecat: terminating(), snapshot: town({ polecats: listed }), recovery: check('NEEDS_RECOVERY', 'has_stash', { blockers: [`cleanup_status=${'y'.repeat(300)}`] }) });
    const said = one.status.conditions?.find((c) => c.type === 'CleanupBlocked')?.message ?? '';
    assert.equal(cond(one.status, 'CleanupBlocked')?.reason, Reason.StashedChanges);
    assert.match(said, new RegExp(`blockers: cleanup_status=y{105}\\)`), 'each blocker cut at 120 characters');
  });

  test('safeToNukeProven / mergeQueueUnknown: the rule itself', () => {
    const value = (verdict: string, cleanup: string, mqStatus?: string) => check(verdict, cleanup, mqStatus === undefined ? {} : { mqStatus }).value;
    assert.equal(safeToNukeProven(value('SAFE_TO_NUKE', 'clean', 'not_required'), false), true);
    assert.equal(safeToNukeProven(value('SAFE_TO_NUKE', 'clean', 'submitted'), false), true);
    assert.equal(safeToNukeProven(value('SAFE_TO_NUKE', 'clean', 'unknown'), false), false);
    assert.equal(safeToNukeProven(value('SAFE_TO_NUKE', 'clean', 'unknown'), true), true);
    assert.equal(safeToNukeProven(value('SAFE_TO_NUKE', 'clean', 'NOT_REQUIRED'), false), false, 'exact values only');
    assert.equal(safeToNukeProven(value('NEEDS_MQ_SUBMIT', 'clean', 'not_required'), true), false, 'never over a verdict that is not SAFE_TO_NUKE');
    assert.equal(mergeQueueUnknown(value('NEEDS_RECOVERY', 'clean', 'unknown')), true);
    assert.equal(mergeQueueUnknown(value('NEEDS_RECOVERY', 'has_unpushed', 'unknown')), false, 'the dirt is the reason then');
    assert.equal(mergeQueueUnknown(value('NEEDS_MQ_SUBMIT', 'clean', 'not_submitted')), false);
    assert.equal(needsGitState(value('NEEDS_RECOVERY', 'clean', 'unknown')), false, 'the reason is known: no git-state call');
  });

  test('the bead checked is the one gt names, else the view\'s (a discovered view follows whatever its polecat holds)', () => {
    const snapshot = town({ polecats: listed, beads: [bead('gt-abc12', 'open'), bead('gt-other', 'closed')] });
    const d = decide({ polecat: terminating({ labels: { [Label.Discovered]: 'true', [Label.Polecat]: 'nux' } }), snapshot, recovery: check('SAFE_TO_NUKE', 'clean', { mqStatus: 'unknown', issue: 'gt-other' }) });
    assert.equal(d.actions[0]?.type, 'nuke');
  });

  test('deletion is held back the same way', () => {
    const d = decide({ polecat: following(), deleting: true, snapshot: town({ polecats: listed }), recovery: check('SAFE_TO_NUKE', 'clean', { mqStatus: 'unknown' }) });
    assert.deepEqual(d.actions, []);
    assert.equal(d.released, false);
    assert.equal(cond(d.status, 'CleanupBlocked')?.reason, Reason.MergeQueueUnknown);
  });

  test('the force-terminate annotation still nukes with --force', () => {
    const forced = terminating({ annotations: { [Annotation.ForceTerminate]: 'true' } });
    const d = decide({ polecat: forced, snapshot: town({ polecats: listed }), recovery: check('SAFE_TO_NUKE', 'clean', { mqStatus: 'unknown' }) });
    assert.deepEqual(d.actions, [{ type: 'nuke', rig: 'gastown', name: 'nux', force: true }]);
  });

  test('NEEDS_MQ_SUBMIT (an idle polecat after gt done) is blocked and says how to submit or force', () => {
    const d = decide({ polecat: terminating(), snapshot: town({ polecats: [item('nux', 'idle', { sessionRunning: false })] }), recovery: check('NEEDS_MQ_SUBMIT', 'clean', { mqStatus: 'not_submitted' }) });
    assert.deepEqual(d.actions, []);
    const c = d.status.conditions?.find((x) => x.type === 'CleanupBlocked');
    assert.equal(c?.reason, Reason.NeedsMergeRequestSubmit);
    assert.match(c?.message ?? '', /never submitted to the merge queue/);
    assert.match(c?.message ?? '', /gt mq submit --branch polecat\/nux/);
    assert.match(c?.message ?? '', new RegExp(`${Annotation.ForceTerminate}="true"`));
  });
});

describe('polecat decide: a listing without issues (beads database down) is not evidence', () => {
  // With the database down `gt polecat list` exits 0 and shows every polecat working/stalled,
  // no issue. Only the batched bead read (which then fails as a whole) can say the work is done.
  const rows: [string, ReturnType<typeof item>, ReturnType<typeof bead>[], string][] = [
    ['working, no issue, bead open', item('nux', 'working'), [bead('gt-abc12', 'open')], 'Working'],
    ['stalled, no issue, bead open', item('nux', 'stalled'), [bead('gt-abc12', 'open')], 'Working'],
    ['stalled, no issue, bead not in the read', item('nux', 'stalled'), [], 'Idle'],
    ['stalled, no issue, bead closed', item('nux', 'stalled'), [bead('gt-abc12', 'closed')], 'Idle'],
    ['idle (gt says so), bead open', item('nux', 'idle', { sessionRunning: false }), [bead('gt-abc12', 'open')], 'Idle'],
  ];
  for (const [name, listed, beads, phase] of rows) {
    test(`Working view, ${name} -> ${phase}`, () => {
      const d = decide({ polecat: following(), snapshot: town({ polecats: [listed], beads }) });
      assert.equal(d.status.phase, phase);
      assert.equal(d.status.beadID, 'gt-abc12', 'the bead is kept: a listing without an issue does not clear it');
      assert.notEqual(d.status.phase, 'Terminated');
    });
  }

  test('a view never given a bead still goes Idle for a stalled polecat without an issue', () => {
    const discovered = polecat({ spec: { desiredState: 'Idle', beadID: undefined }, labels: { [Label.Discovered]: 'true', [Label.Polecat]: 'nux' } });
    const d = decide({ polecat: discovered, snapshot: town({ polecats: [item('nux', 'stalled')] }) });
    assert.equal(d.status.phase, 'Idle');
  });
});

describe('polecat decide: finished is not lost (gt v1.2 retires a polecat on a clean gt done)', () => {
  const retiredNow = (snapshot = town({ beads: [bead('gt-abc12', 'closed')] }), extra: Partial<PolecatObservation> = {}) =>
    decide({ polecat: following({ status: { dispatchedBeadID: 'gt-abc12', branch: 'polecat/nux/gt-abc12' } }), snapshot, ...extra });

  test('vanished with its bead closed -> Idle/Completed, bead and its status kept, one Normal Event, no action', () => {
    const d = retiredNow();
    assert.equal(d.status.phase, 'Idle');
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'True', reason: Reason.Completed });
    assert.deepEqual([d.status.beadID, d.status.beadStatus, d.status.branch, d.status.sessionRunning], ['gt-abc12', 'closed', 'polecat/nux/gt-abc12', false]);
    assert.deepEqual(d.events.map((e) => [e.type, e.reason]), [['Normal', Reason.Completed]]);
    assert.match(d.events[0]?.message ?? '', /gastown\/polecats\/nux finished its work and gt retired it \(bead gt-abc12 is closed\)/);
    assert.deepEqual([d.actions, d.released], [[], false]);
  });

  test('settled: no second Event, no sling, and a new polecat under the same name is not followed', () => {
    const first = retiredNow();
    const again = polecat({ status: first.status });
    for (const snapshot of [town(), town({ polecats: [item('nux', 'working', { issue: 'gt-zzz99' })] })]) {
      const d = decide({ polecat: again, snapshot });
      assert.deepEqual([d.status.phase, cond(d.status, 'Ready')?.reason, d.actions, d.events], ['Idle', Reason.Completed, [], []]);
      assert.equal(d.status.beadID, 'gt-abc12');
    }
    const deleted = decide({ polecat: again, deleting: true, snapshot: town() });
    assert.deepEqual([deleted.released, deleted.actions], [true, []], 'deleting it calls no gt');
  });

  test('bead still open: a merge request of the bead (or of the recorded branch) proves it was submitted', () => {
    const open = town({ beads: [bead('gt-abc12', 'hooked')] });
    const mr = (fields: { sourceIssue?: string; branch?: string }) => ({ ...bead('gt-wisp-m1', 'open'), mergeRequest: fields });
    for (const fields of [{ sourceIssue: 'gt-abc12' }, { branch: 'polecat/nux/gt-abc12' }]) {
      const d = retiredNow(open, { mergeRequests: { ok: true, value: [mr(fields)] } });
      assert.deepEqual([d.status.phase, cond(d.status, 'Ready')?.reason, d.status.beadStatus], ['Idle', Reason.Completed, 'hooked']);
      assert.match(d.events[0]?.message ?? '', /submitted as merge request gt-wisp-m1/);
    }
    const lost = retiredNow(open, { mergeRequests: { ok: true, value: [mr({ sourceIssue: 'gt-other', branch: 'polecat/x' })] } });
    assert.deepEqual([lost.status.phase, cond(lost.status, 'Ready')?.reason, lost.events[0]?.type], ['Terminated', Reason.NukedOutsideKubernetes, 'Warning']);
  });

  test('bead still open and the merge-request read failed: nothing concluded, looked at again', () => {
    const d = retiredNow(town({ beads: [bead('gt-abc12', 'hooked')] }), { mergeRequests: { ok: false, error: gtError('Unavailable') } });
    assert.equal(d.status.phase, 'Working');
    assert.equal(cond(d.status, 'Synced')?.status, 'False');
    assert.deepEqual(d.events, []);
    assert.ok(d.requeueAfterMs !== undefined);
  });
});

describe('polecat decide: gt v1.2 check-recovery fields only make nuking stricter', () => {
  const terminating = polecat({ spec: { desiredState: 'Terminated' }, status: { phase: 'Working', gtName: 'nux', beadID: 'gt-abc12' } });
  const snapshot = town({ polecats: [item('nux', 'idle', { sessionRunning: false })] });
  const safe = { ...recovery('SAFE_TO_NUKE', 'clean'), branch: 'polecat/nux', mqStatus: 'not_required' };
  // [case, check, nuke?, CleanupBlocked reason]
  const table: [string, RecoveryCheck, boolean, Reason?][] = [
    ['v1.0 shape, proven safe', safe, true],
    ['v1.2 flags agreeing', { ...safe, safeToNuke: true, needsMqSubmit: false, reason: 'clean' }, true],
    ['a named blocker next to SAFE_TO_NUKE', { ...safe, blockers: ['hook_bead=gt-abc12 status=hooked'] }, false, Reason.CleanupStatusUnknown],
    ['needs_mq_submit next to SAFE_TO_NUKE', { ...safe, needsMqSubmit: true }, false, Reason.NeedsMergeRequestSubmit],
    ['safe_to_nuke false next to SAFE_TO_NUKE', { ...safe, safeToNuke: false }, false, Reason.CleanupStatusUnknown],
    ['needs_recovery next to SAFE_TO_NUKE', { ...safe, needsRecovery: true }, false, Reason.CleanupStatusUnknown],
    ['PENDING_MR', { ...recovery('PENDING_MR', 'clean'), needsRecovery: false, activeMr: 'gt-wisp-m1', safeToNuke: false }, false, Reason.PendingMergeRequest],
    ['a verdict no gt printed yet, whatever the flags say', { ...recovery('WORKING', 'clean'), needsRecovery: false, safeToNuke: true }, false, Reason.CleanupStatusUnknown],
  ];
  for (const [name, check, nuke, reason] of table) {
    test(`${name} -> ${nuke ? 'nuke' : `kept (${reason ?? ''})`}`, () => {
      const d = decide({ polecat: terminating, snapshot, recovery: { ok: true, value: check }, gitState: { ok: true, value: { clean: true, uncommittedFiles: [], unpushedCommits: 0, stashCount: 0 } } });
      assert.deepEqual(d.actions, nuke ? [{ type: 'nuke', rig: 'gastown', name: 'nux', force: false }] : []);
      assert.equal(safeToNukeProven(check, false), nuke);
      if (!nuke) assert.deepEqual(cond(d.status, 'CleanupBlocked'), { status: 'True', reason });
    });
  }
});

