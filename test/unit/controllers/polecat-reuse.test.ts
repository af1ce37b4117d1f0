// Regression tables for a view whose gt polecat is reused for another bead, for termination
// without a recorded gt name, for "gone" only when gt and the town read agree, and for the
// in-process sling fence in scheduler mode.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Annotation, Label, Reason, type Polecat } from '../../../src/api/index.ts';
import { DEFAULT_POLECAT_CONFIG, decidePolecat, probesFor, type PolecatObservation } from '../../../src/controllers/polecat/decide.ts';
import { applySling } from '../../../src/controllers/polecat/outcome.ts';
import { SlingFences } from '../../../src/controllers/polecat/reconcile.ts';
import { NOW, bead, cond, gtError, item, polecat, recovery, town } from './polecat-fixtures.ts';

const decide = (obs: Partial<PolecatObservation> & Pick<PolecatObservation, 'polecat'>, now = NOW) =>
  decidePolecat({ deleting: false, snapshot: town(), ...obs }, now, DEFAULT_POLECAT_CONFIG);

const B = 'gt-abc12';
const C = 'gt-ccc33';
/** nux finished B (still open until the refinery merges it) and gt reused it for C. */
const reused = town({ polecats: [item('nux', 'working', { issue: C, branch: 'polecat/nux-c' })], beads: [bead(B, 'open'), bead(C, 'in_progress')] });

/** A view that slung B to nux and recorded it. */
const slungB = (over: Parameters<typeof polecat>[0] = {}): Polecat =>
  polecat({ ...over, status: { phase: 'Working', gtName: 'nux', beadID: B, dispatchedBeadID: B, branch: 'polecat/nux-b', ...over.status } });

describe('polecat decide: gt reuses the followed polecat for another bead', () => {
  test('the view goes Idle/PolecatReassigned, keeps its own bead and branch, and never slings B again', () => {
    const d = decide({ polecat: slungB(), snapshot: reused });
    assert.deepEqual(d.actions, [], 'no second sling of B');
    assert.equal(d.status.phase, 'Idle');
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'True', reason: Reason.PolecatReassigned });
    assert.equal(d.status.beadID, B, 'the new bead is not adopted as the view\'s own');
    assert.equal(d.status.dispatchedBeadID, B);
    assert.equal(d.status.branch, 'polecat/nux-b', 'the other work\'s branch is not recorded');
    assert.deepEqual(d.events.map((e) => [e.type, e.reason]), [['Normal', Reason.PolecatReassigned]]);
    // Level-based: the next reconcile (with the written status) neither slings nor repeats the Event.
    const again = decide({ polecat: polecat({ status: d.status }), snapshot: reused });
    assert.deepEqual(again.actions, []);
    assert.deepEqual(again.events, []);
    assert.equal(again.status.beadID, B);
  });

  test('an object written before dispatchedBeadID existed (beadID only) is protected the same way', () => {
    const legacy = polecat({ status: { phase: 'Working', gtName: 'nux', beadID: B } });
    const d = decide({ polecat: legacy, snapshot: reused });
    assert.deepEqual(d.actions, []);
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'True', reason: Reason.PolecatReassigned });
    assert.equal(decide({ polecat: polecat({ status: d.status }), snapshot: reused }).actions.length, 0);
  });

  test('a reassigned polecat is not watched for stuckness on the view\'s behalf (no activity probe, no Stuck)', () => {
    const stuck = town({ polecats: [item('nux', 'stuck', { issue: C })] });
    const view = slungB({ status: { stuckSince: '2026-04-01T11:00:00Z' } });
    assert.equal(probesFor(view, false, stuck, NOW, DEFAULT_POLECAT_CONFIG).activity, false);
    const d = decide({ polecat: view, snapshot: stuck });
    assert.equal(cond(d.status, 'Stuck'), undefined);
    assert.equal(d.status.stuckSince, undefined);
    assert.deepEqual(d.actions, []);
  });

  test('a listing without an issue (beads database down) proves no reuse: still followed, branch kept', () => {
    const d = decide({ polecat: slungB(), snapshot: town({ polecats: [item('nux', 'working', { branch: 'polecat/nux-c' })], beads: [bead(B, 'open')] }) });
    assert.equal(d.status.phase, 'Working');
    assert.equal(d.status.branch, 'polecat/nux-b');
  });

  test('the user pointing spec.beadID at a new bead still slings it', () => {
    const d = decide({ polecat: slungB({ spec: { beadID: 'gt-new44' } }), snapshot: reused });
    assert.deepEqual(d.actions, [{ type: 'sling', bead: 'gt-new44', rig: 'gastown' }]);
  });

  test('a discovered view follows its polecat to the new bead (it dispatched nothing)', () => {
    const discovered = polecat({ labels: { [Label.Discovered]: 'true', [Label.Polecat]: 'nux' }, status: { phase: 'Working', gtName: 'nux', beadID: B } });
    const d = decide({ polecat: discovered, snapshot: reused });
    assert.equal(d.status.beadID, C);
    assert.equal(d.status.phase, 'Working');
  });

  test('sling and adoption record dispatchedBeadID; following does not change it', () => {
    const base = decide({ polecat: polecat() });
    const sling = { type: 'sling' as const, bead: B, rig: 'gastown' };
    const spawned = applySling(base, sling, { ok: true, value: { outcome: 'spawned', bead: B, rig: 'gastown', polecatName: 'nux', convoyCreated: false } }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.equal(spawned.status.dispatchedBeadID, B);
    const scheduled = applySling(base, sling, { ok: true, value: { outcome: 'scheduled', bead: B, rig: 'gastown' } }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.equal(scheduled.status.dispatchedBeadID, B);
    const adopted = decide({ polecat: polecat(), snapshot: town({ polecats: [item('slit', 'working', { issue: B })] }) });
    assert.equal(adopted.status.dispatchedBeadID, B);
    assert.equal(adopted.status.gtName, 'slit');
  });
});

describe('polecat decide: never nuke a polecat gt reused for other work', () => {
  const terminating = (over: Parameters<typeof polecat>[0] = {}) => slungB({ ...over, spec: { desiredState: 'Terminated', ...over.spec } });
  const listedB = town({ polecats: [item('nux', 'idle', { issue: B, branch: 'polecat/nux-b' })] });
  const check = (over: { issue?: string; branch?: string; verdict?: string; cleanup?: string } = {}) => ({
    ok: true as const,
    value: { ...recovery(over.verdict ?? 'SAFE_TO_NUKE', over.cleanup ?? 'clean'), mqStatus: 'submitted', ...(over.issue ? { issue: over.issue } : {}), ...(over.branch ? { branch: over.branch } : {}) },
  });
  const FORCE = { [Annotation.ForceTerminate]: 'true' };

  const rows: [string, ReturnType<typeof check>, Record<string, string>, boolean][] = [
    ['check-recovery names another bead', check({ issue: C }), {}, false],
    ['check-recovery names another bead, force-terminate', check({ issue: C, verdict: 'NEEDS_RECOVERY', cleanup: 'has_unpushed' }), FORCE, false],
    ['check-recovery names another branch', check({ branch: 'polecat/nux-c' }), {}, false],
    ['check-recovery names another branch, force-terminate', check({ branch: 'polecat/nux-c' }), FORCE, false],
    ['check-recovery names our bead and branch', check({ issue: B, branch: 'polecat/nux-b' }), {}, true],
    ['check-recovery names neither', check(), {}, true],
  ];
  for (const [name, recoveryProbe, annotations, nukes] of rows) {
    for (const deleting of [false, true]) {
      test(`${name}${deleting ? ' (deletion)' : ''} -> ${nukes ? 'nuke' : 'CleanupBlocked=PolecatReassigned, finalizer kept'}`, () => {
        const d = decide({ polecat: terminating({ annotations }), deleting, snapshot: listedB, recovery: recoveryProbe });
        if (nukes) {
          assert.deepEqual(d.actions, [{ type: 'nuke', rig: 'gastown', name: 'nux', force: false }]);
          return;
        }
        assert.deepEqual(d.actions, []);
        assert.equal(d.released, false);
        assert.deepEqual(cond(d.status, 'CleanupBlocked'), { status: 'True', reason: Reason.PolecatReassigned });
        assert.deepEqual(d.events.map((e) => [e.type, e.reason]), [['Warning', Reason.PolecatReassigned]]);
        assert.equal(d.requeueAfterMs, DEFAULT_POLECAT_CONFIG.cleanupRetryMs);
        assert.match(cond(d.status, 'CleanupBlocked') === undefined ? '' : d.status.conditions!.find((c) => c.type === 'CleanupBlocked')!.message, /on-delete/);
      });
    }
  }

  test('the town read showing another bead blocks too, even when check-recovery names none', () => {
    const d = decide({ polecat: terminating({ annotations: FORCE }), deleting: true, snapshot: reused, recovery: check() });
    assert.deepEqual(d.actions, []);
    assert.deepEqual(cond(d.status, 'CleanupBlocked'), { status: 'True', reason: Reason.PolecatReassigned });
  });
});

describe('polecat decide: "gone" needs gt and the town read to agree', () => {
  const terminating = slungB({ spec: { desiredState: 'Terminated' } });
  const listed = town({ polecats: [item('nux', 'idle', { issue: B })] });

  test('NotFound, not possibly transient, and the town read no longer lists it -> Terminated, released', () => {
    const d = decide({ polecat: terminating, deleting: true, snapshot: town(), recovery: { ok: false, error: gtError('NotFound') } });
    assert.equal(d.released, true);
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'False', reason: Reason.NukedOutsideKubernetes });
  });

  test('NotFound that may be transient (gt prints the same for a down database) -> kept, retried', () => {
    const d = decide({ polecat: terminating, deleting: true, snapshot: town(), recovery: { ok: false, error: gtError('NotFound', 'not found', { possiblyTransient: true }) } });
    assert.equal(d.released, false);
    assert.notEqual(d.status.phase, 'Terminated');
    assert.equal(cond(d.status, 'Synced')?.status, 'False');
    assert.ok(d.requeueAfterMs !== undefined);
  });

  test('NotFound while the town read still lists <rig>/<name> -> kept, retried', () => {
    const d = decide({ polecat: terminating, deleting: true, snapshot: listed, recovery: { ok: false, error: gtError('NotFound') } });
    assert.equal(d.released, false);
    assert.notEqual(d.status.phase, 'Terminated');
    assert.ok(d.requeueAfterMs !== undefined);
  });
});

describe('polecat decide: terminating a view whose gt name was never recorded (crash after sling)', () => {
  const unnamed = (annotations: Record<string, string> = {}) => polecat({ annotations, spec: { desiredState: 'Terminated' }, status: { phase: 'Pending' } });
  const holding = town({ polecats: [item('nux', 'working', { issue: B })] });

  test('a polecat of the rig holds the bead -> check-recovery is asked for it, the view is not released', () => {
    assert.equal(probesFor(unnamed(), true, holding, NOW, DEFAULT_POLECAT_CONFIG).recovery, true);
    const waiting = decide({ polecat: unnamed(), deleting: true, snapshot: holding });
    assert.equal(waiting.released, false);
    assert.equal(waiting.status.gtName, 'nux');
    assert.equal(waiting.status.dispatchedBeadID, B);
  });

  test('... and it is terminated like a followed one: safe -> nuke, unsaved work -> CleanupBlocked', () => {
    const safe = decide({ polecat: unnamed(), deleting: true, snapshot: holding, recovery: { ok: true, value: { ...recovery('SAFE_TO_NUKE', 'clean'), mqStatus: 'submitted' } } });
    assert.deepEqual(safe.actions, [{ type: 'nuke', rig: 'gastown', name: 'nux', force: false }]);
    const dirty = decide({ polecat: unnamed(), deleting: true, snapshot: holding, recovery: { ok: true, value: recovery('NEEDS_RECOVERY', 'has_unpushed') } });
    assert.deepEqual(dirty.actions, []);
    assert.equal(dirty.released, false);
    assert.deepEqual(cond(dirty.status, 'CleanupBlocked'), { status: 'True', reason: Reason.UnpushedCommits });
  });

  test('our own sling is newer than the snapshot -> wait for a fresher one, not released', () => {
    const d = decide({ polecat: unnamed(), deleting: true, snapshot: town({ observedAt: NOW - 2_000 }), slingInFlight: { beadID: B, at: NOW - 1_000 } });
    assert.equal(d.released, false);
    assert.equal(d.requeueAfterMs, DEFAULT_POLECAT_CONFIG.townWaitMs);
  });

  test('nobody holds the bead and no sling is in flight -> nothing to nuke: released', () => {
    const d = decide({ polecat: unnamed(), deleting: true, snapshot: town() });
    assert.equal(d.released, true);
  });

  test('orphan and force-terminate with such a holder -> refused (conflict), never force-nuked', () => {
    const d = decide({ polecat: unnamed({ [Annotation.OnDelete]: 'orphan', [Annotation.ForceTerminate]: 'true' }), deleting: true, snapshot: holding });
    assert.deepEqual(d.actions, []);
    assert.equal(d.released, false);
    assert.deepEqual(cond(d.status, 'CleanupBlocked'), { status: 'True', reason: Reason.ConflictingDeleteAnnotations });
  });
});

describe('polecat sling fence (scheduler mode: no snapshot can show the sling)', () => {
  test('a newer snapshot alone does not clear the fence; the object recording the dispatch does', () => {
    const fences = new SlingFences();
    fences.set('ns/pc1', { beadID: B, at: NOW - 1_000, scheduled: true });
    assert.ok(fences.get('ns/pc1', NOW, undefined), 'the informer object does not show the dispatch yet');
    assert.ok(fences.get('ns/pc1', NOW, 'gt-other'));
    assert.ok(fences.get('ns/pc1', NOW - 2_000, B), 'a snapshot older than the sling keeps it too');
    assert.equal(fences.get('ns/pc1', NOW, B), undefined);
    assert.equal(fences.get('ns/pc1', NOW, undefined), undefined, 'cleared for good');
  });

  test('a scheduled sling whose status is not in the cache yet is not slung again, and is recorded', () => {
    const d = decide({ polecat: polecat(), snapshot: town({ observedAt: NOW - 100 }), slingInFlight: { beadID: B, at: NOW - 1_000, scheduled: true } });
    assert.deepEqual(d.actions, []);
    assert.equal(d.status.dispatchedBeadID, B);
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'False', reason: Reason.SlingScheduled });
    // With that status written, the view waits for the scheduler (no sling either).
    const next = decide({ polecat: polecat({ status: d.status }), snapshot: town({ observedAt: NOW }) });
    assert.deepEqual(next.actions, []);
    assert.equal(next.requeueAfterMs, DEFAULT_POLECAT_CONFIG.scheduledPollMs);
  });

  test('the scheduler dispatching the bead later is adopted', () => {
    const d = decide({ polecat: polecat(), snapshot: town({ polecats: [item('rictus', 'working', { issue: B })] }), slingInFlight: { beadID: B, at: NOW - 1_000, scheduled: true } });
    assert.equal(d.status.gtName, 'rictus');
    assert.deepEqual(d.actions, []);
  });
});
