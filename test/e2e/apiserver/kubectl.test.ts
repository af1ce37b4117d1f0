// End to end with the real kubectl (1.32): discovery, client-side and server-side apply of a
// CRD and its objects, printer columns, -o yaml, selectors, the status subresource, finalizers,
// `get -w`, and readable validation errors. kubectl must be installed: the test fails (never
// skips) without it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../../../src/apiserver/index.ts';
import { WIDGET_CRD, eventually } from '../../integration/apiserver/support.ts';

const KUBECTL = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p)) ?? 'kubectl';

describe('kubectl against the embedded API server', () => {
  let srv: EmbeddedApiServer;
  const dir = mkdtempSync(join(tmpdir(), 'apiserver-kubectl-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir };

  function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(KUBECTL, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') {
          reject(new Error(`cannot run ${KUBECTL}: ${err.message}`));
          return;
        }
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      });
    });
  }

  async function ok(...args: string[]): Promise<string> {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stderr}`);
    return r.stdout;
  }

  function file(name: string, doc: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, stringify(doc));
    return path;
  }

  const widget = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}): unknown => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name, labels },
    spec,
  });

  before(async () => {
    srv = await startEmbeddedApiServer({ kubeconfigPath: kubeconfig });
    const version = await kubectl('version', '--client');
    assert.equal(version.code, 0, `kubectl is required for this test (${KUBECTL}): ${version.stderr}`);
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('api-resources lists built-ins', async () => {
    const out = await ok('api-resources');
    for (const line of [/^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m, /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m, /^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false/m]) {
      assert.match(out, line);
    }
  });

  test('apply a CRD, then custom resources twice (idempotent); short names and categories', async () => {
    const crdFile = file('crd.yaml', WIDGET_CRD);
    assert.match(await ok('apply', '-f', crdFile), /customresourcedefinition.apiextensions.k8s.io\/widgets.example.com created/);
    await ok('wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=20s');
    assert.match(await ok('api-resources', '--api-group=example.com'), /^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget$/m);
    const ws = file('widgets.yaml', { apiVersion: 'v1', kind: 'List', items: [widget('w1', { size: 3, sku: 'ABC-1' }, { tier: 'gold' }), widget('w2', { size: 5, color: 'blue' }, { tier: 'silver' })] });
    assert.match(await ok('apply', '-f', ws), /widget.example.com\/w1 created/);
    const again = await ok('apply', '-f', ws);
    assert.match(again, /widget.example.com\/w1 unchanged/);
    assert.match(again, /widget.example.com\/w2 unchanged/);
    assert.match(await ok('get', 'toys'), /w1/);
    assert.match(await ok('get', 'wd', 'w2'), /w2/);
    assert.match(await ok('apply', '-f', crdFile), /unchanged/);
  });

  test('get shows printer columns; -o yaml shows defaults; label selectors filter', async () => {
    const table = await ok('get', 'widgets');
    assert.match(table, /^NAME\s+SIZE\s+COLOR\s+PHASE\s+AGE$/m);
    assert.match(table, /^w1\s+3\s+red\s+(<none>)?\s+\d+s$/m);
    const yaml = await ok('get', 'widget', 'w1', '-o', 'yaml');
    assert.match(yaml, /color: red/);
    assert.match(yaml, /generation: 1/);
    assert.match(yaml, /kubectl.kubernetes.io\/last-applied-configuration/);
    const gold = await ok('get', 'widgets', '-l', 'tier=gold', '-o', 'name');
    assert.equal(gold.trim(), 'widget.example.com/w1');
    const notGold = await ok('get', 'widgets', '-l', 'tier notin (gold)', '-o', 'name');
    assert.equal(notGold.trim(), 'widget.example.com/w2');
  });

  test('patch --subresource=status changes only the status', async () => {
    await ok('patch', 'widget', 'w1', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Ready"},"spec":{"size":9}}');
    assert.match(await ok('get', 'widget', 'w1'), /^w1\s+3\s+red\s+Ready\s+/m);
    assert.equal((await ok('get', 'widget', 'w1', '-o', 'jsonpath={.metadata.generation}')).trim(), '1');
  });

  test('client-side apply of built-ins (strategic merge) works repeatedly', async () => {
    const cm = file('cm.yaml', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', labels: { app: 'x' } }, data: { a: '1', b: '2' } });
    assert.match(await ok('apply', '-f', cm), /configmap\/settings created/);
    assert.match(await ok('apply', '-f', cm), /configmap\/settings unchanged/);
    file('cm.yaml', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', labels: { app: 'x' } }, data: { a: '1' } });
    assert.match(await ok('apply', '-f', cm), /configmap\/settings configured/);
    assert.equal((await ok('get', 'cm', 'settings', '-o', 'jsonpath={.data}')).trim(), '{"a":"1"}');
  });

  test('server-side apply creates and reports conflicts', async () => {
    const w3 = file('w3.yaml', widget('w3', { size: 2 }));
    assert.match(await ok('apply', '--server-side', '-f', w3), /serverside-applied/);
    file('w3b.yaml', widget('w3', { size: 4 }));
    const conflict = await kubectl('apply', '--server-side', '--field-manager=other', '-f', join(dir, 'w3b.yaml'));
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /conflict with "kubectl"/);
    await ok('apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', join(dir, 'w3b.yaml'));
    assert.equal((await ok('get', 'widget', 'w3', '-o', 'jsonpath={.spec.size}')).trim(), '4');
  });

  test('get -w sees changes', async () => {
    const child = spawn(KUBECTL, ['get', 'widgets', '-w', '--output-watch-events'], { env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await eventually('initial listing', () => (/w1/.test(out) ? true : undefined), 20_000);
      await ok('patch', 'widget', 'w2', '--type=merge', '-p', '{"spec":{"size":6}}');
      await eventually('MODIFIED event', () => (/MODIFIED\s+w2\s+6/.test(out) ? true : undefined), 20_000);
    } finally {
      child.kill();
    }
  });

  test('delete with a finalizer: the object stays until the finalizer is removed', async () => {
    await ok('patch', 'widget', 'w2', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}');
    await ok('delete', 'widget', 'w2', '--wait=false');
    assert.match(await ok('get', 'widget', 'w2', '-o', 'jsonpath={.metadata.deletionTimestamp}'), /^\d{4}-/);
    await ok('patch', 'widget', 'w2', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
    const gone = await kubectl('get', 'widget', 'w2');
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /widgets.example.com "w2" not found/);
  });

  test('an invalid custom resource is rejected with a readable message', async () => {
    const bad = file('bad.yaml', widget('bad', { size: 11, color: 'pink' }));
    const r = await kubectl('apply', '-f', bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Widget "bad" is invalid/);
    assert.match(r.stderr, /spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10/);
    assert.match(r.stderr, /spec.color: Unsupported value: "pink"/);
    const imm = await kubectl('patch', 'widget', 'w1', '--type=merge', '-p', '{"spec":{"sku":"XYZ-9"}}');
    assert.notEqual(imm.code, 0);
    assert.match(imm.stderr, /sku is immutable/);
    const unknown = await kubectl('apply', '-f', file('unknown.yaml', widget('u', { size: 1, extra: true })));
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown field "spec.extra"/);
  });

  test('Deployments, Services, ServiceAccounts and RBAC: apply, re-apply, edit, patch, set image, get, delete', async () => {
    const labels = { app: 'web' };
    const container = (env: Array<{ name: string; value: string }>): Record<string, unknown> => ({
      name: 'app', image: 'registry.example.com/web:1.0', env, ports: [{ name: 'http', containerPort: 8080 }],
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    });
    const manifests = (env: Array<{ name: string; value: string }>): unknown => ({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', labels } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
        {
          apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels },
          spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: 'web', containers: [container(env)], volumes: [{ name: 'tmp', emptyDir: {} }] } } },
        },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'web', labels }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'web', labels },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'web' }, subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'default' }],
        },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'web-reader', labels }, rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['list'] }] },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'web-reader', labels },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'web-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'default' }],
        },
      ],
    });
    const path = file('web.yaml', manifests([{ name: 'A', value: '1' }, { name: 'B', value: '2' }]));
    const created = await ok('apply', '-f', path);
    for (const what of ['serviceaccount/web', 'service/web', 'deployment.apps/web', 'role.rbac.authorization.k8s.io/web', 'rolebinding.rbac.authorization.k8s.io/web', 'clusterrole.rbac.authorization.k8s.io/web-reader', 'clusterrolebinding.rbac.authorization.k8s.io/web-reader']) {
      assert.match(created, new RegExp(`^${what.replaceAll('.', '\\.')} created$`, 'm'));
    }
    const again = await ok('apply', '-f', path);
    assert.equal(again.trim().split('\n').filter((l) => !l.endsWith(' unchanged')).length, 0, again);

    // Dropping an env var from the manifest removes exactly that one (merge by name); one spec change, one generation.
    file('web.yaml', manifests([{ name: 'A', value: '1' }]));
    assert.match(await ok('apply', '-f', path), /^deployment\.apps\/web configured$/m);
    assert.equal((await ok('get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].env[*].name} {.metadata.generation}')).trim(), 'A 2');
    // kubectl's own strategic merge patches: set image, patch a container by name.
    await ok('set', 'image', 'deployment/web', 'app=registry.example.com/web:2.0');
    await ok('patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"C","value":"3"}]}]}}}}');
    assert.equal(
      (await ok('get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[*].name} {.metadata.generation}')).trim(),
      'registry.example.com/web:2.0 A C 4',
    );
    await ok('patch', 'svc', 'web', '-p', '{"spec":{"ports":[{"port":443,"name":"https","targetPort":8443}]}}');

    assert.match(await ok('get', 'deploy', 'web'), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/1\s+0\s+0\s+\d+s\n$/);
    assert.match(await ok('get', 'deploy', 'web', '-o', 'wide'), /^web\s+0\/1\s+0\s+0\s+\d+s\s+app\s+registry\.example\.com\/web:2\.0\s+app=web$/m);
    assert.match(await ok('get', 'svc', 'web'), /^web\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP,443\/TCP\s+\d+s$/m);
    assert.match(await ok('get', 'sa', 'web'), /^web\s+0\s+\d+s$/m);
    assert.match(await ok('get', 'rolebinding', 'web', '-o', 'wide'), /^web\s+Role\/web\s+\d+s\s+default\/web$/m);
    assert.match(await ok('get', 'clusterrolebinding', 'web-reader'), /^web-reader\s+ClusterRole\/web-reader\s+\d+s$/m);
    const all = await ok('get', 'all', '-o', 'name');
    assert.match(all, /^service\/web$/m);
    assert.match(all, /^deployment\.apps\/web$/m);

    // Services refuse changes of their address; bindings of their role.
    const ipChange = await kubectl('patch', 'svc', 'web', '--type=merge', '-p', '{"spec":{"clusterIP":"10.96.0.99","clusterIPs":["10.96.0.99"]}}');
    assert.notEqual(ipChange.code, 0);
    assert.match(ipChange.stderr, /may not change once set/);
    const refChange = await kubectl('patch', 'rolebinding', 'web', '--type=merge', '-p', '{"roleRef":{"name":"other"}}');
    assert.notEqual(refChange.code, 0);
    assert.match(refChange.stderr, /cannot change roleRef/);

    assert.match(await ok('delete', '-f', path), /deployment\.apps "web" deleted/);
    assert.equal((await ok('get', 'deploy,svc,sa,role,rolebinding', '-l', 'app=web', '-o', 'name')).trim(), '');
  });

  test('deleting the CRD removes its objects and its resources', async () => {
    await ok('delete', 'crd', 'widgets.example.com');
    await eventually('resources gone from discovery', async () => ((await ok('api-resources', '--api-group=example.com')).includes('widgets') ? undefined : true), 20_000);
  });
});
