// The Convoy controller against the embedded API server and the simulated town, through real
// gt/bd processes: created exactly once across a crash between create and status write,
// progress and completion of a cross-rig convoy gt never closes, one notification across a
// restart, and no second mail after a crash between deciding to send and confirming.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Reason, type Convoy, type ConvoyInput, type ConvoyStatus } from '../../../src/api/index.ts';
import { CONVOY_KIND } from '../../../src/api/kinds.ts';
import type { StatusSink } from '../../../src/controllers/shared/sinks.ts';
import { convoysOfRig } from '../../../src/controllers/town-sync/queries.ts';
import type { GtClient } from '../../../src/gt/index.ts';
import * as control from '../../../sim/src/control.ts';
import { isConvoy } from '../../../sim/src/domain.ts';
import { GT_VERSIONS } from '../../../sim/src/version.ts';
import { mutateState } from '../../../sim/src/store.ts';
import { NS, convoyReconciler, droppingWriter, useBed, type TestReconciler } from './polecat-convoy-harness.ts';

describe('Convoy controller (API server + simulated town)', () => {
  const bed = useBed(CONVOY_KIND);

  const reconciler = (opts: { status?: StatusSink<ConvoyStatus>; gt?: GtClient } = {}): TestReconciler => convoyReconciler(bed, opts);

  async function create(name: string, spec: ConvoyInput['spec']): Promise<string> {
    await bed.kube.create(CONVOY_KIND, { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Convoy', metadata: { name, namespace: NS }, spec });
    return `${NS}/${name}`;
  }

  const get = async (key: string): Promise<Convoy | undefined> => bed.fetch<Convoy>(CONVOY_KIND, key);
  const cond = (c: Convoy | undefined, type: string) => c?.status?.conditions?.find((x) => x.type === type);
  const convoysTitled = (marker: string) => Object.values(control.readTown(bed.root).beads).filter((b) => isConvoy(b) && b.title.includes(marker));
  const mails = () => control.readTown(bed.root).mail;

  async function beads(): Promise<[string, string]> {
    return [await control.addBead(bed.root, { rig: 'gastown', title: 'left' }), await control.addBead(bed.root, { rig: 'beads', title: 'right' })];
  }

  test('created exactly once across a crash between create and status write', async () => {
    const tracked = await beads();
    const key = await create('once', { description: 'Release 1.2', trackedBeads: tracked });
    const crashing = droppingWriter<ConvoyStatus>(bed.kube, CONVOY_KIND, 1);
    await reconciler({ status: crashing }).reconcile(key);
    assert.equal(crashing.dropped(), 1);
    assert.equal((await get(key))?.status?.beadsConvoyID, undefined, 'the status write was lost');
    const marker = `[k8s:${NS}/once/`;
    assert.equal(convoysTitled(marker).length, 1);

    const restarted = reconciler();
    for (let i = 0; i < 3; i++) await restarted.reconcile(key);
    const view = await get(key);
    assert.equal(convoysTitled(marker).length, 1, 'exactly one convoy in the simulator');
    assert.equal(bed.calls('convoy', 'create').filter((c) => c.args[2]?.includes(marker)).length, 1);
    assert.equal(view?.status?.beadsConvoyID, convoysTitled(marker)[0]?.id);
    assert.equal(view?.status?.phase, 'InProgress');
    assert.equal(view?.status?.progress, '0/2');
    assert.equal(cond(view, 'Tracking')?.status, 'True');
  });

  test('a convoy it created is verified from the open list, then costs no gt call and no status write while idle', async () => {
    const tracked = await beads();
    const key = await create('quiet', { description: 'Quiet', trackedBeads: tracked });
    const r = reconciler();
    await r.reconcile(key); // creates
    await r.reconcile(key); // verifies from the next town read
    const view = await get(key);
    const id = view?.status?.beadsConvoyID;
    assert.ok(id);
    assert.equal(cond(view, 'Tracking')?.status, 'True');
    assert.equal(bed.calls('convoy', 'status', id).length, 0, 'the open list vouched for every bead');

    // Idle: each reconcile (after the town read syncNow asks for) reads nothing of its own.
    const n0 = bed.calls().length;
    for (let i = 0; i < 3; i++) await r.reconcile(key);
    const idle = bed.calls().slice(n0);
    const cycles = idle.filter((c) => c.bin === 'gt' && c.args[0] === 'status').length;
    assert.ok(cycles >= 3);
    assert.ok(idle.length <= 5 * cycles, `at most 5 gt/bd calls per town read, saw ${idle.length} in ${cycles}`);
    assert.deepEqual(idle.filter((c) => c.args[0] === 'convoy' && c.args[1] !== 'list').map((c) => c.args.join(' ')), []);
    assert.equal((await get(key))?.metadata.resourceVersion, view?.metadata.resourceVersion, 'no status write while idle');
  });

  test('beads gt failed to track are added; a cross-rig convoy completes from per-bead status', async () => {
    await control.setSettings(bed.root, { convoyTrackingFails: true });
    const tracked = await beads();
    const key = await create('crossrig', { description: 'Cross rig', trackedBeads: tracked });
    const r = reconciler();
    await r.reconcile(key);
    await control.setSettings(bed.root, { convoyTrackingFails: false });
    await r.reconcile(key); // verifies: gt tracks nothing -> convoy add
    await r.reconcile(key); // verifies again
    const id = (await get(key))?.status?.beadsConvoyID;
    assert.ok(id);
    assert.equal(bed.calls('convoy', 'add', id).length, 1);
    assert.equal(cond(await get(key), 'Tracking')?.status, 'True');

    await control.closeBead(bed.root, tracked[0]);
    await r.reconcile(key);
    assert.equal((await get(key))?.status?.progress, '1/2');
    await control.closeBead(bed.root, tracked[1]);
    await r.reconcile(key);
    const view = await get(key);
    assert.equal(view?.status?.phase, 'Completed');
    assert.equal(view?.status?.progress, '2/2');
    assert.ok(view?.status?.completedAt);
    assert.deepEqual(view?.status?.completedBeads, [...tracked].sort());

    // Settled: no more gt calls for it, whatever happens.
    const before = bed.calls('convoy', 'status', id).length;
    assert.equal(await r.reconcile(key), undefined, 'no requeue after completion');
    assert.equal(bed.calls('convoy', 'status', id).length, before);
  });

  test('notification sent once across a restart', async () => {
    const tracked = await beads();
    const key = await create('notify', { description: 'Tell me', trackedBeads: tracked, notifyOnComplete: true, notifyAddress: 'overseer' });
    const r = reconciler();
    await r.reconcile(key);
    await r.reconcile(key);
    for (const b of tracked) await control.closeBead(bed.root, b);
    const mailsBefore = mails().length;
    await r.reconcile(key);
    const view = await get(key);
    assert.equal(view?.status?.phase, 'Completed');
    assert.equal(cond(view, 'Notified')?.status, 'True');
    assert.ok(view?.status?.notifiedAt);
    assert.equal(mails().length, mailsBefore + 1);

    const restarted = reconciler();
    for (let i = 0; i < 3; i++) await restarted.reconcile(key);
    assert.equal(mails().length, mailsBefore + 1, 'never twice');
    assert.equal(cond(await get(key), 'Notified')?.reason, Reason.NotificationSent);
  });

  test('a crash after recording the intent and before confirming never leads to a second mail', async () => {
    const tracked = await beads();
    const key = await create('crash-mail', { description: 'Maybe mailed', trackedBeads: tracked, notifyOnComplete: true });
    await reconciler().reconcile(key);
    await reconciler().reconcile(key);
    for (const b of tracked) await control.closeBead(bed.root, b);
    const mailsBefore = mails().length;
    // The process dies while `gt mail send` runs (after it delivered).
    const dying: GtClient = {
      ...bed.gt,
      mailSend: async (...args) => {
        await bed.gt.mailSend(...args);
        throw new Error('operator killed');
      },
    };
    await assert.rejects(reconciler({ gt: dying }).reconcile(key), /operator killed/);
    assert.equal(cond(await get(key), 'Notified')?.status, 'Unknown', 'the intent was written before sending');
    assert.equal(mails().length, mailsBefore + 1);

    await reconciler().reconcile(key);
    const view = await get(key);
    assert.equal(mails().length, mailsBefore + 1, 'not sent again');
    assert.deepEqual([cond(view, 'Notified')?.status, cond(view, 'Notified')?.reason], ['False', Reason.NotificationFailed]);
  });

  // gt v1.2 makes new convoys `task` beads labelled gt:convoy (v1.0: issue type `convoy`): created,
  // followed, counted for its rigs and completed the same way; a convoy status gt prints that the
  // operator does not know keeps its raw value (gtStatusKnown false).
  for (const version of GT_VERSIONS) {
    test(`on gt ${version}: a convoy of ${version === '1.2' ? 'task beads labelled gt:convoy' : 'issue type convoy'} is followed and counted; an unknown status is kept raw`, async () => {
      await control.setSettings(bed.root, { gtVersion: version });
      try {
        const tracked = await beads();
        const key = await create(`typed-${version.replace('.', '-')}`, { description: `Typed ${version}`, trackedBeads: tracked });
        const r = reconciler();
        await r.reconcile(key);
        await r.reconcile(key);
        const id = (await get(key))?.status?.beadsConvoyID;
        assert.ok(id);
        const bead = control.readTown(bed.root).beads[id];
        assert.deepEqual([bead?.issueType, bead?.labels.includes('gt:convoy')], version === '1.2' ? ['task', true] : ['convoy', false]);
        const town = await bed.observer.syncNow('count');
        assert.ok(town.ok);
        assert.ok(convoysOfRig(town, 'gastown').some((c) => c.id === id) && convoysOfRig(town, 'beads').some((c) => c.id === id), 'counted for both rigs');
        assert.deepEqual([(await get(key))?.status?.gtStatus, (await get(key))?.status?.gtStatusKnown], ['open', true]);

        await setConvoyStatus(bed.root, id, 'staged');
        await bed.kube.patch(CONVOY_KIND, { namespace: NS, name: `typed-${version.replace('.', '-')}` }, { type: 'merge', body: { status: { conditions: [] } } }, 'status');
        await r.reconcile(key);
        assert.deepEqual([(await get(key))?.status?.gtStatus, (await get(key))?.status?.gtStatusKnown], ['staged', false]);
        await setConvoyStatus(bed.root, id, 'open');

        for (const b of tracked) await control.closeBead(bed.root, b);
        await r.reconcile(key);
        const view = await get(key);
        assert.deepEqual([view?.status?.phase, view?.status?.progress], ['Completed', '2/2']);
      } finally {
        await control.setSettings(bed.root, { gtVersion: '1.2' });
      }
    });
  }

  test('a convoy removed from gt goes Failed/ConvoyNotFound; a database outage does not', async () => {
    const tracked = await beads();
    const key = await create('vanish', { description: 'Vanishing', trackedBeads: tracked });
    const r = reconciler();
    await r.reconcile(key);
    await r.reconcile(key);
    const id = (await get(key))?.status?.beadsConvoyID;
    assert.ok(id);

    await control.setFaultRules(bed.root, [{ match: 'gt convoy status', dbDown: true }]);
    // Tracking is verified and the open list shows every bead tracked: force a `convoy status`
    // read (tracking unverified, and a list that no longer vouches for every bead).
    await bed.kube.patch(CONVOY_KIND, { namespace: NS, name: 'vanish' }, { type: 'merge', body: { status: { conditions: [] } } }, 'status');
    await untrack(bed.root, id, tracked[1]);
    await r.reconcile(key);
    let view = await get(key);
    assert.equal(view?.status?.phase, 'InProgress', 'not concluded during an outage');
    assert.equal(cond(view, 'Synced')?.reason, Reason.GTUnavailable);
    await control.clearFaults(bed.root);

    const state = control.readTown(bed.root);
    assert.ok(state.beads[id]);
    await removeConvoy(bed.root, id);
    await r.reconcile(key);
    view = await get(key);
    assert.equal(view?.status?.phase, 'Failed');
    assert.equal(cond(view, 'Ready')?.reason, Reason.ConvoyNotFound);
  });
});

/** Drops one tracked bead from a convoy in the simulated town. */
async function untrack(root: string, id: string, bead: string): Promise<void> {
  await mutateState(root, (state) => {
    const convoy = state.beads[id];
    if (convoy) convoy.tracks = (convoy.tracks ?? []).filter((b) => b !== bead);
  });
}

/** Deletes a convoy bead from the simulated town (what `bd delete` would do). */
async function removeConvoy(root: string, id: string): Promise<void> {
  await mutateState(root, (state) => {
    delete state.beads[id];
  });
}

/** Sets a convoy bead's status in the simulated town (a value gt may print that bd has no command for). */
async function setConvoyStatus(root: string, id: string, status: string): Promise<void> {
  await mutateState(root, (state) => {
    const bead = state.beads[id];
    if (bead === undefined) throw new Error(`convoy ${id} not found`);
    bead.status = status;
  });
}
