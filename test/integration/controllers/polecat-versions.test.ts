// The Polecat controller against a simulated town of each gt release it supports (v1.0, v1.2):
// the end of work after `gt done` (v1.2 retires the polecat: the view ends Idle/Completed, never
// "lost", never slung again), a polecat that vanished with its work open (still reported
// lost), one whose work went to the merge queue before it vanished (Completed), PENDING_MR
// holding a deletion back, unsubmitted work keeping the polecat (v1.2 quoting gt's blockers),
// raw values of the open enums in status, and discovered views of retired polecats going away.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Label, Reason, type Polecat } from '../../../src/api/index.ts';
import { POLECAT_KIND } from '../../../src/api/kinds.ts';
import * as control from '../../../sim/src/control.ts';
import { GT_VERSIONS } from '../../../sim/src/version.ts';
import { NS, createPolecat, discoveryOn, polecatReconciler, slungView, useBed } from './polecat-convoy-harness.ts';

for (const version of GT_VERSIONS) {
  const current = version === '1.2';

  describe(`Polecat controller on gt ${version}`, () => {
    const bed = useBed(POLECAT_KIND, { gtVersion: version });
    const { reconcile } = polecatReconciler(bed);
    const get = async (key: string): Promise<Polecat | undefined> => bed.fetch<Polecat>(POLECAT_KIND, key);
    const working = (name: string, title: string): ReturnType<typeof slungView> => slungView(bed, { reconcile }, name, title);
    const ready = (p: Polecat | undefined) => p?.status?.conditions?.find((c) => c.type === 'Ready');
    const eventsOf = (key: string) => bed.events.filter((e) => e.object === key).map((e) => `${e.type}/${e.reason}`);

    test('gt done: the view ends Idle; on v1.2 (polecat retired) with reason Completed and the bead kept; never lost, never re-slung', async () => {
      const { key, bead, gtName } = await working('done', 'Finish and go');
      await control.finishWork(bed.root, 'gastown', gtName);
      assert.equal(control.readTown(bed.root).polecats[`gastown/${gtName}`] === undefined, current, 'v1.2 retires the polecat');
      await reconcile(key);
      await reconcile(key);
      const view = await get(key);
      assert.equal(view?.status?.phase, 'Idle');
      assert.deepEqual([view?.status?.beadID, view?.status?.gtName], [bead, gtName]);
      assert.equal(ready(view)?.reason, current ? Reason.Completed : Reason.BeadClosed);
      assert.equal(view?.status?.beadStatus, current ? 'closed' : undefined);
      const events = eventsOf(key);
      assert.equal(events.filter((e) => e === `Normal/${Reason.Completed}`).length, current ? 1 : 0, events.join());
      assert.ok(!events.some((e) => e.startsWith('Warning/')), events.join());
      assert.equal(bed.calls('sling', bead).length, 1, 'slung exactly once');
    });

    // The same on both releases (nothing here differs between them): registered once, on v1.2.
    if (current) test('a polecat that vanished with its bead open is still reported lost; one whose branch reached the merge queue completed', async () => {
      const lost = await working('lost', 'Vanishes mid-work');
      await control.removePolecatOutside(bed.root, 'gastown', lost.gtName);
      await reconcile(lost.key);
      const gone = await get(lost.key);
      assert.deepEqual([gone?.status?.phase, ready(gone)?.reason], ['Terminated', Reason.NukedOutsideKubernetes]);

      const submitted = await working('submitted', 'Submits, then vanishes');
      const mr = await control.mergeRequest(bed.root, 'gastown', { polecat: submitted.gtName });
      await control.removePolecatOutside(bed.root, 'gastown', submitted.gtName);
      await reconcile(submitted.key);
      const view = await get(submitted.key);
      assert.deepEqual([view?.status?.phase, ready(view)?.reason, view?.status?.beadStatus], ['Idle', Reason.Completed, 'hooked']);
      assert.match(ready(view)?.message ?? '', new RegExp(`submitted as merge request ${mr}`));
      assert.equal(bed.calls('sling', submitted.bead).length, 1);
    });

    test(`deleting a clean polecat whose merge request is still open is held back${current ? ' (PENDING_MR)' : ''}`, async () => {
      const { key, bead, gtName } = await working('pending-mr', 'Waits for the refinery');
      await control.makeDirty(bed.root, 'gastown', gtName, { cleanupStatus: 'clean', openMr: true });
      await bed.kube.delete(POLECAT_KIND, { namespace: NS, name: 'pending-mr' });
      await reconcile(key);
      const view = await get(key);
      const blocked = view?.status?.conditions?.find((c) => c.type === 'CleanupBlocked');
      assert.equal(blocked?.status, 'True');
      if (current) assert.equal(blocked?.reason, Reason.PendingMergeRequest);
      assert.equal(bed.calls('polecat', 'nuke').filter((c) => c.args.includes(`gastown/${gtName}`)).length, 0, 'never nuked');
      // The refinery merges it and closes the bead: the deletion proceeds.
      await control.makeDirty(bed.root, 'gastown', gtName, { openMr: false });
      await control.closeBead(bed.root, bead, 'merged');
      await reconcile(key);
      assert.equal(await get(key), undefined);
    });

    test(`a pushed branch never submitted keeps the polecat (NeedsMergeRequestSubmit)${current ? '; gt\'s blockers quoted' : ''}`, async () => {
      const bead = await control.addBead(bed.root, { rig: 'gastown', title: 'Pushed, not submitted' });
      const { polecat } = await control.slingOutside(bed.root, bead, 'gastown', { convoy: false });
      await control.makeDirty(bed.root, 'gastown', polecat, { needsMqSubmit: true, cleanupStatus: 'clean' });
      const key = await createPolecat(bed, 'not-submitted', { rig: 'gastown', desiredState: 'Terminated' }, { labels: { [Label.Polecat]: polecat } });
      const nukes = bed.calls('polecat', 'nuke').length;
      await reconcile(key);
      const blocked = (await get(key))?.status?.conditions?.find((c) => c.type === 'CleanupBlocked');
      assert.deepEqual([blocked?.status, blocked?.reason], ['True', Reason.NeedsMergeRequestSubmit], blocked?.message);
      // v1.2 prints the refusing predicates (`blockers`); v1.0 has no such field.
      assert.equal(/blockers: mq_status=not_submitted/.test(blocked?.message ?? ''), current, blocked?.message);
      assert.equal(bed.calls('polecat', 'nuke').length, nukes, 'never nuked');
    });

    test('open enums in status keep gt\'s raw value beside a known flag', async () => {
      // gt v1.2's review-needed; on v1.0 a state from some newer gt the operator does not name.
      const unknownState = current ? 'review-needed' : 'hibernating';
      const bead = await control.addBead(bed.root, { rig: 'gastown', title: 'Raw values' });
      const { polecat } = await control.slingOutside(bed.root, bead, 'gastown', { convoy: false });
      await control.setPolecatState(bed.root, 'gastown', polecat, unknownState);
      await control.makeDirty(bed.root, 'gastown', polecat, { cleanupStatus: 'has_conflicts' });
      const key = await createPolecat(bed, 'raw-values', { rig: 'gastown', desiredState: 'Idle' }, { labels: { [Label.Polecat]: polecat } });
      await reconcile(key);
      let status = (await get(key))?.status;
      assert.deepEqual(status?.gtState, { raw: unknownState, known: false });
      // The list carries cleanup_status from v1.2 on; on v1.0 only check-recovery says it (below).
      assert.deepEqual([status?.cleanupStatus, status?.cleanupStatusKnown], current ? ['has_conflicts', false] : [undefined, undefined]);
      await control.setPolecatState(bed.root, 'gastown', polecat, 'working');
      await reconcile(key);
      assert.deepEqual((await get(key))?.status?.gtState, { raw: 'working', known: true });
      await bed.kube.patch(POLECAT_KIND, { namespace: NS, name: 'raw-values' }, { type: 'merge', body: { spec: { desiredState: 'Terminated' } } });
      await reconcile(key);
      status = (await get(key))?.status;
      assert.deepEqual([status?.cleanupStatus, status?.cleanupStatusKnown], ['has_conflicts', false]);
      assert.equal(status?.conditions?.find((c) => c.type === 'CleanupBlocked')?.status, 'True', 'an unknown cleanup status keeps the polecat');
    });

    test('the discovered view of a polecat gt retired is removed', async () => {
      // In the other rig: no user view there follows a polecat of the same name.
      const bead = await control.addBead(bed.root, { rig: 'beads', title: 'Slung outside' });
      const outside = await control.slingOutside(bed.root, bead, 'beads', { convoy: false });
      const discovery = discoveryOn(bed);
      const views = async () =>
        (await bed.kube.list<Polecat>(POLECAT_KIND, { namespace: NS })).items.filter((v) => v.spec.rig === 'beads' && v.metadata.labels?.[Label.Polecat] === outside.polecat);
      await discovery.run('discover');
      const [view] = await views();
      assert.equal(view?.metadata.labels?.[Label.Discovered], 'true');
      await control.finishWork(bed.root, 'beads', outside.polecat);
      await discovery.run('after gt done');
      const key = `${NS}/${view?.metadata.name ?? ''}`;
      // A view with the finalizer is released by its reconcile (no gt polecat left to nuke).
      if ((await get(key)) !== undefined) await reconcile(key);
      const left = await views();
      assert.deepEqual(left.map((v) => v.metadata.name), current ? [] : [view?.metadata.name], current ? 'retired: its view is gone' : 'v1.0: the idle polecat keeps its view');
    });
  });
}
