import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { findCondition, formatTime, isValidReason, setCondition } from '../../../src/runtime/conditions.ts';
import { failureFrom, mergePatchBetween, withLastFailure, type LastFailure } from '../../../src/runtime/status.ts';
import { addFinalizerOps, finalizerAction, removeFinalizerOps } from '../../../src/runtime/finalizers.ts';
import { resolveKubeConfig } from '../../../src/runtime/kubeconfig.ts';
import { labelIndex, Store } from '../../../src/runtime/store.ts';
import { formatMicroTime } from '../../../src/runtime/leader.ts';
import { isStatusOnlyUpdate, ownerKeys } from '../../../src/runtime/controller.ts';
import { crdServes, isBuiltinKind } from '../../../src/runtime/crd-watch.ts';
import { collectionPath, KubeApiError, objectKey, objectPath, refFromKey, type KubeObject, type ResourceKind } from '../../../src/runtime/k8s.ts';

const widget: ResourceKind = { group: 'test.gastown.io', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

describe('conditions', () => {
  test('lastTransitionTime moves only when status flips', () => {
    const c1 = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Waiting', message: 'a', observedGeneration: 1 }, T0);
    const c2 = setCondition(c1, { type: 'Ready', status: 'False', reason: 'StillWaiting', message: 'b', observedGeneration: 2 }, T0 + 60_000);
    assert.equal(findCondition(c2, 'Ready')?.lastTransitionTime, '2026-11-23T10:00:00Z');
    assert.equal(findCondition(c2, 'Ready')?.reason, 'StillWaiting');
    assert.equal(findCondition(c2, 'Ready')?.observedGeneration, 2);
    const c3 = setCondition(c2, { type: 'Ready', status: 'True', reason: 'Ok', message: '' }, T0 + 120_000);
    assert.equal(findCondition(c3, 'Ready')?.lastTransitionTime, '2026-11-23T10:02:00Z');
    assert.equal(c1.length, 1, 'input not mutated');
  });

  test('other conditions keep their order and values', () => {
    let cs = setCondition([], { type: 'Ready', status: 'True', reason: 'Ok', message: '' }, T0);
    cs = setCondition(cs, { type: 'Synced', status: 'True', reason: 'Ok', message: '' }, T0);
    cs = setCondition(cs, { type: 'Ready', status: 'False', reason: 'Broken', message: 'x' }, T0 + 1000);
    assert.deepEqual(cs.map((c) => c.type), ['Ready', 'Synced']);
    assert.equal(cs[1]!.lastTransitionTime, formatTime(T0));
  });

  test('reasons must be CamelCase', () => {
    assert.ok(isValidReason('GtUnavailable'));
    assert.ok(!isValidReason('gt unavailable'));
    assert.ok(!isValidReason(''));
    assert.throws(() => setCondition([], { type: 'Ready', status: 'True', reason: 'not ok', message: '' }, T0), RangeError);
  });
});

describe('status diff and lastFailure', () => {
  test('merge patch between statuses: changed fields, removals as null, arrays whole', () => {
    assert.equal(mergePatchBetween({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }), undefined);
    assert.deepEqual(mergePatchBetween({ a: 1, b: { c: 1, d: 2 }, e: [1] }, { a: 2, b: { c: 1 }, e: [1, 2] }), {
      a: 2,
      b: { d: null },
      e: [1, 2],
    });
    assert.equal(mergePatchBetween({ a: 1, u: undefined }, { a: 1 }), undefined, 'undefined is absent');
  });

  test('failureFrom gives a CamelCase reason from the error', () => {
    const f = failureFrom(new KubeApiError(503, 'ServiceUnavailable', 'down'), T0, 3);
    assert.deepEqual(f, { time: '2026-11-23T10:00:00Z', reason: 'ServiceUnavailable', message: 'down', retryCount: 3 });
    assert.equal(failureFrom({ kind: 'cli-error', message: 'x' }, T0, 1).reason, 'CliError');
    assert.equal(failureFrom(new TypeError('boom'), T0, 0).reason, 'TypeError');
    assert.equal(failureFrom('weird', T0, 0).reason, 'Error');
    const withF = withLastFailure<{ phase: string; lastFailure?: LastFailure }>({ phase: 'Ready' }, f);
    assert.deepEqual(withLastFailure(withF, undefined), { phase: 'Ready' });
  });
});

describe('finalizers', () => {
  const obj = (finalizers?: string[], deleting = false): KubeObject => ({
    metadata: { name: 'w', namespace: 'ns', resourceVersion: 'rv-7', finalizers, ...(deleting ? { deletionTimestamp: '2026-11-23T10:00:00Z' } : {}) },
  });
  const F = 'gastown.gastown.io/cleanup';

  test('the has-finalizer x deleting table', () => {
    assert.equal(finalizerAction(obj(), F), 'add');
    assert.equal(finalizerAction(obj(['other']), F), 'add');
    assert.equal(finalizerAction(obj([F]), F), 'apply');
    assert.equal(finalizerAction(obj([F], true), F), 'cleanup');
    assert.equal(finalizerAction(obj(['other'], true), F), 'none');
    assert.equal(finalizerAction(obj(undefined, true), F), 'none');
  });

  test('patches test what they were computed from', () => {
    assert.deepEqual(addFinalizerOps(obj(), F), [
      { op: 'test', path: '/metadata/resourceVersion', value: 'rv-7' },
      { op: 'add', path: '/metadata/finalizers', value: [F] },
    ]);
    assert.deepEqual(addFinalizerOps(obj(['other']), F), [
      { op: 'test', path: '/metadata/finalizers', value: ['other'] },
      { op: 'add', path: '/metadata/finalizers/-', value: F },
    ]);
    assert.deepEqual(removeFinalizerOps(obj(['a', F]), F), [
      { op: 'test', path: '/metadata/finalizers/1', value: F },
      { op: 'remove', path: '/metadata/finalizers/1' },
    ]);
    assert.deepEqual(removeFinalizerOps(obj(['a']), F), []);
  });
});

describe('paths, keys and the store', () => {
  test('paths for namespaced, cluster-scoped and core kinds', () => {
    assert.equal(collectionPath(widget), '/apis/test.gastown.io/v1/widgets');
    assert.equal(collectionPath(widget, 'ns'), '/apis/test.gastown.io/v1/namespaces/ns/widgets');
    assert.equal(objectPath(widget, { namespace: 'ns', name: 'a' }, 'status'), '/apis/test.gastown.io/v1/namespaces/ns/widgets/a/status');
    assert.equal(collectionPath({ ...widget, group: '', plural: 'events' }, 'x'), '/api/v1/namespaces/x/events');
    assert.equal(collectionPath({ ...widget, namespaced: false }, 'ignored'), '/apis/test.gastown.io/v1/widgets');
    assert.deepEqual(refFromKey('ns/a'), { namespace: 'ns', name: 'a' });
    assert.deepEqual(refFromKey('a'), { name: 'a' });
    assert.equal(objectKey({ metadata: { name: 'a' } }), 'a');
  });

  test('store indexes by namespace and by index function, and unindexes on change', () => {
    const store = new Store<KubeObject>({ byRig: labelIndex('rig') });
    store.upsert({ metadata: { name: 'a', namespace: 'x', labels: { rig: 'r1' } } });
    store.upsert({ metadata: { name: 'b', namespace: 'y', labels: { rig: 'r1' } } });
    store.upsert({ metadata: { name: 'c' } });
    assert.deepEqual(store.byIndex('byRig', 'r1').map(objectKey).sort(), ['x/a', 'y/b']);
    assert.deepEqual(store.listByNamespace('x').map(objectKey), ['x/a']);
    assert.deepEqual(store.listByNamespace('').map(objectKey), ['c']);
    store.upsert({ metadata: { name: 'a', namespace: 'x', labels: { rig: 'r2' } } });
    assert.deepEqual(store.byIndex('byRig', 'r1').map(objectKey), ['y/b']);
    store.remove('y/b');
    assert.deepEqual(store.byIndex('byRig', 'r1'), []);
    assert.equal(store.size, 2);
    assert.throws(() => store.byIndex('nope', 'x'), RangeError);
  });
});

describe('small helpers', () => {
  test('micro time has six fractional digits', () => {
    assert.equal(formatMicroTime(T0 + 123), '2026-11-23T10:00:00.123000Z');
  });

  test('status-only updates are recognised; resyncs and spec/metadata changes are not', () => {
    type W = KubeObject & { spec?: unknown; status?: unknown };
    const a: W = { metadata: { name: 'a', resourceVersion: '1', generation: 1 }, spec: { x: 1 }, status: { p: 1 } };
    const statusOnly: W = { ...a, metadata: { ...a.metadata, resourceVersion: '2' }, status: { p: 2 } };
    const specChange: W = { ...a, metadata: { ...a.metadata, generation: 2 }, spec: { x: 2 } };
    assert.ok(isStatusOnlyUpdate(a, statusOnly));
    assert.ok(!isStatusOnlyUpdate(a, a), 'resync');
    assert.ok(!isStatusOnlyUpdate(a, specChange));
    assert.ok(!isStatusOnlyUpdate(a, { ...a, metadata: { ...a.metadata, deletionTimestamp: 'now' } }));
    assert.ok(!isStatusOnlyUpdate(a, { ...a, metadata: { ...a.metadata, labels: { l: 'v' } } }));
  });

  test('owner keys follow the controller reference of the owner kind', () => {
    const child: KubeObject = {
      metadata: {
        name: 'c',
        namespace: 'ns',
        ownerReferences: [
          { apiVersion: 'test.gastown.io/v1', kind: 'Widget', name: 'w', uid: 'u', controller: true },
          { apiVersion: 'other/v1', kind: 'Widget', name: 'x', uid: 'v', controller: true },
        ],
      },
    };
    assert.deepEqual(ownerKeys(widget, child), ['ns/w']);
    assert.deepEqual(ownerKeys({ ...widget, namespaced: false }, child), ['w']);
    assert.deepEqual(ownerKeys(widget, { metadata: { name: 'lonely' } }), []);
  });

  test('a CRD serves a kind when Established, served and not deleting', () => {
    const crd = {
      metadata: { name: 'widgets.test.gastown.io' },
      spec: { versions: [{ name: 'v1', served: true }] },
      status: { conditions: [{ type: 'Established', status: 'True' }] },
    };
    assert.ok(crdServes(crd, widget));
    assert.ok(!crdServes(undefined, widget));
    assert.ok(!crdServes({ ...crd, status: { conditions: [{ type: 'Established', status: 'False' }] } }, widget));
    assert.ok(!crdServes({ ...crd, spec: { versions: [{ name: 'v1', served: false }] } }, widget));
    assert.ok(!crdServes(crd, { ...widget, version: 'v2' }));
    assert.ok(!crdServes({ ...crd, metadata: { ...crd.metadata, deletionTimestamp: 'x' } }, widget));
    assert.ok(isBuiltinKind({ ...widget, group: 'coordination.k8s.io' }));
    assert.ok(isBuiltinKind({ ...widget, group: 'apps' }));
    assert.ok(!isBuiltinKind(widget));
  });
});

describe('kubeconfig resolution', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = (server: string): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    });
  const explicit = join(dir, 'explicit.yaml');
  const fromEnv = join(dir, 'env.yaml');
  const home = join(dir, 'home');
  const sa = join(dir, 'sa');
  writeFileSync(explicit, config('https://explicit:6443'));
  writeFileSync(fromEnv, config('https://env:6443'));
  mkdirSync(join(home, '.kube'), { recursive: true });
  writeFileSync(join(home, '.kube', 'config'), config('https://home:6443'));
  mkdirSync(sa);
  writeFileSync(join(sa, 'token'), 'sa-token');
  const clusterEnv = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };

  const server = (r: ReturnType<typeof resolveKubeConfig>): string | undefined =>
    r.kind === 'none' ? undefined : r.kubeConfig.getCurrentCluster()?.server;

  test('precedence: --kubeconfig, KUBECONFIG, in-cluster, ~/.kube/config, none', () => {
    const all = { homeDir: home, serviceAccountDir: sa };
    assert.equal(server(resolveKubeConfig({ ...all, explicitPath: explicit, env: { KUBECONFIG: fromEnv, ...clusterEnv } })), 'https://explicit:6443');
    assert.equal(server(resolveKubeConfig({ ...all, env: { KUBECONFIG: `${join(dir, 'missing')}:${fromEnv}`, ...clusterEnv } })), 'https://env:6443');
    const inCluster = resolveKubeConfig({ ...all, env: clusterEnv });
    assert.equal(inCluster.kind, 'in-cluster');
    assert.equal(server(inCluster), 'https://10.0.0.1:443');
    assert.equal(resolveKubeConfig({ ...all, env: {} }).kind, 'home');
    assert.deepEqual(resolveKubeConfig({ homeDir: join(dir, 'nohome'), serviceAccountDir: join(dir, 'nosa'), env: clusterEnv }), { kind: 'none' });
  });

  test('an explicit path that does not exist is an error, not a fallback', () => {
    assert.throws(() => resolveKubeConfig({ explicitPath: join(dir, 'nope'), homeDir: home, env: {} }), /does not exist/);
  });
});
