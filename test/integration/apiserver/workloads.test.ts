// The built-in kinds the operator's own manifests need, over HTTPS: ServiceAccounts, Services,
// Deployments and RBAC (roles, bindings; stored, not enforced). Discovery, create with server
// defaults, generation and the status subresource, strategic merge patches by the k8s.io/api
// merge keys, cluster IP / node port allocation and immutability, list/watch with selectors,
// tables, and the verbs Kubernetes refuses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../../../src/apiserver/index.ts';
import { raw, type RawResponse } from './support.ts';

type Obj = Record<string, unknown>;

const JSON_CT = { 'Content-Type': 'application/json' };
const MERGE = { 'Content-Type': 'application/merge-patch+json' };
const STRATEGIC = { 'Content-Type': 'application/strategic-merge-patch+json' };
const TABLE = { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };

const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const SERVICES = '/api/v1/namespaces/default/services';
const RBAC = '/apis/rbac.authorization.k8s.io/v1';

const at = (o: unknown, ...path: Array<string | number>): unknown => {
  let cur = o;
  for (const p of path) cur = (cur as Record<string | number, unknown> | undefined)?.[p];
  return cur;
};

function deployment(name: string, labels: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{
            name: 'app',
            image: 'registry.example.com/app:1.0',
            args: ['run'],
            env: [{ name: 'A', value: '1' }, { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
            ports: [{ name: 'http', containerPort: 8080 }],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
            readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
          }],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  };
}

function service(name: string, spec: Obj = {}): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec } };
}

function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

describe('embedded API server: workload, service and RBAC built-ins', () => {
  let srv: EmbeddedApiServer;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = JSON_CT): Promise<RawResponse> =>
    raw(srv, method, path, body === undefined ? { headers } : { headers, body: JSON.stringify(body) });
  async function okJson(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Obj> {
    const res = await call(method, path, body, headers);
    assert.ok(res.status >= 200 && res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
    return res.json();
  }
  async function fails(method: string, path: string, body: unknown, status: number, headers?: Record<string, string>): Promise<Obj> {
    const res = await call(method, path, body, headers);
    assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
    return res.json();
  }

  before(async () => {
    srv = await startEmbeddedApiServer({});
  });
  after(async () => {
    await srv.close();
  });

  test('discovery: names, short names, categories, scopes, verbs and status subresources as Kubernetes has them', async () => {
    const core = (await okJson('GET', '/api/v1')).resources as Obj[];
    const byName = (list: Obj[], name: string): Obj | undefined => list.find((r) => r.name === name);
    assert.deepEqual(byName(core, 'serviceaccounts'), {
      name: 'serviceaccounts', singularName: 'serviceaccount', namespaced: true, kind: 'ServiceAccount',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['sa'],
    });
    assert.deepEqual(byName(core, 'services'), {
      name: 'services', singularName: 'service', namespaced: true, kind: 'Service',
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['svc'], categories: ['all'],
    });
    assert.ok(byName(core, 'services/status'));
    const apps = (await okJson('GET', '/apis/apps/v1')).resources as Obj[];
    assert.deepEqual(apps.map((r) => r.name), ['deployments', 'deployments/status']);
    assert.deepEqual([byName(apps, 'deployments')?.shortNames, byName(apps, 'deployments')?.categories], [['deploy'], ['all']]);
    const rbac = (await okJson('GET', `${RBAC}`)).resources as Obj[];
    assert.deepEqual(rbac.map((r) => [r.name, r.kind, r.namespaced]).sort(), [
      ['clusterrolebindings', 'ClusterRoleBinding', false],
      ['clusterroles', 'ClusterRole', false],
      ['rolebindings', 'RoleBinding', true],
      ['roles', 'Role', true],
    ]);
    const groups = ((await okJson('GET', '/apis')).groups as Obj[]).map((g) => g.name);
    assert.ok(groups.indexOf('apps') < groups.indexOf('rbac.authorization.k8s.io'), groups.join(','));
  });

  test('a Deployment: server defaults, generation 1, empty status; spec changes bump the generation, metadata and status do not', async () => {
    const created = await okJson('POST', DEPLOYS, deployment('web', { tier: 'front' }));
    assert.equal(at(created, 'metadata', 'generation'), 1);
    assert.deepEqual(created.status, {});
    const spec = created.spec as Obj;
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.deepEqual([spec.revisionHistoryLimit, spec.progressDeadlineSeconds], [10, 600]);
    const pod = at(spec, 'template', 'spec') as Obj;
    assert.deepEqual([pod.restartPolicy, pod.dnsPolicy, pod.terminationGracePeriodSeconds, pod.schedulerName], ['Always', 'ClusterFirst', 30, 'default-scheduler']);
    const c = at(pod, 'containers', 0) as Obj;
    assert.deepEqual([c.imagePullPolicy, c.terminationMessagePath, c.terminationMessagePolicy], ['IfNotPresent', '/dev/termination-log', 'File']);
    assert.deepEqual(c.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual(c.readinessProbe, { httpGet: { path: '/readyz', port: 'http', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    assert.equal(at(c, 'env', 1, 'valueFrom', 'fieldRef', 'apiVersion'), 'v1');

    // Labels only: same generation.
    const relabelled = await okJson('PATCH', `${DEPLOYS}/web`, { metadata: { labels: { tier: 'edge' } } }, MERGE);
    assert.equal(at(relabelled, 'metadata', 'generation'), 1);
    // Status through /status: kept, no bump; a main-resource write cannot change it.
    const withStatus = await okJson('PATCH', `${DEPLOYS}/web/status`, { status: { replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1, observedGeneration: 1 } }, MERGE);
    assert.equal(at(withStatus, 'metadata', 'generation'), 1);
    const ignored = await okJson('PATCH', `${DEPLOYS}/web`, { status: { readyReplicas: 7 } }, MERGE);
    assert.equal(at(ignored, 'status', 'readyReplicas'), 1);
    assert.equal(at(ignored, 'metadata', 'resourceVersion'), at(withStatus, 'metadata', 'resourceVersion'), 'a no-op write stores nothing');
    // Spec: bump once.
    const scaled = await okJson('PATCH', `${DEPLOYS}/web`, { spec: { replicas: 3 } }, MERGE);
    assert.equal(at(scaled, 'metadata', 'generation'), 2);
    // A PUT that leaves the defaults out gets them again (no spurious spec change: no bump).
    const put = deployment('web', { tier: 'edge' });
    (put.spec as Obj).replicas = 3;
    const replaced = await okJson('PUT', `${DEPLOYS}/web`, put);
    assert.equal(at(replaced, 'metadata', 'generation'), 2);
    assert.equal(at(replaced, 'spec', 'revisionHistoryLimit'), 10);
    const dflt = deployment('default-replicas');
    const noReplicas = await okJson('POST', DEPLOYS, dflt);
    const back = await okJson('PUT', `${DEPLOYS}/default-replicas`, { ...noReplicas, spec: { ...(noReplicas.spec as Obj), replicas: undefined } });
    assert.equal(at(back, 'spec', 'replicas'), 1);
  });

  test('strategic merge patch of a Deployment: containers by name, env by name, ports by containerPort, mounts by mountPath, volumes by name, strategy retainKeys', async () => {
    await okJson('POST', DEPLOYS, deployment('smp'));
    const patched = await okJson('PATCH', `${DEPLOYS}/smp`, {
      spec: {
        template: {
          spec: {
            containers: [{
              name: 'app',
              image: 'registry.example.com/app:2.0',
              env: [{ name: 'B', value: '2' }, { name: 'A', value: '10' }],
              ports: [{ containerPort: 9090, name: 'metrics' }],
              volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
            }, { name: 'sidecar', image: 'side:1' }],
            volumes: [{ name: 'cache', emptyDir: { medium: 'Memory' } }],
          },
        },
      },
    }, STRATEGIC);
    const pod = at(patched, 'spec', 'template', 'spec') as Obj;
    const app = at(pod, 'containers', 0) as Obj;
    assert.deepEqual((pod.containers as Obj[]).map((c) => c.name), ['app', 'sidecar']);
    assert.equal(app.image, 'registry.example.com/app:2.0');
    assert.deepEqual(app.args, ['run'], 'fields the patch does not name stay');
    assert.deepEqual((app.env as Obj[]).map((e) => [e.name, e.value]), [['A', '10'], ['NS', undefined], ['B', '2']]);
    assert.deepEqual((app.ports as Obj[]).map((p) => p.containerPort), [8080, 9090]);
    assert.deepEqual((app.volumeMounts as Obj[]).map((m) => m.mountPath), ['/data', '/cache']);
    assert.deepEqual((pod.volumes as Obj[]).map((v) => v.name), ['data', 'cache']);
    assert.equal(at(pod, 'containers', 1, 'imagePullPolicy'), 'IfNotPresent', 'the new container got its defaults');
    assert.equal(at(patched, 'metadata', 'generation'), 2);

    const removed = await okJson('PATCH', `${DEPLOYS}/smp`, {
      spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }, { name: 'app', env: [{ name: 'B', $patch: 'delete' }] }] } } },
    }, STRATEGIC);
    assert.deepEqual((at(removed, 'spec', 'template', 'spec', 'containers') as Obj[]).map((c) => c.name), ['app']);
    assert.deepEqual((at(removed, 'spec', 'template', 'spec', 'containers', 0, 'env') as Obj[]).map((e) => e.name), ['A', 'NS']);

    const recreate = await okJson('PATCH', `${DEPLOYS}/smp`, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, STRATEGIC);
    assert.deepEqual(at(recreate, 'spec', 'strategy'), { type: 'Recreate' });
  });

  test('a Service: ClusterIP by default with an address from 10.96.0.0/12, kept across updates, unique, immutable', async () => {
    const a = await okJson('POST', SERVICES, service('alpha'));
    const spec = a.spec as Obj;
    assert.equal(spec.type, 'ClusterIP');
    assert.equal(spec.sessionAffinity, 'None');
    assert.deepEqual(spec.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    assert.deepEqual([spec.ipFamilies, spec.ipFamilyPolicy, spec.internalTrafficPolicy], [['IPv4'], 'SingleStack', 'Cluster']);
    const ip = spec.clusterIP as string;
    assert.deepEqual(spec.clusterIPs, [ip]);
    assert.ok(ipNumber(ip) > ipNumber('10.96.0.0') && ipNumber(ip) < ipNumber('10.111.255.255'), ip);
    assert.deepEqual(a.status, { loadBalancer: {} });
    assert.equal(at(a, 'metadata', 'generation'), undefined);

    const b = await okJson('POST', SERVICES, service('beta', { ports: [{ port: 8080 }] }));
    assert.notEqual(at(b, 'spec', 'clusterIP'), ip);
    assert.equal(at(b, 'spec', 'ports', 0, 'targetPort'), 8080, 'targetPort defaults to port');

    // A PUT without the address keeps it; changing it is refused.
    const kept = await okJson('PUT', `${SERVICES}/alpha`, service('alpha', { sessionAffinity: 'ClientIP' }));
    assert.equal(at(kept, 'spec', 'clusterIP'), ip);
    const changed = await fails('PATCH', `${SERVICES}/alpha`, { spec: { clusterIP: '10.96.0.77', clusterIPs: ['10.96.0.77'] } }, 422, MERGE);
    assert.equal(changed.reason, 'Invalid');
    assert.match(String(changed.message), /^Service "alpha" is invalid: spec\.clusterIPs\[0\]: Invalid value: \[\]string\{"10\.96\.0\.77"\}: may not change once set$/);
    // Requested addresses: in range and free, or 422.
    const taken = await fails('POST', SERVICES, service('gamma', { clusterIP: ip }), 422);
    assert.match(String(taken.message), /failed to allocate IP .*: provided IP is already allocated/);
    const outside = await fails('POST', SERVICES, service('gamma', { clusterIP: '192.168.0.1' }), 422);
    assert.match(String(outside.message), /is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/12/);
    const chosen = await okJson('POST', SERVICES, service('gamma', { clusterIP: '10.96.0.10' }));
    assert.deepEqual(at(chosen, 'spec', 'clusterIPs'), ['10.96.0.10']);
    const headless = await okJson('POST', SERVICES, service('headless', { clusterIP: 'None' }));
    assert.equal(at(headless, 'spec', 'clusterIP'), 'None');
    const external = await okJson('POST', SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
    assert.equal(at(external, 'spec', 'clusterIP'), undefined);
  });

  test('NodePort Services get node ports from 30000-32767, kept across updates; ports merge by port', async () => {
    const np = await okJson('POST', SERVICES, service('np', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'fixed', port: 81, nodePort: 30081 }] }));
    const [p0, p1] = at(np, 'spec', 'ports') as Obj[];
    assert.ok(typeof p0?.nodePort === 'number' && p0.nodePort >= 30000 && p0.nodePort <= 32767, JSON.stringify(p0));
    assert.equal(p1?.nodePort, 30081);
    assert.equal(at(np, 'spec', 'externalTrafficPolicy'), 'Cluster');
    const clash = await fails('POST', SERVICES, service('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30081 }] }), 422);
    assert.match(String(clash.message), /spec\.ports\[0\]\.nodePort: Invalid value: 30081: provided port is already allocated/);
    await fails('POST', SERVICES, service('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }), 422);

    const merged = await okJson('PATCH', `${SERVICES}/np`, { spec: { ports: [{ port: 80, name: 'web' }, { port: 82, name: 'extra' }] } }, STRATEGIC);
    const ports = at(merged, 'spec', 'ports') as Obj[];
    assert.deepEqual(ports.map((p) => [p.port, p.name]), [[80, 'web'], [81, 'fixed'], [82, 'extra']]);
    assert.equal(ports[0]?.nodePort, p0?.nodePort, 'the allocated node port stays with its port');
    assert.equal(typeof ports[2]?.nodePort, 'number');
  });

  test('Services cannot be deleted as a collection (405), other kinds can', async () => {
    const res = await fails('DELETE', SERVICES, undefined, 405);
    assert.equal(res.reason, 'MethodNotAllowed');
    const list = await okJson('GET', SERVICES);
    assert.ok((list.items as Obj[]).length > 0);
    await okJson('POST', '/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'doomed', labels: { doomed: 'yes' } } });
    await okJson('DELETE', '/api/v1/namespaces/default/serviceaccounts?labelSelector=doomed%3Dyes');
    await fails('GET', '/api/v1/namespaces/default/serviceaccounts/doomed', undefined, 404);
  });

  test('RBAC objects: cluster-scoped roles and bindings, namespaced ones; stored as given; roleRef is immutable', async () => {
    const rules = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }];
    const cr = await okJson('POST', `${RBAC}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'reader', namespace: 'ignored' }, rules });
    assert.equal(at(cr, 'metadata', 'namespace'), undefined);
    assert.deepEqual(cr.rules, rules);
    await fails('GET', `${RBAC}/namespaces/default/clusterroles/reader`, undefined, 404);
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'read' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'default' }, { kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
    };
    await okJson('POST', `${RBAC}/namespaces/default/rolebindings`, binding);
    await okJson('POST', `${RBAC}/namespaces/default/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'leases' }, rules });
    await okJson('POST', `${RBAC}/clusterrolebindings`, { ...binding, kind: 'ClusterRoleBinding' });
    // Subjects may change (lists are replaced: no merge key in k8s.io/api); roleRef may not.
    const edited = await okJson('PATCH', `${RBAC}/namespaces/default/rolebindings/read`, { subjects: [{ kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io' }] }, STRATEGIC);
    assert.deepEqual(edited.subjects, [{ kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io' }]);
    const refused = await fails('PATCH', `${RBAC}/namespaces/default/rolebindings/read`, { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'leases' } }, 422, MERGE);
    assert.match(String(refused.message), /^RoleBinding\.rbac\.authorization\.k8s\.io "read" is invalid: roleRef: Invalid value: .*: cannot change roleRef$/);
    await fails('PATCH', `${RBAC}/clusterrolebindings/read`, { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'other' } }, 422, MERGE);
  });

  test('tables: the kubectl columns of each kind', async () => {
    const cells = async (path: string): Promise<{ columns: string[]; rows: unknown[][] }> => {
      const table = await okJson('GET', path, undefined, TABLE);
      assert.equal(table.kind, 'Table');
      return {
        columns: (table.columnDefinitions as Obj[]).map((c) => `${String(c.name)}${c.priority ? '*' : ''}`),
        rows: (table.rows as Obj[]).map((r) => r.cells as unknown[]),
      };
    };
    const deploys = await cells(`${DEPLOYS}?fieldSelector=metadata.name%3Dweb`);
    assert.deepEqual(deploys.columns, ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
    assert.deepEqual(deploys.rows[0]?.slice(0, 4), ['web', '1/3', 1, 1]);
    assert.deepEqual(deploys.rows[0]?.slice(5), ['app', 'registry.example.com/app:1.0', 'app=web']);

    const svcs = await cells(`${SERVICES}?fieldSelector=metadata.name%3Dnp`);
    assert.deepEqual(svcs.columns, ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
    const np = svcs.rows[0] ?? [];
    assert.deepEqual([np[0], np[1], np[3], np[6]], ['np', 'NodePort', '<none>', 'app=np']);
    assert.match(String(np[2]), /^10\.\d+\.\d+\.\d+$/);
    assert.match(String(np[4]), /^80:3\d{4}\/TCP,81:30081\/TCP,82:3\d{4}\/TCP$/);
    const ext = await cells(`${SERVICES}?fieldSelector=metadata.name%3Dext`);
    assert.deepEqual(ext.rows[0]?.slice(1, 5), ['ExternalName', '<none>', 'example.com', '<none>']);

    const sas = await cells('/api/v1/namespaces/default/serviceaccounts');
    assert.deepEqual(sas.columns, ['Name', 'Secrets', 'Age']);
    const rbs = await cells(`${RBAC}/clusterrolebindings`);
    assert.deepEqual(rbs.columns, ['Name', 'Role', 'Age', 'Users*', 'Groups*', 'ServiceAccounts*']);
    assert.deepEqual([rbs.rows[0]?.[0], rbs.rows[0]?.[1], ...(rbs.rows[0]?.slice(3) ?? [])], ['read', 'ClusterRole/reader', 'alice', '', 'default/bot']);
    const roles = await cells(`${RBAC}/namespaces/default/roles`);
    assert.deepEqual(roles.columns, ['Name', 'Created At']);
    assert.match(String(roles.rows[0]?.[1]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('list and watch with label selectors across namespaces', async () => {
    await okJson('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } });
    const list = await okJson('GET', '/apis/apps/v1/deployments');
    const rv = String(at(list, 'metadata', 'resourceVersion'));
    await okJson('POST', '/apis/apps/v1/namespaces/team-b/deployments', deployment('api', { watched: 'yes' }));
    await okJson('PATCH', '/apis/apps/v1/namespaces/team-b/deployments/api', { spec: { replicas: 2 } }, MERGE);
    await okJson('POST', DEPLOYS, deployment('unwatched'));
    const res = await call('GET', `/apis/apps/v1/deployments?watch=true&labelSelector=watched%3Dyes&resourceVersion=${rv}&timeoutSeconds=1`);
    assert.equal(res.status, 200);
    const events = res.text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: Obj });
    assert.deepEqual(events.map((e) => [e.type, at(e.object, 'metadata', 'namespace'), at(e.object, 'metadata', 'name'), at(e.object, 'metadata', 'generation')]), [
      ['ADDED', 'team-b', 'api', 1],
      ['MODIFIED', 'team-b', 'api', 2],
    ]);
    const selected = await okJson('GET', '/apis/apps/v1/deployments?labelSelector=watched');
    assert.deepEqual((selected.items as Obj[]).map((d) => at(d, 'metadata', 'name')), ['api']);
    assert.equal(selected.kind, 'DeploymentList');
  });
});
