// The Polecat controller against a simulated town of each gt release it supports (v1.0, v1.2):
// the end of work after `gt done` (v1.2 retires the polecat: the view ends Idle/Completed, never
// "lost", never slung again), a polecat that vanished with its work open (still reported
// lost), one whose work went to the merge queue before it vanished (Completed), PENDING_MR
// holding a deletion back, and discovered views of retired polecats going away.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Label, Reason, type Polecat, type PolecatInput, type PolecatStatus } from '../../../src/api/index.ts';
import { POLECAT_KIND } from '../../../src/api/kinds.ts';
import { PolecatReconciler } from '../../../src/controllers/polecat/reconcile.ts';
import { PolecatDiscovery } from '../../../src/controllers/town-sync/discovery.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import type { KubeObject } from '../../../src/runtime/k8s.ts';
import { StatusWriter } from '../../../src/runtime/status.ts';
import * as control from '../../../sim/src/control.ts';
import { GT_VERSIONS } from '../../../sim/src/version.ts';
import { eventSink, served, startBed, type Bed } from './polecat-convoy-harness.ts';

const NS = 'default';

for (const version of GT_VERSIONS) {
  const current = version === '1.2';

  describe(`Polecat controller on gt ${version}`, () => {
    let bed: Bed;
    before(async () => {
      bed = await startBed({ gtVersion: version });
      await served(bed.kube, POLECAT_KIND, NS);
    });
    after(async () => {
      await bed.close();
    });

    const cache = new Map<string, KubeObject>();
    let reconciler: PolecatReconciler | undefined;
    /** One reconcile against a fresh town read and the object as the API server has it now. */
    async function reconcile(key: string): Promise<void> {
      reconciler ??= new PolecatReconciler({
        gt: bed.gt, town: bed.observer, kube: bed.kube, kind: POLECAT_KIND, get: (k) => cache.get(k),
        status: new StatusWriter<PolecatStatus>({ client: bed.kube, kind: POLECAT_KIND }), events: eventSink(bed.events), clock: realClock,
      });
      await bed.observer.syncNow('test');
      const obj = await bed.fetch(POLECAT_KIND, key);
      if (obj) cache.set(key, obj);
      else cache.delete(key);
      await reconciler.reconcile(key);
    }
    const get = async (key: string): Promise<Polecat | undefined> => bed.fetch<Polecat>(POLECAT_KIND, key);
    async function working(name: string, title: string): Promise<{ key: string; bead: string; gtName: string }> {
      const bead = await control.addBead(bed.root, { rig: 'gastown', title });
      const spec: PolecatInput['spec'] = { rig: 'gastown', desiredState: 'Working', beadID: bead };
      await bed.kube.create(POLECAT_KIND, { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Polecat', metadata: { name, namespace: NS }, spec });
      const key = `${NS}/${name}`;
      await reconcile(key);
      const gtName = (await get(key))?.status?.gtName;
      assert.ok(gtName !== undefined, 'slung');
      return { key, bead, gtName };
    }
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

    test('the discovered view of a polecat gt retired is removed', async () => {
      // In the other rig: no user view there follows a polecat of the same name.
      const bead = await control.addBead(bed.root, { rig: 'beads', title: 'Slung outside' });
      const outside = await control.slingOutside(bed.root, bead, 'beads', { convoy: false });
      let cached: readonly Polecat[] = [];
      const discovery = new PolecatDiscovery({ client: bed.kube, listPolecats: () => cached, namespace: NS });
      const views = async () =>
        (await bed.kube.list<Polecat>(POLECAT_KIND, { namespace: NS })).items.filter((v) => v.spec.rig === 'beads' && v.metadata.labels?.[Label.Polecat] === outside.polecat);
      cached = [...(await bed.kube.list<Polecat>(POLECAT_KIND, {})).items];
      await discovery.sync(await bed.observer.syncNow('discover'));
      const [view] = await views();
      assert.equal(view?.metadata.labels?.[Label.Discovered], 'true');
      await control.finishWork(bed.root, 'beads', outside.polecat);
      cached = [...(await bed.kube.list<Polecat>(POLECAT_KIND, {})).items];
      await discovery.sync(await bed.observer.syncNow('after gt done'));
      const key = `${NS}/${view?.metadata.name ?? ''}`;
      // A view with the finalizer is released by its reconcile (no gt polecat left to nuke).
      if ((await get(key)) !== undefined) await reconcile(key);
      const left = await views();
      assert.deepEqual(left.map((v) => v.metadata.name), current ? [] : [view?.metadata.name], current ? 'retired: its view is gone' : 'v1.0: the idle polecat keeps its view');
    });
  });
}
