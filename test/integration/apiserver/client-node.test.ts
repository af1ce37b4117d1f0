// The embedded API server driven by the official @kubernetes/client-node 2.x over real HTTPS:
// informers, watch resume and 410 recovery, optimistic concurrency, status subresource,
// generation, paging, selectors, finalizers, every patch type, validation and auth errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiException,
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';
import { GADGET_CRD, WIDGET_CRD, eventually, raw } from './support.ts';

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

function statusOf(err: unknown): { code: number; reason: string; message: string; details?: Record<string, unknown> } {
  assert.ok(err instanceof ApiException, `expected ApiException, got ${String(err)}`);
  const body = typeof err.body === 'string' ? (JSON.parse(err.body) as Record<string, unknown>) : (err.body as Record<string, unknown>);
  assert.equal(body.kind, 'Status');
  return { code: err.code, reason: String(body.reason), message: String(body.message), details: body.details as Record<string, unknown> };
}

async function rejects(p: Promise<unknown>, code: number, reason: string): Promise<{ message: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    const s = statusOf(err);
    assert.equal(s.code, code, s.message);
    assert.equal(s.reason, reason, s.message);
    return s;
  }
  assert.fail(`expected ${code} ${reason}`);
}

const W = { group: 'example.com', version: 'v1', plural: 'widgets' };
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('embedded API server with client-node', () => {
  let srv: TestApiServer;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let crds: ApiextensionsV1Api;

  before(async () => {
    srv = await startTestApiServer({ watchHistory: 50 });
    core = srv.kubeConfig.makeApiClient(CoreV1Api);
    custom = srv.kubeConfig.makeApiClient(CustomObjectsApi);
    crds = srv.kubeConfig.makeApiClient(ApiextensionsV1Api);
    // Raw JSON, not the typed client: client-node's model maps JSONSchemaProps.enum to `_enum`
    // and would silently drop a plain `enum` from the schema.
    for (const crd of [WIDGET_CRD, GADGET_CRD]) {
      const res = await raw(srv.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(crd) });
      assert.equal(res.status, 201, res.text);
    }
  });
  after(async () => {
    await srv.close();
  });

  test('system namespaces exist; objects in a missing namespace are refused with 404', async () => {
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    assert.ok(names.includes('default') && names.includes('kube-system'));
    const s = await rejects(core.createNamespacedConfigMap({ namespace: 'nope', body: { metadata: { name: 'x' } } }), 404, 'NotFound');
    assert.equal(s.message, 'namespaces "nope" not found');
  });

  test('a CRD is established and served at once, with accepted names', async () => {
    const crd = await crds.readCustomResourceDefinition({ name: 'widgets.example.com' });
    const conds = Object.fromEntries((crd.status?.conditions ?? []).map((c) => [c.type, c.status]));
    assert.deepEqual(conds, { NamesAccepted: 'True', Established: 'True' });
    assert.equal(crd.status?.acceptedNames?.kind, 'Widget');
    assert.ok(crd.metadata?.finalizers?.includes('customresourcecleanup.apiextensions.k8s.io'));
    const created = (await custom.createNamespacedCustomObject({ ...W, namespace: 'default', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'served' }, spec: { size: 1 } } })) as Obj;
    assert.equal(created.spec?.color, 'red', 'schema default applied');
    assert.equal(created.metadata?.generation, 1);
    assert.ok(created.metadata?.uid && created.metadata.creationTimestamp && created.metadata.resourceVersion);
  });

  test('create: AlreadyExists, generateName', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dup' } } });
    const s = await rejects(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dup' } } }), 409, 'AlreadyExists');
    assert.equal(s.message, 'configmaps "dup" already exists');
    const gen = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'gen-' } } });
    assert.match(gen.metadata?.name ?? '', /^gen-[a-z0-9]{5}$/);
  });

  test('optimistic concurrency: stale update → 409 Conflict; CR PUT needs resourceVersion; PUT of a missing object does not create', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'occ' }, data: { a: '1' } } });
    const first = await core.replaceNamespacedConfigMap({ name: 'occ', namespace: 'default', body: { ...cm, data: { a: '2' } } });
    assert.notEqual(first.metadata?.resourceVersion, cm.metadata?.resourceVersion);
    const s = await rejects(core.replaceNamespacedConfigMap({ name: 'occ', namespace: 'default', body: { ...cm, data: { a: '3' } } }), 409, 'Conflict');
    assert.match(s.message, /^Operation cannot be fulfilled on configmaps "occ": the object has been modified/);
    await rejects(core.replaceNamespacedConfigMap({ name: 'missing', namespace: 'default', body: { metadata: { name: 'missing' } } }), 404, 'NotFound');

    const w = (await custom.createNamespacedCustomObject({ ...W, namespace: 'default', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'occ' }, spec: { size: 2 } } })) as Obj;
    const noVersion = { ...w, metadata: { name: 'occ', namespace: 'default' } };
    await rejects(custom.replaceNamespacedCustomObject({ ...W, namespace: 'default', name: 'occ', body: noVersion }), 422, 'Invalid');
    const stalePatch = { metadata: { resourceVersion: '1' }, spec: { size: 3 } };
    await rejects(custom.patchNamespacedCustomObject({ ...W, namespace: 'default', name: 'occ', body: stalePatch }, merge), 409, 'Conflict');
    await rejects(custom.replaceNamespacedCustomObject({ ...W, namespace: 'default', name: 'nope', body: { ...w, metadata: { name: 'nope', resourceVersion: '1' } } }), 404, 'NotFound');
  });

  test('status subresource: main writes keep status, /status writes keep the rest; generation follows spec only', async () => {
    const ns = 'default';
    const created = (await custom.createNamespacedCustomObject({ ...W, namespace: ns, body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'st' }, spec: { size: 2 }, status: { phase: 'Ignored' } } })) as Obj;
    assert.equal(created.status, undefined, 'status dropped on create');
    const withStatus = (await custom.patchNamespacedCustomObjectStatus({ ...W, namespace: ns, name: 'st', body: { spec: { size: 9 }, status: { phase: 'Ready' } } }, merge)) as Obj;
    assert.equal(withStatus.status?.phase, 'Ready');
    assert.equal(withStatus.spec?.size, 2, 'spec change through /status ignored');
    assert.equal(withStatus.metadata?.generation, 1, 'status write does not bump generation');
    const specChange = (await custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'st', body: { spec: { size: 5 }, status: { phase: 'Hacked' } } }, merge)) as Obj;
    assert.equal(specChange.status?.phase, 'Ready', 'status change through main endpoint ignored');
    assert.equal(specChange.metadata?.generation, 2);
    const labelOnly = (await custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'st', body: { metadata: { labels: { a: 'b' } } } }, merge)) as Obj;
    assert.equal(labelOnly.metadata?.generation, 2, 'metadata change does not bump generation');
    const noop = (await custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'st', body: { spec: { size: 5 } } }, merge)) as Obj;
    assert.equal(noop.metadata?.resourceVersion, labelOnly.metadata?.resourceVersion, 'no-op patch writes nothing');
  });

  test('without status subresource, status is stored through the main endpoint and bumps generation', async () => {
    const gadgets = { group: 'example.com', version: 'v1', plural: 'gadgets' };
    const g = (await custom.createClusterCustomObject({ ...gadgets, body: { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { a: 1 }, status: { s: 'x' } } })) as Obj;
    assert.deepEqual(g.status, { s: 'x' });
    const g2 = (await custom.patchClusterCustomObject({ ...gadgets, name: 'g1', body: { status: { s: 'y' } } }, merge)) as Obj;
    assert.equal(g2.metadata?.generation, 2);
    await rejects(custom.getNamespacedCustomObject({ ...gadgets, namespace: 'default', name: 'g1' }), 404, 'NotFound');
  });

  test('validation errors are 422 Invalid with field causes', async () => {
    const s = await rejects(
      custom.createNamespacedCustomObject({ ...W, namespace: 'default', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'bad' }, spec: { size: 11, color: 'pink', sku: 'nope' } } }),
      422,
      'Invalid',
    );
    assert.match(s.message, /^Widget\.example\.com "bad" is invalid: /);
    const fields = ((s.details?.causes ?? []) as Array<{ field: string; reason: string }>).map((c) => `${c.field}:${c.reason}`).sort();
    assert.ok(fields.includes('spec.size:FieldValueInvalid'), fields.join());
    assert.ok(fields.includes('spec.color:FieldValueNotSupported'), fields.join());
    assert.ok(fields.includes('spec.sku:FieldValueInvalid'), fields.join());
    await custom.createNamespacedCustomObject({ ...W, namespace: 'default', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'imm' }, spec: { size: 1, sku: 'ABC-1' } } });
    const imm = await rejects(custom.patchNamespacedCustomObject({ ...W, namespace: 'default', name: 'imm', body: { spec: { sku: 'ABC-2' } } }, merge), 422, 'Invalid');
    assert.match(imm.message, /sku is immutable/);
  });

  test('patch types: merge, JSON patch with test, server-side apply; strategic merge is 415 for custom resources', async () => {
    const ns = 'default';
    await custom.createNamespacedCustomObject({ ...W, namespace: ns, body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'pt' }, spec: { size: 1, tags: ['a'] } } });
    const jp = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
    const patched = (await custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'pt', body: [{ op: 'test', path: '/spec/size', value: 1 }, { op: 'replace', path: '/spec/size', value: 4 }] }, jp)) as Obj;
    assert.equal(patched.spec?.size, 4);
    await rejects(custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'pt', body: [{ op: 'test', path: '/spec/size', value: 1 }] }, jp), 422, 'Invalid');
    const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
    await rejects(custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'pt', body: { spec: { size: 2 } } }, smp), 415, 'UnsupportedMediaType');

    const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const body = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'ssa' }, spec: { size: 3, tags: ['x'] } };
    const applied = (await custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'ssa', body, fieldManager: 'alice' }, ssa)) as Obj;
    assert.equal(applied.spec?.size, 3, 'apply creates');
    await rejects(custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'ssa', body: { ...body, spec: { size: 5 } }, fieldManager: 'bob' }, ssa), 409, 'Conflict');
    const forced = (await custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'ssa', body: { ...body, spec: { size: 5 } }, fieldManager: 'bob', force: true }, ssa)) as Obj;
    assert.equal(forced.spec?.size, 5);
    const shrunk = (await custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'ssa', body: { ...body, spec: { size: 5 } }, fieldManager: 'alice' }, ssa)) as Obj;
    assert.equal(shrunk.spec?.tags, undefined, 'fields a manager stops applying are removed');
    await rejects(custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'ssa', body }, ssa), 400, 'BadRequest');
  });

  test('strategic merge patch works for built-in kinds', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'smp', labels: { a: '1' } }, data: { x: '1' } } });
    const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
    const cm = await core.patchNamespacedConfigMap({ namespace: 'default', name: 'smp', body: { metadata: { labels: { b: '2' } }, data: { y: '2' } } }, smp);
    assert.deepEqual(cm.metadata?.labels, { a: '1', b: '2' });
    assert.deepEqual(cm.data, { x: '1', y: '2' });
  });

  test('label and field selectors; limit/continue keeps the first page version', async () => {
    const ns = 'default';
    for (let i = 0; i < 7; i += 1) {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `page-${i}`, labels: { set: 'paging', parity: i % 2 === 0 ? 'even' : 'odd' } } } });
    }
    const even = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'set=paging,parity in (even)' });
    assert.deepEqual(even.items.map((c) => c.metadata?.name), ['page-0', 'page-2', 'page-4', 'page-6']);
    const notEven = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'set=paging,parity!=even' });
    assert.equal(notEven.items.length, 3);
    const byName = await core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'metadata.name=page-3' });
    assert.deepEqual(byName.items.map((c) => c.metadata?.name), ['page-3']);
    await rejects(core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'spec.bogus=1' }), 400, 'BadRequest');
    await rejects(core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'a in (' }), 400, 'BadRequest');

    const first = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'set=paging', limit: 3 });
    assert.equal(first.items.length, 3);
    assert.ok(first.metadata?._continue);
    // Changes after the first page must not show up in later pages (one consistent snapshot).
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'page-5' });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'page-7', labels: { set: 'paging' } } } });
    const names: Array<string | undefined> = first.items.map((c) => c.metadata?.name);
    let token: string | undefined = first.metadata?._continue;
    while (token) {
      const page = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'set=paging', limit: 3, _continue: token });
      assert.equal(page.metadata?.resourceVersion, first.metadata?.resourceVersion);
      names.push(...page.items.map((c) => c.metadata?.name));
      token = page.metadata?._continue;
    }
    assert.deepEqual(names, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    await rejects(core.listNamespacedConfigMap({ namespace: ns, _continue: 'garbage' }), 400, 'BadRequest');
  });

  test('finalizers: delete marks, object stays, removal of the last finalizer removes it; no new finalizers', async () => {
    const ns = 'default';
    await custom.createNamespacedCustomObject({ ...W, namespace: ns, body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'fin', finalizers: ['example.com/hold'] }, spec: { size: 1 } } });
    const deleting = (await custom.deleteNamespacedCustomObject({ ...W, namespace: ns, name: 'fin', propagationPolicy: 'Foreground' })) as Obj;
    assert.ok(deleting.metadata?.deletionTimestamp);
    assert.equal(deleting.metadata?.generation, 2, 'marking for deletion bumps generation');
    const still = (await custom.getNamespacedCustomObject({ ...W, namespace: ns, name: 'fin' })) as Obj;
    assert.ok(still.metadata?.deletionTimestamp);
    await rejects(custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'fin', body: { metadata: { finalizers: ['example.com/hold', 'example.com/new'] } } }, merge), 422, 'Invalid');
    await custom.patchNamespacedCustomObject({ ...W, namespace: ns, name: 'fin', body: { metadata: { finalizers: null } } }, merge);
    await rejects(custom.getNamespacedCustomObject({ ...W, namespace: ns, name: 'fin' }), 404, 'NotFound');
    await rejects(custom.deleteNamespacedCustomObject({ ...W, namespace: ns, name: 'fin' }), 404, 'NotFound');
  });

  test('deleting a namespace removes its content, then the namespace', async () => {
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'c' } } });
    await core.deleteNamespace({ name: 'doomed' });
    await eventually('namespace gone', async () => {
      try {
        await core.readNamespace({ name: 'doomed' });
        return undefined;
      } catch (err) {
        return statusOf(err).code === 404 ? true : undefined;
      }
    });
    await rejects(core.deleteNamespace({ name: 'default' }), 403, 'Forbidden');
  });

  test('leases: create-if-absent and update-with-version, the leader election primitives', async () => {
    const leases = srv.kubeConfig.makeApiClient(CoordinationV1Api);
    const body = { metadata: { name: 'leader' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: new Date(), renewTime: new Date(), leaseTransitions: 0 } };
    const l = await leases.createNamespacedLease({ namespace: 'default', body });
    await rejects(leases.createNamespacedLease({ namespace: 'default', body }), 409, 'AlreadyExists');
    const renewed = await leases.replaceNamespacedLease({ namespace: 'default', name: 'leader', body: { ...l, spec: { ...l.spec, renewTime: new Date() } } });
    assert.equal(renewed.spec?.holderIdentity, 'a');
    await rejects(leases.replaceNamespacedLease({ namespace: 'default', name: 'leader', body: { ...l, spec: { ...l.spec, holderIdentity: 'b' } } }), 409, 'Conflict');
  });

  test('events: core/v1 and events.k8s.io/v1 are the same objects', async () => {
    await core.createNamespacedEvent({ namespace: 'default', body: { metadata: { name: 'ev1' }, involvedObject: { kind: 'Widget', name: 'w' }, reason: 'Test', message: 'hello', type: 'Normal' } });
    const r = await srv.kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'events.k8s.io', version: 'v1', namespace: 'default', plural: 'events', name: 'ev1' }) as Record<string, unknown>;
    assert.equal(r.note, 'hello');
    assert.deepEqual(r.regarding, { kind: 'Widget', name: 'w' });
  });

  test('informer: list+watch sees adds, updates and deletes', async () => {
    const ns = 'default';
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const informer = makeInformer<V1ConfigMap>(srv.kubeConfig, path, () => core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'inf=1' }), 'inf=1');
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update:${o.metadata?.name}:${o.data?.v}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'inf-a', labels: { inf: '1' } } } });
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'inf-b', labels: { inf: '1' } } } });
      await core.patchNamespacedConfigMap({ namespace: ns, name: 'inf-b', body: { data: { v: '2' } } }, merge);
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'inf-a' });
      await eventually('informer events', () => (seen.includes('delete:inf-a') ? true : undefined));
      assert.deepEqual(seen, ['add:inf-a', 'add:inf-b', 'update:inf-b:2', 'delete:inf-a']);
      assert.deepEqual(informer.list(ns).map((c) => c.metadata?.name), ['inf-b']);
    } finally {
      await informer.stop();
    }
  });

  test('informer recovers from a compacted version: 410 Expired, relist, then watch', async () => {
    const ns = 'default';
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const informer = makeInformer<V1ConfigMap>(srv.kubeConfig, path, () => core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'rec=1' }), 'rec=1');
    const errors: unknown[] = [];
    // stop() aborts the running watch; only other errors would mean the informer gave up.
    informer.on('error', (e) => {
      if (!(e instanceof Error && e.name === 'AbortError')) errors.push(e);
    });
    await informer.start();
    await informer.stop();
    // Push the informer's version out of the 50-change history while it is not watching.
    for (let i = 0; i < 60; i += 1) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `churn-${i}` } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'rec-late', labels: { rec: '1' } } } });
    await informer.start();
    try {
      await eventually('relisted cache', () => (informer.list(ns).some((c) => c.metadata?.name === 'rec-late') ? true : undefined));
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'rec-after', labels: { rec: '1' } } } });
      await eventually('watch after relist', () => (informer.list(ns).some((c) => c.metadata?.name === 'rec-after') ? true : undefined));
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });

  test('a watch from a version older than the history gets 200 + one ERROR 410 Expired', async () => {
    const { Watch } = await import('@kubernetes/client-node');
    const events: Array<{ type: string; obj: Record<string, unknown> }> = [];
    let ended = false;
    await new Watch(srv.kubeConfig).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: '1' }, (type, obj: Record<string, unknown>) => events.push({ type, obj }), () => {
      ended = true;
    });
    await eventually('watch end', () => (ended ? true : undefined));
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'ERROR');
    assert.equal(events[0]?.obj.code, 410);
    assert.equal(events[0]?.obj.reason, 'Expired');
  });
});
