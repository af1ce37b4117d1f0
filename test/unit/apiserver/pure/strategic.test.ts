import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StrategicMergePatchError, applyStrategicMergePatch } from '../../../../src/apiserver/patch/strategic.ts';

const POD = { group: '', version: 'v1', kind: 'Pod' };
const CM = { group: '', version: 'v1', kind: 'ConfigMap' };

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x/one'], ownerReferences: [{ uid: 'u1', name: 'o1' }] },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] },
      { name: 'side', image: 'side:1' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'k1' }],
  },
});

describe('applyStrategicMergePatch', () => {
  test('maps merge recursively and null deletes', () => {
    const out = applyStrategicMergePatch(pod(), { metadata: { labels: { a: null, c: '3' } } }, POD);
    assert.deepEqual((out.metadata as Record<string, unknown>).labels, { b: '2', c: '3' });
  });

  test('containers merge by name, env by name, ports by containerPort', () => {
    const out = applyStrategicMergePatch(
      pod(),
      { spec: { containers: [{ name: 'app', image: 'app:2', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }], ports: [{ containerPort: 8080 }] }, { name: 'new', image: 'n:1' }] } },
      POD,
    );
    const spec = out.spec as { containers: Array<Record<string, unknown>> };
    assert.deepEqual(spec.containers.map((c) => c.name), ['app', 'side', 'new']);
    assert.equal(spec.containers[0]?.image, 'app:2');
    assert.deepEqual(spec.containers[0]?.env, [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
    assert.deepEqual(spec.containers[0]?.ports, [{ containerPort: 80 }, { containerPort: 8080 }]);
  });

  test('lists without a strategy are replaced', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { tolerations: [{ key: 'k2' }] } }, POD);
    assert.deepEqual((out.spec as Record<string, unknown>).tolerations, [{ key: 'k2' }]);
  });

  test('finalizers merge as a set; $deleteFromPrimitiveList removes', () => {
    const added = applyStrategicMergePatch(pod(), { metadata: { finalizers: ['x/one', 'x/two'] } }, POD);
    assert.deepEqual((added.metadata as Record<string, unknown>).finalizers, ['x/one', 'x/two']);
    const removed = applyStrategicMergePatch(added, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x/one'] } }, POD);
    assert.deepEqual((removed.metadata as Record<string, unknown>).finalizers, ['x/two']);
  });

  test('ownerReferences merge by uid', () => {
    const out = applyStrategicMergePatch(pod(), { metadata: { ownerReferences: [{ uid: 'u2', name: 'o2' }, { uid: 'u1', name: 'renamed' }] } }, POD);
    assert.deepEqual((out.metadata as Record<string, unknown>).ownerReferences, [{ uid: 'u1', name: 'renamed' }, { uid: 'u2', name: 'o2' }]);
  });

  test('$patch: delete removes a keyed list element; $patch: replace replaces a list or a map', () => {
    const del = applyStrategicMergePatch(pod(), { spec: { containers: [{ name: 'side', $patch: 'delete' }] } }, POD);
    assert.deepEqual((del.spec as { containers: Array<{ name: string }> }).containers.map((c) => c.name), ['app']);
    const rep = applyStrategicMergePatch(pod(), { spec: { containers: [{ name: 'only', image: 'o' }, { $patch: 'replace' }] } }, POD);
    assert.deepEqual((rep.spec as Record<string, unknown>).containers, [{ name: 'only', image: 'o' }]);
    const repMap = applyStrategicMergePatch(pod(), { metadata: { labels: { z: '9', $patch: 'replace' } } }, POD);
    assert.deepEqual((repMap.metadata as Record<string, unknown>).labels, { z: '9' });
    const delMap = applyStrategicMergePatch(pod(), { metadata: { labels: { $patch: 'delete' } } }, POD);
    assert.equal('labels' in (delMap.metadata as Record<string, unknown>), false);
  });

  test('$retainKeys drops keys not listed (volume source switch)', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }] } }, POD);
    assert.deepEqual((out.spec as Record<string, unknown>).volumes, [{ name: 'data', hostPath: { path: '/x' } }]);
  });

  test('$setElementOrder reorders and is not stored', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }] } }, POD);
    const spec = out.spec as Record<string, unknown>;
    assert.deepEqual((spec.containers as Array<{ name: string }>).map((c) => c.name), ['side', 'app']);
    assert.equal(Object.keys(spec).some((k) => k.startsWith('$')), false);
  });

  test('kubectl apply style patch on a ConfigMap: data merges, nothing leaks', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { x: '1' } }, data: { a: '1', b: '2' } };
    const out = applyStrategicMergePatch(cm, { metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }, data: { b: null, c: '3' } }, CM);
    assert.deepEqual(out, {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'c', annotations: { x: '1', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      data: { a: '1', c: '3' },
    });
  });

  test('new values taken from the patch are cleaned of directives', () => {
    const out = applyStrategicMergePatch({ metadata: { name: 'c' } }, { data: { x: { $patch: 'delete' }, y: '1' } }, CM);
    assert.deepEqual(out.data, { y: '1' });
  });

  test('the original is not mutated', () => {
    const p = pod();
    const before = structuredClone(p);
    applyStrategicMergePatch(p, { spec: { containers: [{ name: 'app', image: 'x' }] }, metadata: { labels: { a: null } } }, POD);
    assert.deepEqual(p, before);
  });

  const errors: Array<[string, Record<string, unknown>, string]> = [
    ['unknown $patch', { metadata: { labels: { $patch: 'explode' } } }, 'unknown patch type: explode in map: map[$patch:explode]'],
    ['missing merge key', { spec: { containers: [{ image: 'x' }] } }, 'map: map[image:x] does not contain declared merge key: name'],
    ['bad $retainKeys', { spec: { volumes: [{ name: 'data', $retainKeys: 'name' }] } }, 'invalid patch format of retainKeys'],
    ['bad $setElementOrder', { spec: { '$setElementOrder/containers': 'x' } }, 'invalid patch format of setElementOrder list'],
    ['bad $deleteFromPrimitiveList', { metadata: { '$deleteFromPrimitiveList/finalizers': 'x' } }, 'invalid patch format of primitive list'],
    ['list of lists', { spec: { tolerations: [[1]] } }, 'lists of lists are not supported'],
    ['delete the object', { $patch: 'delete' }, 'strategic merge patch format is not supported'],
  ];
  for (const [name, patch, message] of errors) {
    test(`error: ${name}`, () => {
      assert.throws(() => applyStrategicMergePatch(pod(), patch, POD), (err: unknown) => {
        assert.ok(err instanceof StrategicMergePatchError);
        assert.equal(err.message, message);
        assert.equal(err.code, 400);
        return true;
      });
    });
  }
});

describe('applyStrategicMergePatch: Deployment, Service, ServiceAccount, RBAC (k8s.io/api tags)', () => {
  const DEPLOY = { group: 'apps', version: 'v1', kind: 'Deployment' };
  const deploy = () => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: {
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'd' }, finalizers: ['a/b'] },
        spec: {
          containers: [{
            name: 'app',
            env: [{ name: 'A', value: '1' }],
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            volumeMounts: [{ name: 'v', mountPath: '/v' }],
          }],
          volumes: [{ name: 'v', emptyDir: {} }],
          tolerations: [{ key: 'k1' }],
        },
      },
    },
  });

  test('the pod template merges as a Pod: containers, env, ports, mounts, volumes by their keys; other lists are replaced', () => {
    const out = applyStrategicMergePatch(deploy(), {
      spec: {
        template: {
          metadata: { finalizers: ['c/d'] },
          spec: {
            containers: [{ name: 'app', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 81 }], volumeMounts: [{ name: 'w', mountPath: '/w' }] }],
            volumes: [{ name: 'w', hostPath: { path: '/w' } }],
            tolerations: [{ key: 'k2' }],
          },
        },
      },
    }, DEPLOY);
    const tpl = (out.spec as { template: { metadata: { finalizers: string[] }; spec: Record<string, unknown> } }).template;
    assert.deepEqual(tpl.metadata.finalizers, ['a/b', 'c/d']);
    const c = (tpl.spec.containers as Array<Record<string, unknown>>)[0]!;
    assert.deepEqual(c.env, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
    assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 81 }]);
    assert.deepEqual(c.volumeMounts, [{ name: 'v', mountPath: '/v' }, { name: 'w', mountPath: '/w' }]);
    assert.deepEqual(tpl.spec.volumes, [{ name: 'v', emptyDir: {} }, { name: 'w', hostPath: { path: '/w' } }]);
    assert.deepEqual(tpl.spec.tolerations, [{ key: 'k2' }]);
  });

  test('what kubectl apply sends: $setElementOrder and $retainKeys on the strategy', () => {
    const out = applyStrategicMergePatch(deploy(), {
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
        template: { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }], containers: [{ name: 'side', image: 's' }] } },
      },
    }, DEPLOY);
    const spec = out.spec as { strategy: unknown; template: { spec: { containers: Array<{ name: string }> } } };
    assert.deepEqual(spec.strategy, { type: 'Recreate' });
    assert.deepEqual(spec.template.spec.containers.map((c) => c.name), ['side', 'app']);
    assert.doesNotMatch(JSON.stringify(out), /\$/);
  });

  test('Service ports merge by port (deleting one by its key); ServiceAccount secrets by name; RBAC lists are replaced', () => {
    const svc = { spec: { ports: [{ port: 80, name: 'http', nodePort: 30080 }, { port: 443, name: 'https' }] } };
    const out = applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, name: 'web' }, { port: 443, $patch: 'delete' }, { port: 8080 }] } }, { group: '', version: 'v1', kind: 'Service' });
    assert.deepEqual((out.spec as { ports: unknown }).ports, [{ port: 80, name: 'web', nodePort: 30080 }, { port: 8080 }]);
    const sa = applyStrategicMergePatch({ secrets: [{ name: 'a' }] }, { secrets: [{ name: 'b' }] }, { group: '', version: 'v1', kind: 'ServiceAccount' });
    assert.deepEqual(sa.secrets, [{ name: 'a' }, { name: 'b' }]);
    for (const kind of ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']) {
      const rb = applyStrategicMergePatch({ subjects: [{ name: 'a' }], rules: [{ verbs: ['get'] }] }, { subjects: [{ name: 'b' }], rules: [{ verbs: ['list'] }] }, { group: 'rbac.authorization.k8s.io', version: 'v1', kind });
      assert.deepEqual([rb.subjects, rb.rules], [[{ name: 'b' }], [{ verbs: ['list'] }]], kind);
    }
  });
});
