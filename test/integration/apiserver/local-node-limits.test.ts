// The local node's realism for Pod execution: a container over `resources.limits.memory` is
// killed and reported as the kubelet reports a cgroup OOM kill (reason OOMKilled, exit code
// 137, pod Failed); a secret volume whose Secret does not exist yet keeps the pod in
// ContainerCreating until the Secret appears, then the container runs with its files. Pod
// scheduling gates, as Kubernetes has them: a pod created with `spec.schedulingGates` is Pending
// with PodScheduled=False/SchedulingGated and not bound while any gate remains; gates may only
// be removed (422 for a new one), a pod may not be created with gates and a nodeName; once the
// last gate is gone the node runs it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { parseQuantity } from '../../../src/apiserver/node/pod-spec.ts';
import { eventually } from '../../helpers/eventually.ts';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';

const refusedWith = (code: number, text: RegExp) => (error: unknown): boolean => {
  const e = error as { code?: number; body?: string };
  return e.code === code && text.test(String(e.body));
};

describe('local node: memory limits, waiting for a Secret, scheduling gates', () => {
  let api: TestApiServer;
  let core: CoreV1Api;
  const dir = mkdtempSync(join(tmpdir(), 'local-node-limits-'));
  const read = (name: string): Promise<V1Pod> => core.readNamespacedPod({ namespace: 'default', name });
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

  test('quantities', () => {
    assert.equal(parseQuantity('64Mi'), 64 * 2 ** 20);
    assert.equal(parseQuantity('1G'), 1e9);
    assert.equal(parseQuantity('5e6'), 5e6);
    assert.equal(parseQuantity(1024), 1024);
    assert.equal(parseQuantity('lots'), undefined);
  });

  test('a container over its memory limit ends OOMKilled with exit code 137; one under it is left alone', async () => {
    // Grows by 16 MiB every 20 ms and holds on to it.
    const hog = 'const a = []; setInterval(() => a.push(Buffer.alloc(16 << 20, 1)), 20);';
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'hog' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'agent', image: 'node', command: [process.execPath, '-e', hog], resources: { limits: { memory: '128Mi' } } }] },
      },
    });
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'modest' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'agent', image: 'node', command: ['sleep', '30'], resources: { limits: { memory: '128Mi' } } }] },
      },
    });
    const pod = await eventually('hog ended', async () => {
      const p = await read('hog');
      return p.status?.phase === 'Failed' ? p : undefined;
    }, 30_000, 100);
    const ended = pod.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(ended?.reason, 'OOMKilled');
    assert.equal(ended?.exitCode, 137);
    const modest = await read('modest');
    assert.notEqual(modest.status?.containerStatuses?.[0]?.state?.running, undefined, 'a container under its limit keeps running');
    await core.deleteNamespacedPod({ namespace: 'default', name: 'modest', gracePeriodSeconds: 0 });
  });

  test('a missing Secret keeps the pod ContainerCreating until it appears', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'needs-cert' },
        spec: {
          restartPolicy: 'Never',
          volumes: [{ name: 'cert', secret: { secretName: 'late-cert', defaultMode: 0o400 } }],
          containers: [{ name: 'agent', image: 'busybox', command: ['cat', '/var/run/cert/tls.crt'], volumeMounts: [{ name: 'cert', mountPath: '/var/run/cert', readOnly: true }] }],
        },
      },
    });
    const waiting = await eventually('waiting for the secret', async () => {
      const p = await read('needs-cert');
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.message?.includes('late-cert') === true ? w : undefined;
    }, 10_000, 50);
    assert.equal(waiting.reason, 'ContainerCreating');
    assert.equal((await read('needs-cert')).status?.phase, 'Pending');
    await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'late-cert' }, data: { 'tls.crt': Buffer.from('CERT').toString('base64') } } });
    const done = await eventually('ran after the secret appeared', async () => {
      const p = await read('needs-cert');
      return p.status?.phase === 'Succeeded' ? p : undefined;
    }, 15_000, 100);
    assert.equal(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.equal(await core.readNamespacedPodLog({ namespace: 'default', name: 'needs-cert' }), 'CERT');
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
