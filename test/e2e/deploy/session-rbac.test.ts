// The session wrapper's RBAC (docs/pod-execution.md), in the kustomize component and the Helm
// chart: exactly the rights the wrapper uses (Rig views get; pods get/create/delete and
// pods/attach create in the session pods' namespace), nothing on Secrets or pods/exec, bound to
// its own ServiceAccount; off unless asked for; the same objects from both.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEPLOY, find, idOf, kustomize, kustomizeWithComponent, parseObjects, helmTemplate, type K8sObject } from './manifests.ts';

const work = mkdtempSync(join(tmpdir(), 'session-rbac-'));
after(() => rmSync(work, { recursive: true, force: true }));

const helm = (values: Record<string, unknown>): K8sObject[] => helmTemplate(work, values);

const isSession = (o: K8sObject): boolean => o.metadata.labels?.['app.kubernetes.io/component'] === 'session-wrapper';

const POD_RULES = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'create', 'delete'] },
  { apiGroups: [''], resources: ['pods/attach'], verbs: ['create'] },
];
const RIG_RULES = [{ apiGroups: ['gastown.gastown.io'], resources: ['rigs'], verbs: ['get'] }];

function assertSessionRbac(objects: readonly K8sObject[], source: string): void {
  const session = objects.filter(isSession);
  assert.deepEqual(session.map(idOf).sort(), [
    'ClusterRole//gastown-operator-session',
    'ClusterRoleBinding//gastown-operator-session',
    'Role/gastown-polecats/gastown-operator-session',
    'RoleBinding/gastown-polecats/gastown-operator-session',
    'ServiceAccount/gastown-system/gastown-session',
  ], source);
  assert.deepEqual(find(session, 'Role').rules, POD_RULES, `${source}: pod rules`);
  assert.deepEqual(find(session, 'ClusterRole').rules, RIG_RULES, `${source}: rig rules`);
  const subject = [{ kind: 'ServiceAccount', name: 'gastown-session', namespace: 'gastown-system' }];
  assert.deepEqual(find(session, 'RoleBinding').subjects, subject);
  assert.deepEqual(find(session, 'ClusterRoleBinding').subjects, subject);
  assert.equal((find(session, 'ServiceAccount') as K8sObject & { automountServiceAccountToken?: boolean }).automountServiceAccountToken, false);
  const all = JSON.stringify(session.map((o) => o.rules ?? []));
  assert.doesNotMatch(all, /secrets|pods\/exec|"\*"/, `${source}: never Secrets, exec or wildcards`);
}

describe('session wrapper RBAC', () => {
  test('the kustomize component, included in an overlay, renders exactly the wrapper\'s rights', async () => {
    const objects = await kustomizeWithComponent(work, 'session-wrapper');
    assertSessionRbac(objects, 'kustomize');
    const base = parseObjects(await kustomize(join(DEPLOY, 'base')), 'base');
    assert.ok(!base.some(isSession), 'not in the base');
  });

  test('the chart renders the same objects only with sessionWrapper.enabled', () => {
    assert.ok(!helm({}).some(isSession), 'off by default');
    const objects = helm({ sessionWrapper: { enabled: true } });
    assertSessionRbac(objects, 'helm');
    const moved = helm({ sessionWrapper: { enabled: true, podNamespace: 'agents' } }).filter(isSession);
    assert.deepEqual(moved.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding').map((o) => o.metadata.namespace), ['agents', 'agents']);
  });
});
