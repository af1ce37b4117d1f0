import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NAME_DESCRIPTION,
  buildTable,
  buildTableForBuiltin,
  evaluateJsonPath,
  humanDuration,
} from '../../../../src/apiserver/table/index.ts';

const now = new Date('2026-11-10T12:00:00Z');
const ago = (s: number): string => new Date(now.getTime() - s * 1000).toISOString();

describe('humanDuration (duration.HumanDuration)', () => {
  const cases: Array<[number, string]> = [
    [-5, '<invalid>'], [-1, '0s'], [0, '0s'], [45, '45s'], [119, '119s'], [120, '2m'], [330, '5m30s'],
    [600, '10m'], [179 * 60, '179m'], [3 * 3600, '3h'], [3 * 3600 + 60 * 7, '3h7m'], [8 * 3600, '8h'],
    [47 * 3600, '47h'], [48 * 3600, '2d'], [4 * 86400 + 2 * 3600, '4d2h'], [8 * 86400, '8d'],
    [729 * 86400, '729d'], [730 * 86400, '2y'], [740 * 86400, '2y10d'], [9 * 365 * 86400, '9y'],
  ];
  for (const [s, want] of cases) test(`${s}s -> ${want}`, () => assert.equal(humanDuration(s * 1000), want));
});

describe('JSONPath subset', () => {
  const obj = {
    spec: { x: { y: 5 }, list: ['a', 'b'], 'dotted.key': 1 },
    status: { conditions: [{ type: 'Synced', status: 'False' }, { type: 'Ready', status: 'True' }] },
  };
  const cases: Array<[string, unknown[]]> = [
    ['.spec.x.y', [5]],
    ['.spec.list[0]', ['a']],
    ['.spec.list[-1]', ['b']],
    ['.spec.list[*]', ['a', 'b']],
    [".spec['dotted.key']", [1]],
    ['.status.conditions[?(@.type=="Ready")].status', ['True']],
    ['.status.conditions[?(@.type!="Ready")].type', ['Synced']],
    ['.status.conditions[?(@.missing)].type', []],
    ['.spec.nope.deeper', []],
    ['{.spec.x.y}', [5]],
    ['..spec', []],
  ];
  for (const [path, want] of cases) test(path, () => assert.deepEqual(evaluateJsonPath(obj, path), want));
});

describe('buildTable for custom resources', () => {
  const objects = [
    {
      apiVersion: 'gt.example.com/v1', kind: 'Polecat',
      metadata: { name: 'p1', namespace: 'ns', labels: { a: 'b' }, creationTimestamp: ago(330) },
      spec: { rig: 'r1', replicas: 3, ratio: 0.5, on: true, tags: ['x'] },
      status: { phase: 'Working', since: ago(7200), conditions: [{ type: 'Ready', status: 'True' }] },
    },
    { apiVersion: 'gt.example.com/v1', kind: 'Polecat', metadata: { name: 'p2', creationTimestamp: ago(10) }, spec: {} },
  ];
  const columns = [
    { name: 'Rig', type: 'string', jsonPath: '.spec.rig' },
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', priority: 1 },
    { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio' },
    { name: 'On', type: 'boolean', jsonPath: '.spec.on' },
    { name: 'Tags', type: 'string', jsonPath: '.spec.tags', description: 'the tags' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Since', type: 'date', jsonPath: '.status.since' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];

  test('columns: Name first, then the CRD columns with the default description', () => {
    const t = buildTable(columns, objects, { now, resourceVersion: 'rv-7' });
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.metadata, { resourceVersion: 'rv-7' });
    assert.deepEqual(t.columnDefinitions[0], { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 });
    assert.deepEqual(t.columnDefinitions[2], {
      name: 'Replicas', type: 'integer', format: '', priority: 1,
      description: 'Custom resource definition column (in JSONPath format): .spec.replicas',
    });
    assert.equal(t.columnDefinitions[5]?.description, 'the tags');
  });

  test('cells: typed values, human dates, null for missing', () => {
    const t = buildTable(columns, objects, { now });
    assert.deepEqual(t.rows[0]?.cells, ['p1', 'r1', 3, 0.5, true, '["x"]', 'True', '120m', '5m30s']);
    assert.deepEqual(t.rows[1]?.cells, ['p2', null, null, null, null, null, null, null, '10s']);
  });

  test('rows carry PartialObjectMetadata by default, the object or nothing on request', () => {
    const meta = buildTable(columns, objects, { now }).rows[0]?.object;
    assert.deepEqual(meta, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: objects[0]!.metadata });
    assert.equal(buildTable(columns, objects, { now, includeObject: 'Object' }).rows[0]?.object, objects[0]);
    assert.equal('object' in (buildTable(columns, objects, { now, includeObject: 'None' }).rows[0] ?? {}), false);
  });

  test('no printer columns: Name and Age', () => {
    const t = buildTable(undefined, objects, { now, continue: 'c1' });
    assert.deepEqual(t.columnDefinitions.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
    assert.deepEqual(t.rows.map((r) => r.cells), [['p1', '5m30s'], ['p2', '10s']]);
    assert.equal(t.metadata.continue, 'c1');
  });

  test('bad date is <invalid>, type mismatch is null', () => {
    const t = buildTable([{ name: 'D', type: 'date', jsonPath: '.d' }, { name: 'I', type: 'integer', jsonPath: '.d' }], [{ metadata: { name: 'x' }, d: 'nope' }], { now });
    assert.deepEqual(t.rows[0]?.cells, ['x', '<invalid>', null]);
  });
});

describe('buildTableForBuiltin', () => {
  const names = (kind: string): string[] => buildTableForBuiltin(kind, [], { now }).columnDefinitions.map((c) => c.name);
  test('column sets', () => {
    assert.deepEqual(names('Namespace'), ['Name', 'Status', 'Age']);
    assert.deepEqual(names('ConfigMap'), ['Name', 'Data', 'Age']);
    assert.deepEqual(names('Lease'), ['Name', 'Holder', 'Age']);
    assert.deepEqual(names('Pod'), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node']);
    assert.deepEqual(names('CustomResourceDefinition'), ['Name', 'Created At']);
    assert.deepEqual(names('Event'), ['Last Seen', 'Type', 'Reason', 'Object', 'Message', 'Name']);
    assert.deepEqual(names('Whatever'), ['Name', 'Age']);
    assert.deepEqual(names('Deployment'), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
    assert.deepEqual(names('Service'), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    assert.deepEqual(names('ServiceAccount'), ['Name', 'Secrets', 'Age']);
    assert.deepEqual(names('Role'), ['Name', 'Created At']);
    assert.deepEqual(names('ClusterRole'), ['Name', 'Created At']);
    assert.deepEqual(names('RoleBinding'), ['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts']);
    assert.deepEqual(names('ClusterRoleBinding'), ['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts']);
    const wide = buildTableForBuiltin('Deployment', [], { now }).columnDefinitions.filter((c) => c.priority > 0).map((c) => c.name);
    assert.deepEqual(wide, ['Containers', 'Images', 'Selector']);
  });
  test('cells of the workload, service and RBAC kinds', () => {
    const cells = (kind: string, o: Record<string, unknown>): unknown[] | undefined => buildTableForBuiltin(kind, [o], { now }).rows[0]?.cells;
    const deploy = {
      metadata: { name: 'd', creationTimestamp: ago(90) },
      spec: {
        replicas: 3,
        selector: { matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }, { key: 'x', operator: 'DoesNotExist' }] },
        template: { spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'side', image: 'side:2' }] } },
      },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    assert.deepEqual(cells('Deployment', deploy), ['d', '2/3', 3, 2, '90s', 'app,side', 'app:1,side:2', '!x,a=1,b=2,tier in (api,web)']);
    assert.deepEqual(cells('Deployment', { metadata: { name: 'e' }, spec: { replicas: 1 } })?.slice(1, 4), ['0/1', 0, 0]);
    const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): unknown[] | undefined => cells('Service', { metadata: { name: 's', creationTimestamp: ago(10) }, spec, status });
    assert.deepEqual(svc({ type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { app: 's' } }), ['s', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP,53/UDP', '10s', 'app=s']);
    assert.deepEqual(svc({ type: 'NodePort', clusterIP: '10.96.0.11', externalIPs: ['1.2.3.4'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] })?.slice(1, 5), ['NodePort', '10.96.0.11', '1.2.3.4', '80:30080/TCP']);
    assert.deepEqual(svc({ type: 'LoadBalancer', clusterIP: '10.96.0.12', ports: [] })?.slice(3, 5), ['<pending>', '<none>']);
    assert.deepEqual(svc({ type: 'LoadBalancer', ports: [] }, { loadBalancer: { ingress: [{ ip: '5.6.7.8' }, { hostname: 'lb.example' }] } })?.slice(2, 4), ['<none>', '5.6.7.8,lb.example']);
    assert.deepEqual(svc({ type: 'ExternalName', externalName: 'db.example' })?.slice(1, 4), ['ExternalName', '<none>', 'db.example']);
    assert.deepEqual(cells('ServiceAccount', { metadata: { name: 'sa', creationTimestamp: ago(3) }, secrets: [{ name: 'tok' }] }), ['sa', 1, '3s']);
    const binding = {
      metadata: { name: 'b', creationTimestamp: ago(7) },
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'alice' }, { kind: 'User', name: 'bob' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'bot', namespace: 'ops' }],
    };
    assert.deepEqual(cells('ClusterRoleBinding', binding), ['b', 'ClusterRole/view', '7s', 'alice, bob', 'devs', 'ops/bot']);
    assert.deepEqual(cells('Role', { metadata: { name: 'r', creationTimestamp: '2026-11-01T10:00:00Z' } }), ['r', '2026-11-01T10:00:00Z']);
  });
  test('cells', () => {
    const cm = { metadata: { name: 'c', creationTimestamp: ago(60) }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } };
    assert.deepEqual(buildTableForBuiltin('ConfigMap', [cm], { now }).rows[0]?.cells, ['c', 3, '60s']);
    const pod = {
      metadata: { name: 'p', creationTimestamp: ago(5) },
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 2 }, { ready: false, restartCount: 1 }] },
    };
    assert.deepEqual(buildTableForBuiltin('Pod', [pod], { now }).rows[0]?.cells, ['p', '1/2', 'Running', '3', '5s', '<none>', '<none>']);
    const crd = { metadata: { name: 'x.y.z', creationTimestamp: '2026-11-01T10:00:00Z' } };
    assert.deepEqual(buildTableForBuiltin('CustomResourceDefinition', [crd], { now }).rows[0]?.cells, ['x.y.z', '2026-11-01T10:00:00Z']);
    const ev = { metadata: { name: 'e1' }, type: 'Normal', reason: 'Synced', message: 'ok', lastTimestamp: ago(30), involvedObject: { kind: 'Rig', name: 'r1' } };
    assert.deepEqual(buildTableForBuiltin('Event', [ev], { now }).rows[0]?.cells, ['30s', 'Normal', 'Synced', 'rig/r1', 'ok', 'e1']);
  });
});
