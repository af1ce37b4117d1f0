// deploy/ with the real kubectl (1.32; the test fails without it, it never skips):
// `kubectl kustomize` renders the base and the example overlay, the rendered objects are what
// the issue asks for (kinds, names, RBAC, security context, probes, town mount), and they apply
// cleanly (twice: the second apply changes nothing) to the embedded API server.
//
// The embedded API server serves a subset of the built-in kinds. Objects of kinds it does not
// serve are listed in NOT_YET_SERVED and checked structurally here instead of applied; the
// test applies every rendered object whose kind the server serves (asked through discovery),
// so it covers more as the server grows. A rendered kind neither served nor listed fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';
import {
  DEPLOY, KUBECTL, assertMinimalRbac, assertOperatorDeployment, find, idOf, kustomize, parseObjects, run, type K8sObject,
} from './manifests.ts';

/** Built-in kinds the embedded API server does not serve yet (apiVersion/kind). */
const NOT_YET_SERVED = new Set([
  'v1/ServiceAccount', 'v1/Service', 'apps/v1/Deployment',
  'rbac.authorization.k8s.io/v1/ClusterRole', 'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'rbac.authorization.k8s.io/v1/Role', 'rbac.authorization.k8s.io/v1/RoleBinding',
]);

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

  /** Applies the served objects twice (second: unchanged); returns the ones not served. */
  async function applyServed(objects: readonly K8sObject[], label: string): Promise<K8sObject[]> {
    const served = await servedTypes();
    const applicable = objects.filter((o) => served.has(typeOf(o)));
    const rest = objects.filter((o) => !served.has(typeOf(o)));
    for (const o of rest) assert.ok(NOT_YET_SERVED.has(typeOf(o)), `${label}: ${typeOf(o)} is neither served by the embedded API server nor a known gap`);
    const first = await ok(['apply', '-f', '-'], yamlOf(applicable));
    assert.equal(first.trim().split('\n').length, applicable.length, `${label}: one line per object\n${first}`);
    assert.doesNotMatch(first, /unchanged|configured/, `${label}: first apply creates`);
    const second = await ok(['apply', '-f', '-'], yamlOf(applicable));
    for (const line of second.trim().split('\n')) assert.match(line, / unchanged$/, `${label}: re-apply changes nothing`);
    return rest;
  }

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

  test('the base applies cleanly to the embedded API server; the CRDs become served', async (t) => {
    const objects = parseObjects(await kustomize(join(DEPLOY, 'base')), 'deploy/base');
    const notApplied = await applyServed(objects, 'deploy/base');
    t.diagnostic(`not served by the embedded API server, checked structurally only: ${notApplied.map(idOf).join(', ')}`);
    assert.ok(!notApplied.some((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition'));
    await ok(['wait', '--for=condition=Established', 'crd/rigs.gastown.gastown.io', 'crd/polecats.gastown.gastown.io', 'crd/convoys.gastown.gastown.io', '--timeout=30s']);
    assert.match(await ok(['api-resources', '--api-group=gastown.gastown.io']), /^polecats\s+pc\s+gastown\.gastown\.io\/v1alpha1\s+true\s+Polecat$/m);
    assert.equal((await kubectl(['get', 'rigs,polecats,convoys', '-A'])).code, 0);
    assert.match(await ok(['get', 'namespace', 'gastown-system', '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}']), /^privileged$/);
  });

  test('the example overlay: monitoring component, site patches; applies with the Prometheus Operator CRDs', async (t) => {
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
    const served = await servedTypes();
    assert.ok(objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/')).every((o) => served.has(typeOf(o))));
    const applicable = yamlOf(objects.filter((o) => served.has(typeOf(o))));
    const first = await ok(['apply', '-f', '-'], applicable);
    assert.match(first, /servicemonitor\.monitoring\.coreos\.com\/gastown-operator created/);
    assert.match(first, /prometheusrule\.monitoring\.coreos\.com\/gastown-operator created/);
    const again = await ok(['apply', '-f', '-'], applicable);
    for (const line of again.trim().split('\n')) assert.match(line, / unchanged$/, 'the overlay re-applies without changes');
    const notApplied = objects.filter((o) => !served.has(typeOf(o)));
    for (const o of notApplied) assert.ok(NOT_YET_SERVED.has(typeOf(o)), `${typeOf(o)} is a known gap`);
    t.diagnostic(`not served by the embedded API server, checked structurally only: ${notApplied.map(idOf).join(', ')}`);
    assert.match(await ok(['get', 'servicemonitors', '-n', 'gastown-system', '-o', 'name']), /servicemonitor\.monitoring\.coreos\.com\/gastown-operator/);
  });
});
