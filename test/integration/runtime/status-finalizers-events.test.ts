import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';
import { findCondition, setCondition, type Condition } from '../../../src/runtime/conditions.ts';
import { EventRecorder } from '../../../src/runtime/events.ts';
import { withFinalizer } from '../../../src/runtime/finalizers.ts';
import { isConflict, KubeClient } from '../../../src/runtime/k8s.ts';
import { StatusWriter } from '../../../src/runtime/status.ts';
import { FakeClock } from '../../../src/runtime/clock.ts';
import { installCrd, widget, widgetKind, type Widget } from './helpers.ts';
import { eventually } from '../../helpers/eventually.ts';
import { kubeConfigAt, startProxy, type RecordingProxy } from './proxy.ts';

type WidgetStatus = NonNullable<Widget['status']>;

describe('status, finalizers and events against the embedded API server', () => {
  let api: TestApiServer;
  let proxy: RecordingProxy;
  let client: KubeClient;
  before(async () => {
    api = await startTestApiServer({ tls: false });
    proxy = await startProxy(api.url, api.token);
    client = new KubeClient(proxy.kubeConfig);
    await installCrd(kubeConfigAt(api.url, api.token));
    await eventually('the Widget kind', async () => (await client.list(widgetKind)).items);
  });
  after(async () => {
    await proxy.close();
    await api.close();
  });

  const statusPatches = (name: string): number =>
    proxy.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/widgets/${name}/status`)).length;

  test('status is patched only when it changed, as a merge patch on /status', async () => {
    const writer = new StatusWriter<WidgetStatus>({ client, kind: widgetKind });
    let w = await client.create<Widget>(widgetKind, widget('s1'));
    w = (await writer.write(w, { phase: 'Ready', observed: 1 }))!;
    assert.equal(w.status?.phase, 'Ready');
    assert.equal(statusPatches('s1'), 1);
    assert.equal(await writer.write(w, { observed: 1, phase: 'Ready' }), undefined, 'same status in another key order');
    assert.equal(statusPatches('s1'), 1, 'no API write for an unchanged status');
    w = (await writer.write(w, { phase: 'Ready' }))!;
    assert.equal(w.status?.observed, undefined, 'a dropped field is removed');
    assert.equal(statusPatches('s1'), 2);
    const last = proxy.requests.filter((r) => r.path.endsWith('/widgets/s1/status')).at(-1)!;
    assert.equal(last.contentType, 'application/merge-patch+json');
  });

  test('a status write from a stale read conflicts', async () => {
    const writer = new StatusWriter<WidgetStatus>({ client, kind: widgetKind });
    const read = await client.create<Widget>(widgetKind, widget('s2'));
    await client.patch(widgetKind, { namespace: 'default', name: 's2' }, { type: 'merge', body: { spec: { size: 5 } } });
    await assert.rejects(writer.write(read, { phase: 'Stale' }), (e: unknown) => isConflict(e));
    const fresh = (await client.get<Widget>(widgetKind, { namespace: 'default', name: 's2' }))!;
    assert.equal(fresh.status?.phase, undefined);
    assert.equal((await writer.write(fresh, { phase: 'Fresh' }))?.status?.phase, 'Fresh');
  });

  test('conditions keep lastTransitionTime through writes while status is unchanged; lastFailure is left alone', async () => {
    const clock = new FakeClock();
    const writer = new StatusWriter<WidgetStatus>({ client, kind: widgetKind });
    let w = await client.create<Widget>(widgetKind, widget('s3'));
    await client.patch(widgetKind, { namespace: 'default', name: 's3' }, { type: 'merge', body: { status: { lastFailure: { reason: 'X' } } } }, 'status');
    w = (await client.get<Widget>(widgetKind, { namespace: 'default', name: 's3' }))!;
    const c1 = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Waiting', message: 'a', observedGeneration: 1 }, clock.now());
    w = (await writer.write(w, { conditions: c1 }))!;
    clock.advance(90_000);
    const conds = (x: Widget): Condition[] => x.status?.conditions ?? [];
    const c2 = setCondition(conds(w), { type: 'Ready', status: 'False', reason: 'StillWaiting', message: 'b', observedGeneration: 1 }, clock.now());
    w = (await writer.write(w, { conditions: c2 }))!;
    assert.equal(findCondition(conds(w), 'Ready')?.lastTransitionTime, c1[0]!.lastTransitionTime);
    assert.equal(findCondition(conds(w), 'Ready')?.reason, 'StillWaiting');
    assert.equal(w.status?.lastFailure?.reason, 'X', 'the writer never drops lastFailure');
    clock.advance(1000);
    const c3 = setCondition(conds(w), { type: 'Ready', status: 'True', reason: 'Ok', message: '' }, clock.now());
    w = (await writer.write(w, { conditions: c3 }))!;
    assert.notEqual(findCondition(conds(w), 'Ready')?.lastTransitionTime, c1[0]!.lastTransitionTime);
  });

  test('finalizer: added before acting without dropping others, cleanup on delete, then removed', async () => {
    const F = 'test.gastown.io/cleanup';
    const created = await client.create<Widget>(widgetKind, { ...widget('f1'), metadata: { name: 'f1', namespace: 'default', finalizers: ['other.io/keep'] } });
    const log: string[] = [];
    const handlers = {
      apply: (o: Widget) => Promise.resolve(void log.push(`apply ${o.metadata?.finalizers?.join(',')}`)),
      cleanup: () => Promise.resolve(void log.push('cleanup')),
    };
    await withFinalizer({ client, kind: widgetKind, finalizer: F, obj: created }, handlers);
    assert.deepEqual(log, [`apply other.io/keep,${F}`]);
    // A write based on the stale read must not drop anyone's finalizer: it conflicts instead.
    await assert.rejects(withFinalizer({ client, kind: widgetKind, finalizer: 'third.io/x', obj: created }, handlers), (e: unknown) => isConflict(e));
    await client.delete(widgetKind, { namespace: 'default', name: 'f1' });
    const deleting = (await client.get<Widget>(widgetKind, { namespace: 'default', name: 'f1' }))!;
    assert.ok(deleting.metadata?.deletionTimestamp);
    await withFinalizer({ client, kind: widgetKind, finalizer: F, obj: deleting }, handlers);
    assert.deepEqual(log.slice(1), ['cleanup']);
    const after = (await client.get<Widget>(widgetKind, { namespace: 'default', name: 'f1' }))!;
    assert.deepEqual(after.metadata?.finalizers, ['other.io/keep'], 'only our finalizer was removed');
    assert.equal(await withFinalizer({ client, kind: widgetKind, finalizer: F, obj: after }, handlers), undefined, 'deleting without ours: nothing to do');
  });

  test('events: repeats are aggregated into count, spam is dropped, failures never throw', async () => {
    const clock = new FakeClock(Date.now());
    const recorder = new EventRecorder({ kubeConfig: proxy.kubeConfig, component: 'gastown-operator', clock, burst: 4, refillMs: 60_000 });
    const w = await client.create<Widget>(widgetKind, widget('e1'));
    const obj = { ...w, apiVersion: 'test.gastown.io/v1', kind: 'Widget' };
    await Promise.all([recorder.record(obj, 'Warning', 'GtUnavailable', 'gt timed out'), recorder.record(obj, 'Warning', 'GtUnavailable', 'gt timed out')]);
    clock.advance(5_000);
    await recorder.record(obj, 'Warning', 'GtUnavailable', 'gt timed out');
    await recorder.record(obj, 'Normal', 'Ready', 'all good');
    await recorder.record(obj, 'Normal', 'Ready', 'spam beyond the burst');
    const core = proxy.kubeConfig.makeApiClient(CoreV1Api);
    const events = (await core.listNamespacedEvent({ namespace: 'default' })).items.filter((e: CoreV1Event) => e.involvedObject.name === 'e1');
    const warn = events.find((e) => e.reason === 'GtUnavailable')!;
    assert.equal(events.length, 2, 'one Event per distinct message, the spam dropped');
    assert.equal(warn.count, 3);
    assert.equal(warn.type, 'Warning');
    assert.equal(warn.source?.component, 'gastown-operator');
    assert.equal(warn.involvedObject.uid, w.metadata?.uid);
    assert.ok(warn.lastTimestamp! > warn.firstTimestamp!, 'lastTimestamp moved');
    proxy.setRefusing(true);
    try {
      await recorder.record({ ...obj, metadata: { ...obj.metadata, uid: 'other' } }, 'Normal', 'X', 'unreachable');
    } finally {
      proxy.setRefusing(false);
    }
  });
});
