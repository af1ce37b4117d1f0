// deploy/ with the real kubectl (1.32; the test fails without it, it never skips):
// `kubectl kustomize` renders the base and the example overlay, the rendered objects are what
// the issue asks for (kinds, names, RBAC, security context, probes, town mount), and every
// rendered object applies cleanly (twice: the second apply changes nothing) to the embedded API
// server, which serves all the kinds the manifests use (Namespace, CRDs, ServiceAccount,
// Service, Deployment, RBAC; the Prometheus Operator's kinds through stand-in CRDs). The served
// objects are then read back with `kubectl get`, as an operator of the cluster would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';
import {
  DEPLOY, KUBECTL, assertContains, assertMinimalRbac, assertOperatorDeployment, find, idOf, kustomize, parseObjects, podSpecOf, run, type K8sObject,
} from './manifests.ts';

/**
 * Stand-ins for the Prometheus Operator's CRDs (which a real cluster gets from the Prometheus
 * Operator): just enough for the API server to serve the kinds, every field preserved.
 */
function standInCrd(plural: string, kind: string): K8sObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.monitoring.coreos.com` },
    spec: {
      group: 'monitoring.coreos.com',
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

const typeOf = (o: K8sObject): string => `${o.apiVersion}/${o.kind}`;

describe('kustomize deploy/', () => {
  let api: TestApiServer;
  const dir = mkdtempSync(join(tmpdir(), 'deploy-kustomize-'));
  const env = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), KUBECACHEDIR: join(dir, 'cache'), HOME: dir };
  const kubectl = (args: readonly string[], input?: string) => run(KUBECTL, args, input === undefined ? { env } : { env, input });
  async function ok(args: readonly string[], input?: string): Promise<string> {
    const r = await kubectl(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stderr}`);
    return r.stdout;
  }
  const yamlOf = (objects: readonly K8sObject[]): string => objects.map((o) => stringify(o)).join('---\n');

  /** apiVersion/kind of every resource the server serves (kubectl discovery). */
  async function servedTypes(): Promise<Set<string>> {
    const out = await ok(['api-resources', '--no-headers']);
    const types = new Set<string>();
    for (const line of out.split('\n').filter((l) => l.trim() !== '')) {
      const cols = line.trim().split(/\s+/);
      types.add(`${cols.at(-3)}/${cols.at(-1)}`);
    }
    return types;
  }

  /** Fails unless the server serves every rendered kind (kubectl discovery). */
  async function assertAllServed(objects: readonly K8sObject[], label: string): Promise<void> {
    const served = await servedTypes();
    const missing = [...new Set(objects.map(typeOf).filter((t) => !served.has(t)))];
    assert.deepEqual(missing, [], `${label}: kinds the embedded API server does not serve`);
  }

  /** Applies every object twice; returns the first apply's output (the second must be all `unchanged`). */
  async function applyTwice(objects: readonly K8sObject[], label: string): Promise<string> {
    await assertAllServed(objects, label);
    const first = await ok(['apply', '-f', '-'], yamlOf(objects));
    assert.equal(first.trim().split('\n').length, objects.length, `${label}: one line per object\n${first}`);
    const second = await ok(['apply', '-f', '-'], yamlOf(objects));
    const lines = second.trim().split('\n');
    assert.equal(lines.length, objects.length, `${label}: one line per object\n${second}`);
    for (const line of lines) assert.match(line, / unchanged$/, `${label}: re-apply changes nothing\n${second}`);
    return first;
  }

  /** `kubectl get <what> -o jsonpath=<path>`. */
  const jsonpath = (what: readonly string[], path: string): Promise<string> => ok(['get', ...what, '-o', `jsonpath=${path}`]);

  before(async () => {
    const version = await run(KUBECTL, ['version', '--client']);
    assert.equal(version.code, 0, `kubectl is required for this test (${KUBECTL}): ${version.stderr}`);
    api = await startTestApiServer({ kubeconfigPath: env.KUBECONFIG });
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the base renders the operator: kinds, names, RBAC, Deployment', async () => {
    const objects = parseObjects(await kustomize(join(DEPLOY, 'base')), 'deploy/base');
    assert.deepEqual(objects.map(idOf).sort(), [
      'ClusterRole//gastown-operator',
      'ClusterRoleBinding//gastown-operator',
      'CustomResourceDefinition//convoys.gastown.gastown.io',
      'CustomResourceDefinition//polecats.gastown.gastown.io',
      'CustomResourceDefinition//rigs.gastown.gastown.io',
      'Deployment/gastown-system/gastown-operator',
      'Namespace//gastown-system',
      'Role/gastown-system/gastown-operator-leader-election',
      'RoleBinding/gastown-system/gastown-operator-leader-election',
      'Service/gastown-system/gastown-operator-metrics',
      'ServiceAccount/gastown-system/gastown-operator',
    ]);
    assertOperatorDeployment(find(objects, 'Deployment'), 'deploy/base');
    assertMinimalRbac(objects, 'deploy/base');
    const deployment = find(objects, 'Deployment');
    const pod = (deployment.spec as { template: { spec: { securityContext: { runAsUser: number }; serviceAccountName: string } } }).template.spec;
    assert.equal(pod.securityContext.runAsUser, 65532);
    assert.equal(pod.serviceAccountName, 'gastown-operator');
    const clusterRole = find(objects, 'ClusterRole');
    assert.deepEqual(clusterRole.rules, [
      { apiGroups: ['gastown.gastown.io'], resources: ['rigs', 'polecats', 'convoys'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
      { apiGroups: ['gastown.gastown.io'], resources: ['rigs/status', 'polecats/status', 'convoys/status'], verbs: ['get', 'update', 'patch'] },
      { apiGroups: ['gastown.gastown.io'], resources: ['rigs/finalizers', 'polecats/finalizers', 'convoys/finalizers'], verbs: ['update'] },
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
    ]);
    assert.deepEqual(find(objects, 'Role').rules, [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
    for (const binding of ['ClusterRoleBinding', 'RoleBinding']) {
      assert.deepEqual(find(objects, binding).subjects, [{ kind: 'ServiceAccount', name: 'gastown-operator', namespace: 'gastown-system' }]);
    }
    // The metrics Service selects the operator's pods and targets the named port.
    const svc = find(objects, 'Service').spec as { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
    const podLabels = ((deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels);
    for (const [k, v] of Object.entries(svc.selector)) assert.equal(podLabels[k], v, `Service selector ${k}`);
    assert.deepEqual(svc.ports.map((p) => [p.name, p.targetPort]), [['metrics', 'metrics']]);
  });

  test('the base applies cleanly to the embedded API server, twice; every object is served', async () => {
    const objects = parseObjects(await kustomize(join(DEPLOY, 'base')), 'deploy/base');
    const first = await applyTwice(objects, 'deploy/base');
    assert.doesNotMatch(first, /unchanged|configured/, 'deploy/base: first apply creates');
    for (const o of objects) assert.match(first, new RegExp(`/${o.metadata.name} created$`, 'm'), `${idOf(o)} created`);
    await ok(['wait', '--for=condition=Established', 'crd/rigs.gastown.gastown.io', 'crd/polecats.gastown.gastown.io', 'crd/convoys.gastown.gastown.io', '--timeout=30s']);
    assert.match(await ok(['api-resources', '--api-group=gastown.gastown.io']), /^polecats\s+pc\s+gastown\.gastown\.io\/v1alpha1\s+true\s+Polecat$/m);
    assert.equal((await kubectl(['get', 'rigs,polecats,convoys', '-A'])).code, 0);
    assert.match(await ok(['get', 'namespace', 'gastown-system', '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}']), /^privileged$/);

    // Every rendered built-in object is there, by kubectl's own short names.
    const names = await ok(['get', 'deploy,svc,sa,clusterrole,clusterrolebinding,role,rolebinding', '-n', 'gastown-system', '-o', 'name', '-l', 'app.kubernetes.io/part-of=gastown-operator']);
    assert.deepEqual(names.trim().split('\n').sort(), [
      'clusterrole.rbac.authorization.k8s.io/gastown-operator',
      'clusterrolebinding.rbac.authorization.k8s.io/gastown-operator',
      'deployment.apps/gastown-operator',
      'role.rbac.authorization.k8s.io/gastown-operator-leader-election',
      'rolebinding.rbac.authorization.k8s.io/gastown-operator-leader-election',
      'service/gastown-operator-metrics',
      'serviceaccount/gastown-operator',
    ]);
    // The objects as stored: exactly the rendered content (plus server defaults), generation 1.
    const deployment = find(objects, 'Deployment');
    const live = JSON.parse(await ok(['get', 'deployment', 'gastown-operator', '-n', 'gastown-system', '-o', 'json'])) as K8sObject;
    assert.equal((live.metadata as { generation?: number }).generation, 1);
    assertContains(live, deployment, 'live Deployment');
    assert.deepEqual((live.spec as { strategy?: unknown }).strategy, (deployment.spec as { strategy?: unknown }).strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    for (const kind of ['Service', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']) {
      const o = find(objects, kind);
      const got = JSON.parse(await ok(['get', kind.toLowerCase(), o.metadata.name, ...(o.metadata.namespace ? ['-n', o.metadata.namespace] : []), '-o', 'json'])) as unknown;
      assertContains(got, o, `live ${kind}`);
    }
    const ns = ['-n', 'gastown-system'];
    assert.deepEqual(JSON.parse(await jsonpath(['clusterrole', 'gastown-operator'], '{.rules}')), find(objects, 'ClusterRole').rules);
    assert.match(await jsonpath(['svc', 'gastown-operator-metrics', ...ns], '{.spec.type} {.spec.clusterIPs[0]} {.spec.ports[0].targetPort}'), /^ClusterIP 10\.\d+\.\d+\.\d+ metrics$/);
    // kubectl's columns: no controller runs Deployments, so nothing is ready.
    assert.match(await ok(['get', 'deploy', ...ns]), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ngastown-operator\s+0\/1\s+0\s+0\s+\d+s\n$/);
    const svc = await ok(['get', 'svc', ...ns]);
    assert.match(svc, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\ngastown-operator-metrics\s+ClusterIP\s+10\.(9[6-9]|10\d|11[01])\.\d+\.\d+\s+<none>\s+8080\/TCP\s+\d+s\n$/);
    assert.match(await ok(['get', 'sa', 'gastown-operator', ...ns]), /^NAME\s+SECRETS\s+AGE\ngastown-operator\s+0\s+\d+s\n$/);
    assert.match(await ok(['get', 'rolebinding', ...ns, '-o', 'wide']), /^gastown-operator-leader-election\s+Role\/gastown-operator-leader-election\s+\d+s\s+gastown-system\/gastown-operator$/m);
    assert.match(await ok(['get', 'clusterrole', 'gastown-operator']), /^NAME\s+CREATED AT\ngastown-operator\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    assert.match(await ok(['get', 'all', ...ns, '-o', 'name']), /^deployment\.apps\/gastown-operator$/m);
  });

  test('the example overlay: monitoring component, site patches; applies over the base with the Prometheus Operator CRDs', async () => {
    const objects = parseObjects(await kustomize(join(DEPLOY, 'overlays', 'example')), 'deploy/overlays/example');
    const deployment = find(objects, 'Deployment');
    assertOperatorDeployment(deployment, 'deploy/overlays/example');
    assertMinimalRbac(objects, 'deploy/overlays/example');
    const pod = (deployment.spec as { template: { spec: { containers: { image: string }[]; securityContext: { runAsUser: number }; hostNetwork?: boolean } } }).template.spec;
    assert.equal(pod.containers[0]!.image, 'registry.example.com/gastown-operator:0.1.0');
    assert.equal(pod.securityContext.runAsUser, 1000);
    assert.equal(pod.hostNetwork, true);
    const sm = find(objects, 'ServiceMonitor', 'gastown-operator');
    const svc = find(objects, 'Service', 'gastown-operator-metrics');
    const smSpec = sm.spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
    for (const [k, v] of Object.entries(smSpec.selector.matchLabels)) assert.equal(svc.metadata.labels?.[k], v, `ServiceMonitor selects the metrics Service (${k})`);
    assert.equal(smSpec.endpoints[0]!.port, 'metrics');
    const rule = find(objects, 'PrometheusRule', 'gastown-operator');
    const alerts = ((rule.spec as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert)));
    assert.deepEqual(alerts, ['GastownPolecatStuck', 'GastownGtUnavailable', 'GastownCircuitBreakerOpen', 'GastownReconcileErrorsRising', 'GastownOperatorDown']);

    await ok(['apply', '-f', '-'], yamlOf([standInCrd('servicemonitors', 'ServiceMonitor'), standInCrd('prometheusrules', 'PrometheusRule')]));
    await ok(['wait', '--for=condition=Established', 'crd/servicemonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com', '--timeout=30s']);
    // Over the base (applied by the previous test): the site patches change the Deployment only.
    const first = await applyTwice(objects, 'deploy/overlays/example');
    assert.match(first, /servicemonitor\.monitoring\.coreos\.com\/gastown-operator created/);
    assert.match(first, /prometheusrule\.monitoring\.coreos\.com\/gastown-operator created/);
    assert.match(first, /^deployment\.apps\/gastown-operator configured$/m);
    assert.match(first, /^service\/gastown-operator-metrics unchanged$/m);
    assert.match(await ok(['get', 'servicemonitors', '-n', 'gastown-system', '-o', 'name']), /servicemonitor\.monitoring\.coreos\.com\/gastown-operator/);
    const live = JSON.parse(await ok(['get', 'deployment', 'gastown-operator', '-n', 'gastown-system', '-o', 'json'])) as K8sObject;
    assert.equal((live.metadata as { generation?: number }).generation, 2, 'the spec change bumped the generation once');
    // The patched Deployment holds the overlay's rendering exactly: containers merged by name,
    // env/ports/mounts/volumes by their keys, same lengths (nothing left over from the base).
    assertContains(live, deployment, 'live Deployment (overlay)');
    const livePod = podSpecOf(live) as ReturnType<typeof podSpecOf> & { hostNetwork?: boolean };
    assert.equal((livePod.containers[0] as { image?: string }).image, 'registry.example.com/gastown-operator:0.1.0');
    assert.equal(livePod.hostNetwork, true);
  });
});
