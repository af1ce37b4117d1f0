// Pod scheduling gates on the embedded API server and its local node, as Kubernetes has them: a
// pod created with `spec.schedulingGates` is Pending with PodScheduled=False/SchedulingGated and
// is not bound while any gate remains; gates may only be removed (422 for a new one), a pod may
// not be created with gates and a nodeName; once the last gate is gone the node runs it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { eventually } from '../../helpers/eventually.ts';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';

const refusedWith = (code: number, text: RegExp) => (error: unknown): boolean => {
  const e = error as { code?: number; body?: string };
  return e.code === code && text.test(String(e.body));
};

describe('scheduling gates (embedded API server, local node)', () => {
  let api: TestApiServer;
  let core: CoreV1Api;
  const dir = mkdtempSync(join(tmpdir(), 'scheduling-gates-'));
  const gated = (name: string, gates: string[], extra: NonNullable<V1Pod['spec']> | object = {}): V1Pod => ({
    metadata: { name },
    spec: { restartPolicy: 'Never', schedulingGates: gates.map((g) => ({ name: g })), containers: [{ name: 'c', image: 'busybox', command: ['sleep', '300'] }], ...extra },
  });

  before(async () => {
    api = await startTestApiServer({ localNode: { dir: join(dir, 'node') } });
    core = api.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a gated pod waits unbound with SchedulingGated; a new gate is refused; without its gates it runs', async () => {
    const created = await core.createNamespacedPod({ namespace: 'default', body: gated('held', ['example.com/a', 'example.com/b']) });
    assert.deepEqual(created.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [['PodScheduled', 'False', 'SchedulingGated']]);
    assert.equal(created.status?.phase, 'Pending');
    // A pod without gates created after it is bound at once: the node had its chance at the gated one.
    await core.createNamespacedPod({ namespace: 'default', body: gated('free', []) });
    await eventually('the ungated pod bound', async () => ((await core.readNamespacedPod({ namespace: 'default', name: 'free' })).spec?.nodeName ? true : undefined), 20_000, 50);
    let held = await core.readNamespacedPod({ namespace: 'default', name: 'held' });
    assert.equal(held.spec?.nodeName, undefined, 'not bound while gated');
    await assert.rejects(
      core.replaceNamespacedPod({ namespace: 'default', name: 'held', body: { ...held, spec: { ...held.spec!, schedulingGates: [...held.spec!.schedulingGates!, { name: 'example.com/c' }] } } }),
      refusedWith(422, /only deletion is allowed, but found new scheduling gate 'example.com\/c'/),
    );
    held = await core.replaceNamespacedPod({ namespace: 'default', name: 'held', body: { ...held, spec: { ...held.spec!, schedulingGates: [{ name: 'example.com/b' }] } } });
    await core.createNamespacedPod({ namespace: 'default', body: gated('free2', []) });
    await eventually('a later ungated pod bound', async () => ((await core.readNamespacedPod({ namespace: 'default', name: 'free2' })).spec?.nodeName ? true : undefined), 20_000, 50);
    assert.equal((await core.readNamespacedPod({ namespace: 'default', name: 'held' })).spec?.nodeName, undefined, 'one gate left: still unbound');
    await core.replaceNamespacedPod({ namespace: 'default', name: 'held', body: { ...held, spec: { ...held.spec!, schedulingGates: [] } } });
    const running = await eventually('the pod runs once its gates are gone', async () => {
      const p = await core.readNamespacedPod({ namespace: 'default', name: 'held' });
      return p.status?.containerStatuses?.[0]?.state?.running !== undefined ? p : undefined;
    }, 20_000, 50);
    assert.ok(running.spec?.nodeName);
    assert.equal(running.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
  });

  test('gates together with a nodeName, or a duplicate gate, are refused at create', async () => {
    await assert.rejects(core.createNamespacedPod({ namespace: 'default', body: gated('bound', ['example.com/a'], { nodeName: 'local-node' }) }), refusedWith(422, /cannot be set until all schedulingGates have been cleared/));
    await assert.rejects(core.createNamespacedPod({ namespace: 'default', body: gated('twice', ['example.com/a', 'example.com/a']) }), refusedWith(422, /Duplicate value/));
  });
});
