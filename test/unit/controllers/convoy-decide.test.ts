// Decision tables of the Convoy controller: creation exactly once (marker search), tracking
// verification, per-bead progress, completion, disappearance confirmed before Failed, the
// at-most-once notification, and every gt error kind.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Reason } from '../../../src/api/index.ts';
import { DEFAULT_CONVOY_CONFIG, decideConvoy, probesFor, type ConvoyObservation } from '../../../src/controllers/convoy/decide.ts';
import { applyCreate, applyNotify } from '../../../src/controllers/convoy/outcome.ts';
import { convoyMarker, convoyTitle, findByMarker } from '../../../src/controllers/convoy/status.ts';
import { GtError, type GtErrorKind } from '../../../src/gt/errors.ts';
import type { Convoy as GtConvoy } from '../../../src/gt/types.ts';
import { NOW, bead, cond, convoy, failedTown, gtError, iso, listedConvoy, open, town, tracked } from './polecat-fixtures.ts';

const decide = (obs: Partial<ConvoyObservation> & Pick<ConvoyObservation, 'convoy'>) =>
  decideConvoy({ snapshot: town(), gtReachable: true, ...obs }, NOW, DEFAULT_CONVOY_CONFIG);

const ID = 'hq-cv-abc12';
const verified = { type: 'Tracking', status: 'True' as const, reason: 'Synced', message: '', observedGeneration: 1, lastTransitionTime: iso(NOW - 60_000) };
const running = (extra: Partial<NonNullable<Parameters<typeof convoy>[0]>> = {}) =>
  convoy({ ...extra, status: { phase: 'InProgress', beadsConvoyID: ID, observedGeneration: 1, conditions: [verified], ...extra.status } });
const gtConvoy = (beads: ReturnType<typeof tracked>[]): GtConvoy => ({ id: ID, title: 't', status: open('open', ['open', 'closed'] as const), owned: false, lifecycle: 'system-managed', tracked: beads, completed: 0, total: beads.length });

describe('convoy decide: the town read and gt errors', () => {
  test('no snapshot yet -> wait', () => {
    const d = decide({ convoy: convoy(), snapshot: undefined });
    assert.deepEqual(d.actions, []);
    assert.equal(d.requeueAfterMs, DEFAULT_CONVOY_CONFIG.townWaitMs);
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
    test(`failed town read (${kind}) -> Synced=False/${reason}, requeue ${String(requeue)}`, () => {
      const d = decide({ convoy: running(), snapshot: failedTown(gtError(kind)) });
      assert.deepEqual(d.actions, []);
      assert.deepEqual(cond(d.status, 'Synced'), { status: 'False', reason });
      assert.equal(d.requeueAfterMs, requeue);
      assert.equal(d.status.phase, 'InProgress');
    });
    test(`marker search failed (${kind}) -> never create blindly`, () => {
      const d = decide({ convoy: convoy(), search: { ok: false, error: gtError(kind) } });
      assert.deepEqual(d.actions, []);
      assert.deepEqual(cond(d.status, 'Synced'), { status: 'False', reason });
    });
  }
});

describe('convoy decide: creation exactly once', () => {
  test('the marker names the object and its uid; titles are one line and never start with "-"', () => {
    const c = convoy({ spec: { description: '--force\nmulti  line' } });
    assert.equal(convoyMarker(c), '[k8s:ns/cv1/1234abcd]');
    assert.equal(convoyTitle(c), 'force multi line [k8s:ns/cv1/1234abcd]');
    assert.ok(!convoyTitle(c).startsWith('-'));
    assert.ok(convoyTitle(convoy({ spec: { description: 'x'.repeat(1000) } })).length < 260);
  });

  test('findByMarker matches the suffix of this object only', () => {
    const c = convoy();
    const mine = listedConvoy('hq-cv-mine1', `Ship it ${convoyMarker(c)}`, []);
    const other = listedConvoy('hq-cv-othr1', 'Ship it [k8s:ns/cv10/1234abcd]', []);
    assert.equal(findByMarker([other, mine], c)?.id, 'hq-cv-mine1');
    assert.equal(findByMarker([other], c), undefined);
  });

  test('probesFor: search while there is no ID, nothing once settled', () => {
    assert.deepEqual(probesFor(convoy(), town()), { search: true, status: false });
    assert.deepEqual(probesFor(running(), town({ convoys: [listedConvoy(ID, 't', [])] })), { search: false, status: false });
    assert.deepEqual(probesFor(running(), town()), { search: false, status: true });
    assert.deepEqual(probesFor(running({ status: { conditions: [] } }), town({ convoys: [listedConvoy(ID, 't', [])] })), { search: false, status: true });
    assert.deepEqual(probesFor(running({ status: { phase: 'Completed' } }), town()), { search: false, status: false });
  });

  test('probesFor: a fresh convoy the open list shows tracking every bead is verified without `convoy status`', () => {
    const fresh = running({ status: { conditions: [{ ...verified, status: 'Unknown', reason: Reason.TrackingIncomplete }] } });
    const all = town({ convoys: [listedConvoy(ID, 't', [tracked('gt-aaa11', 'open'), tracked('bd-bbb22', 'open')])] });
    assert.deepEqual(probesFor(fresh, all), { search: false, status: false });
    const d = decide({ convoy: fresh, snapshot: all });
    assert.deepEqual(d.actions, []);
    assert.deepEqual(cond(d.status, 'Tracking'), { status: 'True', reason: Reason.Synced });
    // One bead missing from the list: only `convoy status` may justify an add.
    assert.deepEqual(probesFor(fresh, town({ convoys: [listedConvoy(ID, 't', [tracked('gt-aaa11', 'open')])] })), { search: false, status: true });
  });

  test('not found by marker -> create with the marker title and every bead (no --notify), Pending', () => {
    const c = convoy();
    const d = decide({ convoy: c, search: { ok: true, value: undefined } });
    assert.deepEqual(d.actions, [{ type: 'create', title: convoyTitle(c), beads: ['gt-aaa11', 'bd-bbb22'] }]);
    assert.equal(d.status.phase, 'Pending');
  });

  test('found by marker (crash between create and status write) -> adopt, no create', () => {
    const c = convoy();
    const d = decide({ convoy: c, search: { ok: true, value: listedConvoy(ID, convoyTitle(c), []) } });
    assert.deepEqual(d.actions, []);
    assert.equal(d.status.beadsConvoyID, ID);
    assert.equal(d.status.phase, 'InProgress');
    assert.equal(d.status.startedAt, '2026-04-01T10:00:00Z');
    assert.equal(cond(d.status, 'Tracking')?.status, 'Unknown');
  });

  test('create outcome: ID recorded, startedAt, verification next', () => {
    const c = convoy();
    const d0 = decide({ convoy: c, search: { ok: true, value: undefined } });
    const d = applyCreate(d0, { type: 'create', title: 't', beads: ['gt-aaa11'] }, { ok: true, value: { id: ID } }, NOW, DEFAULT_CONVOY_CONFIG);
    assert.equal(d.status.beadsConvoyID, ID);
    assert.equal(d.status.startedAt, iso(NOW));
    assert.equal(d.requeueAfterMs, DEFAULT_CONVOY_CONFIG.townWaitMs);
    const failed = applyCreate(d0, { type: 'create', title: 't', beads: ['gt-aaa11'] }, { ok: false, error: gtError('ParseError') }, NOW, DEFAULT_CONVOY_CONFIG);
    assert.equal(failed.status.beadsConvoyID, undefined, 'unknown outcome: the next marker search decides');
  });
});

describe('convoy decide: tracking and progress', () => {
  test('gt convoy status shows a bead untracked (gt only warned) -> convoy add the missing ones', () => {
    const c = running({ status: { conditions: [] } });
    const d = decide({ convoy: c, gtConvoy: { ok: true, value: gtConvoy([tracked('gt-aaa11', 'open')]) } });
    assert.deepEqual(d.actions, [{ type: 'add', id: ID, beads: ['bd-bbb22'] }]);
    assert.deepEqual(cond(d.status, 'Tracking'), { status: 'False', reason: Reason.TrackingIncomplete });
  });

  test('a snapshot alone never triggers an add (it may predate one)', () => {
    const c = running({ status: { conditions: [] } });
    const d = decide({ convoy: c, snapshot: town({ convoys: [listedConvoy(ID, 't', [tracked('gt-aaa11', 'open')])] }) });
    assert.deepEqual(d.actions, []);
  });

  test('progress from per-bead status: 1/2, InProgress, bounded lists and counts', () => {
    const snap = town({ convoys: [listedConvoy(ID, 't', [tracked('gt-aaa11', 'open'), tracked('bd-bbb22', 'open')])], beads: [bead('gt-aaa11', 'closed'), bead('bd-bbb22', 'in_progress')] });
    const d = decide({ convoy: running(), snapshot: snap });
    assert.equal(d.status.progress, '1/2');
    assert.deepEqual(d.status.completedBeads, ['gt-aaa11']);
    assert.deepEqual(d.status.pendingBeads, ['bd-bbb22']);
    assert.equal(d.status.phase, 'InProgress');
    assert.equal(d.requeueAfterMs, DEFAULT_CONVOY_CONFIG.progressPollMs);
    assert.deepEqual(cond(d.status, 'Tracking'), { status: 'True', reason: Reason.Synced });
  });

  test('cross-rig convoy gt never closes: Completed from per-bead status, completedAt, Event', () => {
    const snap = town({ convoys: [listedConvoy(ID, 't', [tracked('gt-aaa11', 'open'), tracked('bd-bbb22', 'open')])], beads: [bead('gt-aaa11', 'closed'), bead('bd-bbb22', 'closed')] });
    const d = decide({ convoy: running(), snapshot: snap });
    assert.equal(d.status.phase, 'Completed');
    assert.equal(d.status.progress, '2/2');
    assert.equal(d.status.completedAt, iso(NOW));
    assert.equal(d.status.gtStatus, 'open');
    assert.equal(d.requeueAfterMs, undefined, 'no polling after completion');
    assert.ok(d.events.some((e) => e.reason === Reason.AllBeadsClosed));
    assert.deepEqual(cond(d.status, 'Notified'), { status: 'False', reason: Reason.NotificationNotRequested });
  });

  test('a convoy status gt added later: raw kept, marked unknown', () => {
    const snap = town({ convoys: [listedConvoy(ID, 't', [tracked('gt-aaa11', 'open'), tracked('bd-bbb22', 'open')], 'archived')] });
    const d = decide({ convoy: running(), snapshot: snap });
    assert.deepEqual([d.status.gtStatus, d.status.gtStatusKnown], ['archived', false]);
    const open = decide({ convoy: running(), snapshot: town({ convoys: [listedConvoy(ID, 't', [tracked('gt-aaa11', 'open')])] }) });
    assert.deepEqual([open.status.gtStatus, open.status.gtStatusKnown], ['open', true]);
  });

  test('large convoys (5,000 beads): counts exact, lists bounded, status far below the object size limit', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `gt-${i.toString(36).padStart(5, '0')}`);
    const c = running({ spec: { trackedBeads: ids } });
    const snap = town({ convoys: [listedConvoy(ID, 't', ids.map((i) => tracked(i, 'open')))], beads: ids.slice(0, 3000).map((i) => bead(i, 'closed')) });
    const d = decide({ convoy: c, snapshot: snap });
    assert.equal(d.status.completedCount, 3000);
    assert.equal(d.status.pendingCount, 2000);
    assert.equal(d.status.progress, '3000/5000');
    assert.equal(d.status.completedBeads?.length, 100);
    assert.equal(d.status.pendingBeads?.length, 100);
    assert.equal(d.status.beadListsTruncated, true);
    // The API server refuses objects over 1.5 MiB (etcd's limit); the status stays a few KiB.
    assert.ok(JSON.stringify(d.status).length < 16 * 1024, `status is ${JSON.stringify(d.status).length} bytes`);
  });

  test('settled (Completed at this generation) -> nothing changes, no actions, no requeue', () => {
    const done = running({ status: { phase: 'Completed', progress: '2/2', conditions: [verified] } });
    const d = decide({ convoy: done, snapshot: town({ beads: [bead('gt-aaa11', 'open')] }) });
    assert.deepEqual(d.actions, []);
    assert.equal(d.requeueAfterMs, undefined);
    assert.equal(d.status.phase, 'Completed');
    assert.equal(d.status.progress, '2/2');
  });

  test('a new generation (spec changed) re-opens a settled convoy to verify tracking', () => {
    const done = convoy({ generation: 2, status: { phase: 'Completed', beadsConvoyID: ID, observedGeneration: 1, conditions: [verified] } });
    assert.deepEqual(probesFor(done, town()), { search: false, status: true });
  });
});

describe('convoy decide: disappearance', () => {
  const notFound = gtError('NotFound', "gt convoy status: convoy 'hq-cv-abc12' not found", { possiblyTransient: true });
  test('NotFound confirmed by the bead read (bd knows others, not the convoy) -> Failed/ConvoyNotFound', () => {
    const d = decide({ convoy: running(), snapshot: town({ beads: [bead('gt-aaa11', 'open')], missing: [ID] }), gtConvoy: { ok: false, error: notFound } });
    assert.equal(d.status.phase, 'Failed');
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'False', reason: Reason.ConvoyNotFound });
    assert.equal(d.requeueAfterMs, undefined);
  });
  test('NotFound while bd answers nothing (database down) -> not Failed, retried as unavailable', () => {
    const d = decide({ convoy: running(), snapshot: town({ missing: [ID] }), gtConvoy: { ok: false, error: notFound } });
    assert.equal(d.status.phase, 'InProgress');
    assert.deepEqual(cond(d.status, 'Synced'), { status: 'False', reason: Reason.GTUnavailable });
    assert.equal(d.requeueAfterMs, 5_000);
  });
  test('NotFound while the bead read still finds the convoy bead -> not Failed', () => {
    const d = decide({ convoy: running(), snapshot: town({ beads: [bead(ID, 'open')] }), gtConvoy: { ok: false, error: notFound } });
    assert.notEqual(d.status.phase, 'Failed');
  });
});

describe('convoy decide: notification at most once', () => {
  const closedSnap = town({ convoys: [listedConvoy(ID, 't', [tracked('gt-aaa11', 'closed'), tracked('bd-bbb22', 'closed')])] });
  const notifying = (status: Record<string, unknown> = {}) => running({ spec: { notifyOnComplete: true, notifyAddress: 'overseer' }, status });

  test('completion with notifyOnComplete -> intent (Notified=Unknown) and one mail action', () => {
    const d = decide({ convoy: notifying(), snapshot: closedSnap });
    assert.equal(d.status.phase, 'Completed');
    assert.deepEqual(cond(d.status, 'Notified'), { status: 'Unknown', reason: Reason.NotificationPending });
    assert.equal(d.actions.length, 1);
    assert.equal(d.actions[0]?.type === 'notify' ? d.actions[0].address : '', 'overseer');
  });

  test('before completion -> Notified=False/NotificationPending, no mail', () => {
    const d = decide({ convoy: notifying(), snapshot: town({ convoys: [listedConvoy(ID, 't', [tracked('gt-aaa11', 'open'), tracked('bd-bbb22', 'closed')])] }) });
    assert.deepEqual(d.actions, []);
    assert.deepEqual(cond(d.status, 'Notified'), { status: 'False', reason: Reason.NotificationPending });
  });

  test('sent -> Notified=True, notifiedAt; a later reconcile sends nothing', () => {
    const d0 = decide({ convoy: notifying(), snapshot: closedSnap });
    const action = d0.actions[0]!;
    assert.equal(action.type, 'notify');
    if (action.type !== 'notify') return;
    const d = applyNotify(d0, action, { ok: true, value: { address: 'overseer' } }, NOW, DEFAULT_CONVOY_CONFIG);
    assert.deepEqual(cond(d.status, 'Notified'), { status: 'True', reason: Reason.NotificationSent });
    assert.equal(d.status.notifiedAt, iso(NOW));
    const again = decide({ convoy: convoy({ spec: { notifyOnComplete: true }, status: d.status }), snapshot: closedSnap });
    assert.deepEqual(again.actions, []);
  });

  test('an unconfirmed intent found on restart -> NotificationFailed, never a second mail', () => {
    const intent = { type: 'Notified', status: 'Unknown' as const, reason: 'NotificationPending', message: '', observedGeneration: 1, lastTransitionTime: iso(NOW) };
    const d = decide({ convoy: notifying({ phase: 'Completed', conditions: [verified, intent] }), snapshot: closedSnap });
    assert.deepEqual(d.actions, []);
    assert.deepEqual(cond(d.status, 'Notified'), { status: 'False', reason: Reason.NotificationFailed });
  });

  // No gt process was started: the mail provably did not go out, so it is tried again.
  const notStarted: [string, GtError][] = [
    ['binary missing (spawn ENOENT)', new GtError('Unavailable', 'cannot run gt', { command: 'gt mail send', notStarted: true })],
    ['breaker open', new GtError('Transient', 'breaker open', { command: 'gt mail send', notStarted: true })],
    ['invalid argument', new GtError('InvalidArgument', 'bad address', { command: 'gt mail send' })],
  ];
  for (const [name, error] of notStarted) {
    test(`mail failed before gt ran (${name}) -> provably not sent, retried later`, () => {
      const d0 = decide({ convoy: notifying(), snapshot: closedSnap });
      const action = d0.actions[0]!;
      if (action.type !== 'notify') throw new Error('expected notify');
      const d = applyNotify(d0, action, { ok: false, error }, NOW, DEFAULT_CONVOY_CONFIG);
      assert.deepEqual(cond(d.status, 'Notified'), { status: 'False', reason: Reason.NotificationPending });
      const retry = decide({ convoy: convoy({ spec: { notifyOnComplete: true }, status: d.status }), snapshot: closedSnap });
      assert.equal(retry.actions[0]?.type, 'notify');
    });
  }

  // gt ran and failed: it may have written the mail first, so it is never sent again.
  for (const kind of ['Transient', 'ParseError', 'CLIError', 'Unavailable'] as const) {
    test(`mail ${kind} after gt ran (maybe sent: a crash, timeout or refusal) -> NotificationFailed, not retried`, () => {
      const d0 = decide({ convoy: notifying(), snapshot: closedSnap });
      const action = d0.actions[0]!;
      if (action.type !== 'notify') throw new Error('expected notify');
      const d = applyNotify(d0, action, { ok: false, error: gtError(kind) }, NOW, DEFAULT_CONVOY_CONFIG);
      assert.equal(gtError(kind).started, true);
      assert.deepEqual(cond(d.status, 'Notified'), { status: 'False', reason: Reason.NotificationFailed });
      const later = decide({ convoy: convoy({ spec: { notifyOnComplete: true }, status: d.status }), snapshot: closedSnap });
      assert.deepEqual(later.actions, []);
    });
  }

  test('circuit breaker open -> the mail is not even tried (no intent), look again soon', () => {
    const d = decideConvoy({ convoy: notifying(), snapshot: closedSnap, gtReachable: false }, NOW, DEFAULT_CONVOY_CONFIG);
    assert.deepEqual(d.actions, []);
    assert.notEqual(cond(d.status, 'Notified')?.status, 'Unknown');
    assert.equal(d.requeueAfterMs, 5_000);
  });
});
