import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../../src/apiserver/errors.ts';
import { checkRoleRef, defaultDeployment, defaultPullPolicy, defaultService } from '../../../../src/apiserver/registry/defaults.ts';

type Obj = Record<string, unknown>;
const ctx = (old?: Obj, peers: Obj[] = []) => ({ old, peers: () => peers });

describe('server-side defaults', () => {
  test('imagePullPolicy: Always for :latest or no tag, IfNotPresent for tags and digests', () => {
    const cases: Array<[string, string]> = [
      ['nginx', 'Always'], ['nginx:latest', 'Always'], ['localhost:5000/app', 'Always'], ['localhost:5000/app:1.2', 'IfNotPresent'],
      ['app:1.0', 'IfNotPresent'], ['app@sha256:abc', 'IfNotPresent'], ['registry.example.com/team/app:latest', 'Always'],
    ];
    for (const [image, policy] of cases) assert.equal(defaultPullPolicy(image), policy, image);
  });

  test('Deployment: only missing fields are filled; Recreate gets no rollingUpdate; explicit values stay', () => {
    const d = defaultDeployment({
      spec: {
        replicas: 0,
        strategy: { type: 'Recreate' },
        revisionHistoryLimit: 2,
        template: { spec: { dnsPolicy: 'ClusterFirstWithHostNet', containers: [{ name: 'a', image: 'a', imagePullPolicy: 'Never', ports: [{ containerPort: 53, protocol: 'UDP' }] }], volumes: [{ name: 'c', configMap: { name: 'c' } }] } },
      },
    });
    const spec = d.spec as Obj;
    assert.deepEqual([spec.replicas, spec.strategy, spec.revisionHistoryLimit, spec.progressDeadlineSeconds], [0, { type: 'Recreate' }, 2, 600]);
    const pod = (spec.template as { spec: Obj }).spec;
    assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
    assert.deepEqual((pod.containers as Obj[])[0], {
      name: 'a', image: 'a', imagePullPolicy: 'Never', ports: [{ containerPort: 53, protocol: 'UDP' }],
      terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {},
    });
    assert.deepEqual(pod.volumes, [{ name: 'c', configMap: { name: 'c', defaultMode: 420 } }]);
    // Idempotent: defaulting twice changes nothing.
    assert.deepEqual(defaultDeployment(structuredClone(d)), d);
  });

  test('Service: a free cluster IP in 10.96.0.0/12 (dynamic band), kept on update, never a peer\'s', () => {
    const peers = [{ metadata: { namespace: 'x', name: 'y' }, spec: { clusterIP: '10.96.1.1' } }];
    for (let i = 0; i < 50; i++) {
      const s = defaultService({ metadata: { namespace: 'default', name: 's' }, spec: {} }, ctx(undefined, peers));
      const ip = (s.spec as { clusterIP: string }).clusterIP;
      const [a, b, c] = ip.split('.').map(Number);
      assert.ok(a === 10 && b! >= 96 && b! <= 111 && !(b === 96 && c === 0), ip);
      assert.notEqual(ip, '10.96.1.1');
    }
    const old = { metadata: { namespace: 'default', name: 's' }, spec: { clusterIP: '10.96.5.5', clusterIPs: ['10.96.5.5'] } };
    const kept = defaultService({ metadata: { namespace: 'default', name: 's' }, spec: { ports: [{ port: 80 }] } }, ctx(old, [old]));
    assert.deepEqual((kept.spec as Obj).clusterIPs, ['10.96.5.5'], 'its own address is not "in use" by itself');
    assert.throws(() => defaultService({ metadata: { name: 's' }, spec: { clusterIP: 'banana' } }, ctx()), (err: unknown) => err instanceof ApiError && err.code === 422 && /must be a valid IP address/.test(err.message));
  });

  test('bindings: roleRef may be set on create, not changed after', () => {
    const check = checkRoleRef('ClusterRoleBinding');
    const ref = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'a' };
    assert.doesNotThrow(() => check({ roleRef: ref }, ctx()));
    assert.doesNotThrow(() => check({ roleRef: { ...ref } }, ctx({ roleRef: ref })));
    assert.throws(() => check({ metadata: { name: 'b' }, roleRef: { ...ref, name: 'z' } }, ctx({ roleRef: ref })), /ClusterRoleBinding\.rbac\.authorization\.k8s\.io "b" is invalid: roleRef: Invalid value: .*: cannot change roleRef/);
  });
});
