// Deleting Polecat views without touching gt, against the embedded API server and the
// simulated town through real gt/bd processes: a discovered view superseded by a user's
// Polecat (the sling reused its idle polecat) is retired by discovery with on-delete "orphan",
// and a user's Polecat annotated on-delete "orphan" is deleted; in both cases the simulator's
// call log shows no check-recovery and no nuke, and the gt polecat keeps running.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Annotation, FINALIZER, Label, ON_DELETE_ORPHAN, Reason, type Polecat, type PolecatInput, type PolecatStatus } from '../../../src/api/index.ts';
import { POLECAT_KIND } from '../../../src/api/kinds.ts';
import { PolecatReconciler } from '../../../src/controllers/polecat/reconcile.ts';
import { PolecatDiscovery, type DiscoveryResult } from '../../../src/controllers/town-sync/discovery.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import type { KubeObject } from '../../../src/runtime/k8s.ts';
import { StatusWriter } from '../../../src/runtime/status.ts';
import * as control from '../../../sim/src/control.ts';
import { eventSink, served, startBed, type Bed } from './polecat-convoy-harness.ts';

const NS = 'default';

describe('Deleting Polecat views without touching gt (API server + simulated town)', () => {
  let bed: Bed;
  let discovery: PolecatDiscovery;
  let cached: readonly KubeObject[] = [];
  let reconciler: PolecatReconciler;
  const cache = new Map<string, KubeObject>();

  before(async () => {
    // One rig; its first polecat is working, the second idle (gt done earlier, clean).
    bed = await startBed({ rigs: [{ name: 'gastown', prefix: 'gt' }], polecatsPerRig: 2 });
    await served(bed.kube, POLECAT_KIND, NS);
    discovery = new PolecatDiscovery({ client: bed.kube, listPolecats: () => cached, namespace: NS });
    reconciler = new PolecatReconciler({
      gt: bed.gt,
      town: bed.observer,
      kube: bed.kube,
      kind: POLECAT_KIND,
      get: (key) => cache.get(key),
      status: new StatusWriter<PolecatStatus>({ client: bed.kube, kind: POLECAT_KIND }),
      events: eventSink(bed.events),
      clock: realClock,
    });
  });
  after(async () => {
    await bed.close();
  });

  /** A reconcile on a fresh town and on the object as the API server has it now. */
  async function reconcile(key: string): Promise<void> {
    await bed.observer.syncNow('test');
    const obj = await bed.fetch(POLECAT_KIND, key);
    if (obj) cache.set(key, obj);
    else cache.delete(key);
    await reconciler.reconcile(key);
  }

  /** One discovery run on a fresh town and the Polecats as the API server has them now. */
  async function discover(): Promise<DiscoveryResult> {
    cached = (await bed.kube.list<KubeObject>(POLECAT_KIND, {})).items;
    return discovery.sync(await bed.observer.syncNow('discovery'));
  }

  async function create(name: string, spec: PolecatInput['spec'], annotations?: Record<string, string>): Promise<string> {
    const metadata = { name, namespace: NS, ...(annotations ? { annotations } : {}) };
    await bed.kube.create(POLECAT_KIND, { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Polecat', metadata, spec });
    return `${NS}/${name}`;
  }

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
