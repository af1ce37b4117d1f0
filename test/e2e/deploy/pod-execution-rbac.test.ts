// The operator's Pod-execution RBAC (docs/pod-execution.md), in the kustomize component and the
// Helm chart: exactly the rights the session controller uses, in the session pods' namespace
// only (pods get/list/watch/update/delete, pods/log get, Secrets get/list/watch/create/delete,
// NetworkPolicies, Events create), bound to the operator's ServiceAccount, with the operator
// started with --pod-execution; off unless asked for; the same rules from both.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEPLOY, find, idOf, kustomize, kustomizeWithComponent, parseObjects, helmTemplate, podSpecOf, type K8sObject } from './manifests.ts';

const work = mkdtempSync(join(tmpdir(), 'pod-execution-rbac-'));
after(() => rmSync(work, { recursive: true, force: true }));

const helm = (values: Record<string, unknown>): K8sObject[] => helmTemplate(work, values);

const isPodExecution = (o: K8sObject): boolean => o.metadata.labels?.['app.kubernetes.io/component'] === 'pod-execution';

const RULES = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'update', 'delete'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

function assertPodExecution(objects: readonly K8sObject[], source: string, namespace = 'gastown-polecats'): void {
  const mine = objects.filter(isPodExecution);
  assert.deepEqual(mine.map(idOf).sort(), [`Role/${namespace}/gastown-operator-pod-execution`, `RoleBinding/${namespace}/gastown-operator-pod-execution`], source);
  assert.deepEqual(find(mine, 'Role').rules, RULES, `${source}: rules`);
  assert.deepEqual(find(mine, 'RoleBinding').subjects, [{ kind: 'ServiceAccount', name: 'gastown-operator', namespace: 'gastown-system' }]);
  const args = podSpecOf(find(objects, 'Deployment')).containers[0]?.args ?? [];
  assert.ok(args.includes('--pod-execution') && args.includes(`--pod-namespace=${namespace}`), `${source}: the operator runs the session controller`);
  assert.doesNotMatch(JSON.stringify(mine.map((o) => o.rules ?? [])), /pods\/exec|pods\/attach|"\*"|"patch"/, `${source}: no exec, attach, patch or wildcards`);
}

describe('operator Pod-execution RBAC', () => {
  test('the kustomize component, included in an overlay, adds the Role, its binding and the flags', async () => {
    assertPodExecution(await kustomizeWithComponent(work, 'pod-execution'), 'kustomize');
    const base = parseObjects(await kustomize(join(DEPLOY, 'base')), 'base');
    assert.ok(!base.some(isPodExecution), 'not in the base');
    assert.ok(!(podSpecOf(find(base, 'Deployment')).containers[0]?.args ?? []).includes('--pod-execution'));
  });

  test('the chart renders the same only with podExecution.enabled, in podNamespace', () => {
    assert.ok(!helm({}).some(isPodExecution), 'off by default');
    assertPodExecution(helm({ podExecution: { enabled: true, podNamespace: 'gastown-polecats' } }), 'helm');
    assertPodExecution(helm({ podExecution: { enabled: true, podNamespace: 'agents' } }), 'helm (agents)', 'agents');
  });
});
