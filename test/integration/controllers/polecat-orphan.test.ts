// Deleting Polecat views without touching gt, against the embedded API server and the
// simulated town through real gt/bd processes: a discovered view superseded by a user's
// Polecat (the sling reused its idle polecat) is retired by discovery with on-delete "orphan",
// and a user's Polecat annotated on-delete "orphan" is deleted; in both cases the simulator's
// call log shows no check-recovery and no nuke, and the gt polecat keeps running.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Annotation, FINALIZER, Label, ON_DELETE_ORPHAN, Reason, type Polecat, type PolecatInput } from '../../../src/api/index.ts';
import { POLECAT_KIND } from '../../../src/api/kinds.ts';
import type { DiscoveryResult } from '../../../src/controllers/town-sync/discovery.ts';
import * as control from '../../../sim/src/control.ts';
import { NS, createPolecat, discoveryOn, polecatReconciler, useBed } from './polecat-convoy-harness.ts';

describe('Deleting Polecat views without touching gt (API server + simulated town)', () => {
  // One rig; its first polecat is working, the second idle (gt done earlier, clean).
  const bed = useBed(POLECAT_KIND, { rigs: [{ name: 'gastown', prefix: 'gt' }], polecatsPerRig: 2 });
  const reconciler = polecatReconciler(bed);
  const reconcile = async (key: string): Promise<void> => void (await reconciler.reconcile(key));
  const discovery = discoveryOn(bed);
  /** One discovery run on a fresh town and the Polecats as the API server has them now. */
  const discover = (): Promise<DiscoveryResult> => discovery.run('discovery');

  const create = (name: string, spec: PolecatInput['spec'], annotations?: Record<string, string>): Promise<string> =>
    createPolecat(bed, name, spec, annotations ? { annotations } : {});

  const get = async (key: string): Promise<Polecat | undefined> => bed.fetch<Polecat>(POLECAT_KIND, key);
  const discoveredViewOf = async (polecat: string): Promise<Polecat | undefined> =>
    (await bed.kube.list<Polecat>(POLECAT_KIND, { namespace: NS })).items.find(
      (v) => v.metadata.labels?.[Label.Discovered] === 'true' && v.metadata.labels[Label.Polecat] === polecat,
    );
  /** check-recovery and nuke calls the simulator logged for `gastown/<polecat>`. */
  const cleanupCalls = (polecat: string) => [
    ...bed.calls('polecat', 'check-recovery', `gastown/${polecat}`),
    ...bed.calls('polecat', 'nuke', `gastown/${polecat}`),
  ];
  const inTown = (polecat: string) => control.readTown(bed.root).polecats[`gastown/${polecat}`];

  test('a discovered view superseded by a user Polecat (the sling reused its idle polecat) is retired: orphaned, never nuked', async () => {
    const idle = Object.values(control.readTown(bed.root).polecats).find((p) => p.state === 'idle');
    assert.ok(idle, 'the town has an idle polecat');
    const name = idle.name;

    // Discovery gives it a view; the Polecat controller takes it over (finalizer, Idle).
    const first = await discover();
    assert.equal(first.failed, 0);
    const discovered = await discoveredViewOf(name);
    assert.ok(discovered, 'a discovered view for the idle polecat');
    const discoveredKey = `${NS}/${discovered.metadata.name}`;
    await reconcile(discoveredKey);
    const followed = await get(discoveredKey);
    assert.deepEqual(followed?.metadata.finalizers, [FINALIZER], 'the finalizer guards it: a plain delete would run the cleanup');
    assert.equal(followed?.status?.phase, 'Idle');

    // The user's Polecat slings a bead; gt reuses the idle polecat.
    const bead = await control.addBead(bed.root, { rig: 'gastown', title: 'Reuse the idle polecat' });
    const demo = await create('demo', { rig: 'gastown', desiredState: 'Working', beadID: bead });
    await reconcile(demo);
    await reconcile(demo);
    assert.equal(bed.calls('sling', bead).length, 1);
    assert.equal((await get(demo))?.status?.gtName, name, 'the sling reused the idle polecat: two views follow it now');
    assert.equal(inTown(name)?.hookBead, bead);

    // Discovery retires the discovered view: on-delete "orphan" first, then the delete.
    const retiring = await discover();
    assert.deepEqual([retiring.retired, retiring.failed, retiring.created], [1, 0, 0]);
    const deleting = await get(discoveredKey);
    assert.ok(deleting?.metadata.deletionTimestamp, 'deleted, held by the finalizer until the controller releases it');
    assert.equal(deleting.metadata.annotations?.[Annotation.OnDelete], ON_DELETE_ORPHAN);

    await reconcile(discoveredKey);
    assert.equal(await get(discoveredKey), undefined, 'the discovered view is gone from the API');
    assert.deepEqual(cleanupCalls(name), [], 'no check-recovery and no nuke for the polecat');
    assert.equal(inTown(name)?.hookBead, bead, 'the gt polecat is still there, on the user\'s bead');
    const orphaned = bed.events.find((e) => e.object === discoveredKey && e.reason === Reason.Orphaned);
    assert.equal(orphaned?.type, 'Normal');
    assert.match(orphaned?.message ?? '', /left running/);

    // The user's view still follows it, and discovery neither recreates nor retires anything more.
    await reconcile(demo);
    assert.deepEqual([(await get(demo))?.status?.phase, (await get(demo))?.status?.gtName], ['Working', name]);
    const after = await discover();
    assert.deepEqual([after.created, after.retired, after.deleted, after.failed], [0, 0, 0, 0]);
    assert.equal(await discoveredViewOf(name), undefined);
  });

  test('deleting a user Polecat annotated on-delete "orphan" removes the view and leaves the gt polecat running', async () => {
    const bead = await control.addBead(bed.root, { rig: 'gastown', title: 'Keep me running' });
    const key = await create('keep', { rig: 'gastown', desiredState: 'Working', beadID: bead }, { [Annotation.OnDelete]: ON_DELETE_ORPHAN });
    await reconcile(key);
    const name = (await get(key))?.status?.gtName;
    assert.ok(name);
    assert.deepEqual((await get(key))?.metadata.finalizers, [FINALIZER]);

    await bed.kube.delete(POLECAT_KIND, { namespace: NS, name: 'keep' });
    await reconcile(key);
    assert.equal(await get(key), undefined, 'finalizer released at once, object gone');
    assert.deepEqual(cleanupCalls(name), [], 'no check-recovery and no nuke');
    assert.equal(inTown(name)?.hookBead, bead, 'the gt polecat keeps working on its bead');
    assert.ok(bed.events.some((e) => e.object === key && e.type === 'Normal' && e.reason === Reason.Orphaned));

    // Nobody follows it any more: town sync gives it a discovered view.
    await discover();
    const view = await discoveredViewOf(name);
    assert.deepEqual([view?.spec.desiredState, view?.spec.beadID], ['Working', bead]);
  });

  test('on-delete "orphan" with force-terminate "true": the deletion waits (CleanupBlocked) until one is removed', async () => {
    const bead = await control.addBead(bed.root, { rig: 'gastown', title: 'Make up your mind' });
    const key = await create('undecided', { rig: 'gastown', desiredState: 'Working', beadID: bead }, {
      [Annotation.OnDelete]: ON_DELETE_ORPHAN,
      [Annotation.ForceTerminate]: 'true',
    });
    await reconcile(key);
    const name = (await get(key))?.status?.gtName;
    assert.ok(name);
    await control.makeDirty(bed.root, 'gastown', name, { unpushedCommits: 2 });

    await bed.kube.delete(POLECAT_KIND, { namespace: NS, name: 'undecided' });
    await reconcile(key);
    const held = await get(key);
    assert.ok(held?.metadata.deletionTimestamp);
    assert.deepEqual(held.metadata.finalizers, [FINALIZER], 'finalizer kept');
    const blocked = held.status?.conditions?.find((c) => c.type === 'CleanupBlocked');
    assert.deepEqual([blocked?.status, blocked?.reason], ['True', Reason.ConflictingDeleteAnnotations]);
    assert.ok(bed.events.some((e) => e.object === key && e.type === 'Warning' && e.reason === Reason.ConflictingDeleteAnnotations));
    assert.deepEqual(cleanupCalls(name), [], 'refusing to guess: no gt call either way');

    // The user settles it: remove force-terminate, the orphan deletion goes through.
    await bed.kube.patch(POLECAT_KIND, { namespace: NS, name: 'undecided' }, { type: 'merge', body: { metadata: { annotations: { [Annotation.ForceTerminate]: null } } } });
    await reconcile(key);
    assert.equal(await get(key), undefined);
    assert.deepEqual(cleanupCalls(name), []);
    assert.ok(inTown(name), 'the dirty polecat keeps its work');
  });
});
