// gt reusing a view's polecat for another bead, against the embedded API server and the
// simulated town (its own bed: the rig has no other idle polecat gt could pick instead). A gt
// v1.0 town: there a polecat stays idle after gt done and is reused; v1.2 retires it instead
// (polecat-versions.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Annotation, FINALIZER, ON_DELETE_ORPHAN, Reason, type Polecat, type PolecatInput } from '../../../src/api/index.ts';
import { POLECAT_KIND } from '../../../src/api/kinds.ts';
import * as control from '../../../sim/src/control.ts';
import { NS, polecatReconciler, useBed } from './polecat-convoy-harness.ts';

describe('Polecat view whose gt polecat is reused for another bead (API server + simulated town)', () => {
  const bed = useBed(POLECAT_KIND, { gtVersion: '1.0' });

  test('Idle/PolecatReassigned, its bead never slung again, the polecat never nuked (even with force-terminate)', async () => {
    const { reconcile } = polecatReconciler(bed);
    const get = async (key: string): Promise<Polecat | undefined> => bed.fetch<Polecat>(POLECAT_KIND, key);
    const cond = (p: Polecat | undefined, type: string) => p?.status?.conditions?.find((c) => c.type === type);

    const first = await control.addBead(bed.root, { rig: 'gastown', title: 'First job' });
    const spec: PolecatInput['spec'] = { rig: 'gastown', desiredState: 'Working', beadID: first };
    await bed.kube.create(POLECAT_KIND, {
      apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Polecat',
      metadata: { name: 'reused', namespace: NS, annotations: { [Annotation.ForceTerminate]: 'true' } }, spec,
    });
    const key = `${NS}/reused`;
    await reconcile(key);
    const name = (await get(key))?.status?.gtName;
    assert.ok(name);
    assert.equal((await get(key))?.status?.dispatchedBeadID, first);

    // gt done, then gt reuses the idle polecat for someone else's bead.
    await control.finishWork(bed.root, 'gastown', name);
    const second = await control.addBead(bed.root, { rig: 'gastown', title: 'Second job' });
    const sling = await control.slingOutside(bed.root, second, 'gastown', { convoy: false });
    assert.deepEqual([sling.polecat, sling.reused], [name, true], 'the simulator reused the view\'s polecat');

    await reconcile(key);
    await reconcile(key);
    const view = await get(key);
    assert.equal(view?.status?.phase, 'Idle');
    assert.equal(cond(view, 'Ready')?.reason, Reason.PolecatReassigned);
    assert.equal(view?.status?.beadID, first, 'the other bead is not taken as the view\'s own');
    assert.equal(bed.calls('sling', first).length, 1, 'the view\'s bead was slung once');

    // Deleting the view (force-terminate set) must not nuke the polecat that now works on `second`.
    await bed.kube.delete(POLECAT_KIND, { namespace: NS, name: 'reused' });
    await reconcile(key);
    const held = await get(key);
    assert.deepEqual(held?.metadata.finalizers, [FINALIZER], 'finalizer kept');
    assert.equal(cond(held, 'CleanupBlocked')?.reason, Reason.PolecatReassigned);
    assert.deepEqual(bed.calls('polecat', 'nuke'), [], 'never nuked');
    assert.equal(control.readTown(bed.root).polecats[`gastown/${name}`]?.hookBead, second);

    // The user lets the view go without touching the polecat.
    await bed.kube.patch(POLECAT_KIND, { namespace: NS, name: 'reused' }, {
      type: 'merge', body: { metadata: { annotations: { [Annotation.ForceTerminate]: null, [Annotation.OnDelete]: ON_DELETE_ORPHAN } } },
    });
    await reconcile(key);
    assert.equal(await get(key), undefined);
    assert.deepEqual(bed.calls('polecat', 'nuke'), []);
    assert.equal(control.readTown(bed.root).polecats[`gastown/${name}`]?.hookBead, second, 'still working on the other bead');
  });
});
