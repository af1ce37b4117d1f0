// The Polecat controller against the embedded API server and the simulated town, through
// real gt/bd processes: sling once and adopt after a crash, dirty polecats never nuked (each
// kind of dirt, spec and deletion), forced nuke with the annotation, clean deletion, a
// SAFE_TO_NUKE gt could not back with the merge queue, and a beads database outage.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Annotation, FINALIZER, Label, Reason, type Polecat, type PolecatInput, type PolecatStatus } from '../../../src/api/index.ts';
import { POLECAT_KIND } from '../../../src/api/kinds.ts';
import type { StatusSink } from '../../../src/controllers/shared/sinks.ts';
import * as control from '../../../sim/src/control.ts';
import { NS, createPolecat, discoveryOn, droppingWriter, polecatReconciler, slungView, useBed, type TestReconciler } from './polecat-convoy-harness.ts';

describe('Polecat controller (API server + simulated town)', () => {
  const bed = useBed(POLECAT_KIND);

  /** A reconciler as one operator process would have it; `status` defaults to the real writer. */
  const reconciler = (status?: StatusSink<PolecatStatus>): TestReconciler => polecatReconciler(bed, status ? { status } : {});

  const create = (name: string, spec: PolecatInput['spec'], meta: Parameters<typeof createPolecat>[3] = {}): Promise<string> => createPolecat(bed, name, spec, meta);

  const get = async (key: string): Promise<Polecat | undefined> => bed.fetch<Polecat>(POLECAT_KIND, key);
  const cond = (p: Polecat | undefined, type: string) => p?.status?.conditions?.find((c) => c.type === type);
  const slings = (bead: string) => bed.calls('sling', bead);
  const nukes = () => bed.calls('polecat', 'nuke');
  const holderOf = (bead: string) => Object.values(control.readTown(bed.root).polecats).find((p) => p.hookBead === bead);

  /** A Working view of a new bead, reconciled once by a process that loses its first status write (the sling's). */
  async function slungThenCrashed(name: string, title: string): Promise<{ bead: string; key: string; r: TestReconciler; crashing: ReturnType<typeof droppingWriter<PolecatStatus>> }> {
    const bead = await control.addBead(bed.root, { rig: 'gastown', title });
    const key = await create(name, { rig: 'gastown', desiredState: 'Working', beadID: bead });
    const crashing = droppingWriter<PolecatStatus>(bed.kube, POLECAT_KIND, 1);
    const r = reconciler(crashing);
    await r.reconcile(key);
    return { bead, key, r, crashing };
  }

  test('slings once; a lost status write (crash) is adopted on restart, never slung twice', async () => {
    const { bead, key, crashing } = await slungThenCrashed('sling-once', 'Sling me once');
    assert.equal(crashing.dropped(), 1);
    assert.equal(slings(bead).length, 1);
    assert.equal((await get(key))?.status?.gtName, undefined, 'the status write was lost');
    assert.deepEqual((await get(key))?.metadata.finalizers, [FINALIZER]);

    // The operator restarts: a new process, no memory of the sling.
    const restarted = reconciler();
    await restarted.reconcile(key);
    await restarted.reconcile(key);
    const view = await get(key);
    const holder = holderOf(bead);
    assert.ok(holder, 'gt has a polecat working on the bead');
    assert.equal(view?.status?.gtName, holder.name, 'the REAL gt polecat name');
    assert.equal(view?.status?.phase, 'Working');
    assert.ok(bed.events.some((e) => e.object === key && e.reason === Reason.Adopted), 'adopted, with an Event');
    assert.equal(slings(bead).length, 1, 'exactly one sling in the simulator call log');
  });

  test('a second reconcile before any fresh snapshot does not sling again (in-flight sling)', async () => {
    const { bead, key, r } = await slungThenCrashed('no-double', 'No double sling');
    // Same process, same (now stale) snapshot: the status still has no name.
    await r.reconcile(key, false);
    assert.equal(slings(bead).length, 1);
    await r.reconcile(key);
    assert.equal((await get(key))?.status?.gtName, holderOf(bead)?.name);
    assert.equal(slings(bead).length, 1);
  });

  test('Working -> Idle when the bead is closed outside (bd close)', async () => {
    const bead = await control.addBead(bed.root, { rig: 'gastown', title: 'Finish me' });
    const key = await create('finish', { rig: 'gastown', desiredState: 'Working', beadID: bead });
    const r = reconciler();
    await r.reconcile(key);
    assert.equal((await get(key))?.status?.phase, 'Working');
    await control.closeBead(bed.root, bead);
    await r.reconcile(key);
    const view = await get(key);
    assert.equal(view?.status?.phase, 'Idle');
    assert.equal(cond(view, 'Ready')?.reason, Reason.BeadClosed);
    assert.equal(slings(bead).length, 1);
  });

  const dirt: [string, control.DirtInput, string][] = [
    ['uncommitted files', { uncommittedFiles: ['src/main.go'] }, Reason.UncommittedChanges],
    ['unpushed commits', { unpushedCommits: 2 }, Reason.UnpushedCommits],
    ['stashed changes', { stashCount: 1 }, Reason.StashedChanges],
    ['a branch never submitted to the merge queue', { needsMqSubmit: true, cleanupStatus: 'clean' }, Reason.NeedsMergeRequestSubmit],
    ['unpushed commits it reported itself', { unpushedCommits: 1, cleanupStatus: 'has_unpushed' }, Reason.UnpushedCommits],
    ['an unknown self-reported cleanup status', { cleanupStatus: 'unknown' }, Reason.CleanupStatusUnknown],
  ];
  for (const [i, [what, input, reason]] of dirt.entries()) {
    test(`a polecat with ${what} is never nuked: CleanupBlocked=${reason}, Warning Event`, async () => {
      const bead = await control.addBead(bed.root, { rig: 'gastown', title: `dirty ${i}` });
      const { polecat } = await control.slingOutside(bed.root, bead, 'gastown', { convoy: false });
      await control.makeDirty(bed.root, 'gastown', polecat, input);
      const key = await create(`dirty-${i}`, { rig: 'gastown', desiredState: 'Terminated' }, { labels: { [Label.Polecat]: polecat } });
      const nukesBefore = nukes().length;
      const r = reconciler();
      await r.reconcile(key);
      const view = await get(key);
      assert.deepEqual([cond(view, 'CleanupBlocked')?.status, cond(view, 'CleanupBlocked')?.reason], ['True', reason], cond(view, 'CleanupBlocked')?.message);
      assert.notEqual(view?.status?.phase, 'Terminated');
      assert.equal(nukes().length, nukesBefore, 'check-recovery said no: nuke never called');
      assert.ok(control.readTown(bed.root).polecats[`gastown/${polecat}`] ?? holderOf(bead), 'the polecat is still in gt');
      assert.ok(bed.events.some((e) => e.object === key && e.type === 'Warning' && e.reason === reason));

      // Deletion is guarded the same way: the finalizer stays.
      await bed.kube.delete(POLECAT_KIND, { namespace: NS, name: `dirty-${i}` });
      await r.reconcile(key);
      const deleting = await get(key);
      assert.ok(deleting?.metadata.deletionTimestamp, 'still there, being deleted');
      assert.deepEqual(deleting?.metadata.finalizers, [FINALIZER]);
      assert.equal(nukes().length, nukesBefore);
    });
  }

  test('gt itself refusing a nuke check-recovery allowed (work on hook) also blocks', async () => {
    const bead = await control.addBead(bed.root, { rig: 'gastown', title: 'clean but busy' });
    const { polecat } = await control.slingOutside(bed.root, bead, 'gastown', { convoy: false });
    // Clean, and its branch went through the merge queue: check-recovery says SAFE_TO_NUKE,
    // but the bead on its hook is still open, which gt's nuke refuses on its own.
    await control.makeDirty(bed.root, 'gastown', polecat, { cleanupStatus: 'clean', openMr: true });
    await control.makeDirty(bed.root, 'gastown', polecat, { openMr: false });
    const key = await create('busy', { rig: 'gastown', desiredState: 'Terminated' }, { labels: { [Label.Polecat]: polecat } });
    await reconciler().reconcile(key);
    const view = await get(key);
    assert.equal(cond(view, 'CleanupBlocked')?.reason, Reason.WorkOnHook);
    assert.ok(holderOf(bead), 'still in gt');
    assert.ok(nukes().every((c) => !c.args.includes('--force')));
  });

  test('force-terminate annotation: nuke --force, Terminated/ForceNuked, the Event says so', async () => {
    const bead = await control.addBead(bed.root, { rig: 'gastown', title: 'force me' });
    const { polecat } = await control.slingOutside(bed.root, bead, 'gastown', { convoy: false });
    await control.makeDirty(bed.root, 'gastown', polecat, { unpushedCommits: 3 });
    const key = await create('forced', { rig: 'gastown', desiredState: 'Terminated' }, {
      labels: { [Label.Polecat]: polecat },
      annotations: { [Annotation.ForceTerminate]: 'true' },
    });
    await reconciler().reconcile(key);
    const view = await get(key);
    assert.equal(view?.status?.phase, 'Terminated');
    assert.equal(cond(view, 'Ready')?.reason, Reason.ForceNuked);
    assert.equal(holderOf(bead), undefined, 'gone from gt');
    assert.ok(nukes().some((c) => c.args.includes(`gastown/${polecat}`) && c.args.includes('--force')));
    const event = bed.events.find((e) => e.object === key && e.reason === Reason.ForceNuked);
    assert.equal(event?.type, 'Warning');
    assert.match(event?.message ?? '', /--force/);
  });

  test('deleting a clean, idle polecat nukes it without --force and releases the finalizer', async () => {
    const r = reconciler();
    const { key, gtName: name } = await slungView(bed, r, 'clean', 'done work');
    // gt done: its work went through the queue, nothing is left ahead of the integration branch
    // (check-recovery: SAFE_TO_NUKE, mq_status not_required; gt v1.0.1 said NEEDS_MQ_SUBMIT).
    // The polecat stays idle as on gt v1.0 (v1.2 retires it: polecat-versions.test.ts).
    await control.setSettings(bed.root, { gtVersion: '1.0' });
    try {
      await control.finishWork(bed.root, 'gastown', name);
      await bed.kube.delete(POLECAT_KIND, { namespace: NS, name: 'clean' });
      await r.reconcile(key);
    } finally {
      await control.setSettings(bed.root, { gtVersion: '1.2' });
    }
    assert.equal(await get(key), undefined, 'finalizer released, object gone');
    assert.equal(control.readTown(bed.root).polecats[`gastown/${name}`], undefined);
    assert.ok(nukes().some((c) => c.args.includes(`gastown/${name}`) && !c.args.includes('--force')));
  });

  test('a polecat nuked outside Kubernetes goes Terminated/NukedOutsideKubernetes', async () => {
    const r = reconciler();
    const { key, bead, gtName: name } = await slungView(bed, r, 'vanish', 'vanishing');
    await control.removePolecatOutside(bed.root, 'gastown', name);
    await r.reconcile(key);
    const view = await get(key);
    assert.equal(view?.status?.phase, 'Terminated');
    assert.equal(cond(view, 'Ready')?.reason, Reason.NukedOutsideKubernetes);
    assert.equal(slings(bead).length, 1, 'not re-slung');
  });

  test('check-recovery that could not reach the database (mq_status unknown) blocks with MergeQueueUnknown', async () => {
    const bead = await control.addBead(bed.root, { rig: 'gastown', title: 'pushed, queue unknown' });
    const { polecat } = await control.slingOutside(bed.root, bead, 'gastown', { convoy: false });
    const key = await create('mq-unknown', { rig: 'gastown', desiredState: 'Terminated' }, { labels: { [Label.Polecat]: polecat } });
    const nukesBefore = nukes().length;
    // Only check-recovery sees the database down: gt falls back to git (clean), cannot search
    // the queue for the work on the branch and fails closed (NEEDS_RECOVERY, mq_status
    // "unknown"; gt v1.0.1 kept SAFE_TO_NUKE there, see the decide table); the town read works.
    await control.setFaultRules(bed.root, [{ match: 'gt polecat check-recovery', dbDown: true }]);
    try {
      const r = reconciler();
      await r.reconcile(key);
      const said = bed.calls('polecat', 'check-recovery').at(-1);
      assert.ok(said, 'check-recovery was asked');
      const view = await get(key);
      const blocked = cond(view, 'CleanupBlocked');
      assert.deepEqual([blocked?.status, blocked?.reason], ['True', Reason.MergeQueueUnknown]);
      assert.match(view?.status?.conditions?.find((c) => c.type === 'CleanupBlocked')?.message ?? '', /NEEDS_RECOVERY \(cleanup status clean, merge queue unknown; blockers: mq_status=unknown\): could not confirm/);
      assert.equal(nukes().length, nukesBefore, 'never nuked on an unproven verdict');
      assert.ok(holderOf(bead), 'still in gt');
      assert.ok(bed.events.some((e) => e.object === key && e.type === 'Warning' && e.reason === Reason.MergeQueueUnknown));
    } finally {
      await control.clearFaults(bed.root);
    }
  });

  test('a beads database outage: views keep their phase, nothing is slung, nuked, discovered or deleted', async () => {
    const r = reconciler();
    const { key, bead: working, gtName: name } = await slungView(bed, r, 'outage-working', 'working through an outage');
    assert.equal((await get(key))?.status?.phase, 'Working');
    // A clean polecat asked to terminate, and one started outside Kubernetes with a discovered view.
    const cleanBead = await control.addBead(bed.root, { rig: 'gastown', title: 'terminate me later' });
    const clean = await control.slingOutside(bed.root, cleanBead, 'gastown', { convoy: false });
    const outside = await control.addBead(bed.root, { rig: 'gastown', title: 'outside work' });
    const discovered = await control.slingOutside(bed.root, outside, 'gastown', { convoy: false });
    const listViews = async () => (await bed.kube.list<Polecat>(POLECAT_KIND, { namespace: NS })).items.filter((v) => v.metadata.labels?.[Label.Discovered] === 'true');
    const discovery = discoveryOn(bed);
    assert.equal((await discovery.run('before the outage')).failed, 0);
    const viewsBefore = (await listViews()).map((v) => [v.metadata.name, v.spec.desiredState, v.spec.beadID]);
    const discoveredView = (await listViews()).find((v) => v.metadata.labels?.[Label.Polecat] === discovered.polecat);
    assert.deepEqual([discoveredView?.spec.desiredState, discoveredView?.spec.beadID], ['Working', outside], 'the outside polecat has a Working view');
    const term = await create('outage-terminate', { rig: 'gastown', desiredState: 'Terminated' }, { labels: { [Label.Polecat]: clean.polecat } });

    await control.setFaultRules(bed.root, [{ dbDown: true }]);
    try {
      // What real gt does: the list still exits 0, every polecat working/stalled and no issue.
      const listed = await bed.gt.polecatListAll();
      const ours = listed.find((p) => p.rig === 'gastown' && p.name === name);
      assert.equal(ours?.issue, undefined, 'gt polecat list lost the hooked bead');
      assert.ok(listed.every((p) => p.issue === undefined && ['working', 'stalled', 'zombie'].includes(p.state.raw)));
      const snapshot = await bed.observer.syncNow('outage');
      assert.equal(snapshot.ok, false, 'the batched read fails as a whole');

      const slingsBefore = bed.calls('sling').length;
      const nukesBefore = nukes().length;
      await r.reconcile(key);
      await reconciler().reconcile(term);
      const during = await get(key);
      assert.equal(during?.status?.phase, 'Working', 'no Working -> Idle from a list without issues');
      assert.equal(during?.status?.gtName, name);
      assert.equal(during?.status?.beadID, working);
      assert.equal(cond(during, 'Synced')?.status, 'False');
      assert.notEqual((await get(term))?.status?.phase, 'Terminated');
      assert.equal(bed.calls('sling').length, slingsBefore, 'nothing slung');
      assert.equal(nukes().length, nukesBefore, 'nothing nuked');

      const result = await discovery.sync(snapshot);
      assert.deepEqual(result, { created: 0, updated: 0, deleted: 0, retired: 0, failed: 0 });
      assert.deepEqual((await listViews()).map((v) => [v.metadata.name, v.spec.desiredState, v.spec.beadID]), viewsBefore);
      assert.ok(holderOf(outside) && holderOf(working) && holderOf(cleanBead), 'every polecat still in gt');
    } finally {
      await control.clearFaults(bed.root);
    }
    await r.reconcile(key);
    const after = await get(key);
    assert.equal(after?.status?.phase, 'Working');
    assert.equal(cond(after, 'Synced')?.status, 'True');
  });

  test('a town read that succeeds while gt polecat list lost the beads: no Working -> Idle, no spec flip', async () => {
    const r = reconciler();
    const { key, bead, gtName: name } = await slungView(bed, r, 'partial-outage', 'stalled during a partial outage');
    await control.killSession(bed.root, 'gastown', name);
    const outside = await control.addBead(bed.root, { rig: 'gastown', title: 'outside, partial outage' });
    const { polecat } = await control.slingOutside(bed.root, outside, 'gastown', { convoy: false });
    const discovery = discoveryOn(bed);
    const viewOf = async () => (await bed.kube.list<Polecat>(POLECAT_KIND, { namespace: NS })).items.find((v) => v.metadata.labels?.[Label.Polecat] === polecat && v.metadata.labels?.[Label.Discovered] === 'true');
    await discovery.run('before');
    assert.deepEqual([(await viewOf())?.spec.desiredState, (await viewOf())?.spec.beadID], ['Working', outside]);

    // Only the polecat listing sees the database down: the rest of the read succeeds.
    await control.setFaultRules(bed.root, [{ match: 'gt polecat list', dbDown: true }]);
    try {
      const snapshot = await bed.observer.syncNow('partial outage');
      assert.ok(snapshot.ok, 'the town read succeeded');
      assert.equal(snapshot.polecats.get(`gastown/${name}`)?.issue, undefined);
      assert.equal(snapshot.polecats.get(`gastown/${name}`)?.state.raw, 'stalled');
      await r.reconcile(key);
      const view = await get(key);
      assert.equal(view?.status?.phase, 'Working', 'its bead is open in the bead read: still Working (and Stuck: stalled)');
      assert.equal(view?.status?.beadID, bead);
      assert.equal(cond(view, 'Stuck')?.reason, Reason.GTStateStalled);
      const result = await discovery.sync(snapshot);
      assert.equal(result.updated + result.deleted, 0);
      assert.deepEqual([(await viewOf())?.spec.desiredState, (await viewOf())?.spec.beadID], ['Working', outside], 'no flip to Idle');
    } finally {
      await control.clearFaults(bed.root);
    }
  });
});
