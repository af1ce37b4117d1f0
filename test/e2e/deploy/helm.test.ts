// The Helm chart, checked with the real Helm 3 (test/helpers/helm.ts):
//   (a) `helm lint` passes, and helm's own values.schema.json check refuses bad values;
//   (b) `helm template` renders the default values and variants;
//   (c) the rendered objects are the kustomize base's objects: same kinds and names, same RBAC
//       rules, same Deployment and Service specs (so the same security context, probes and
//       town mount); crds/ holds byte-identical copies of deploy/crds.
// helm install/upgrade/uninstall against the embedded API server: helm-install.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { helmBinary } from '../../helpers/helm.ts';
import {
  DEPLOY, assertMinimalRbac, assertOperatorDeployment, find, idOf, kustomize, parseObjects, podSpecOf, type K8sObject,
} from './manifests.ts';

const CHART = join(DEPLOY, 'helm', 'gastown-operator');
const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { apiVersion: string; name: string; version: string; appVersion: string };
const work = mkdtempSync(join(tmpdir(), 'helm-template-'));
const helmEnv = { ...process.env, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data') };
after(() => rmSync(work, { recursive: true, force: true }));

function overridesFile(overrides: Record<string, unknown>): string {
  const file = join(work, `values-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(overrides));
  return file;
}

/** `helm template` with these values on top of values.yaml; throws with helm's stderr on failure. */
function render(overrides: Record<string, unknown> = {}, release = { name: 'gastown-operator', namespace: 'gastown-system' }): K8sObject[] {
  const out = execFileSync(helmBinary(), ['template', release.name, CHART, '--namespace', release.namespace, '-f', overridesFile(overrides)], { env: helmEnv, encoding: 'utf8' });
  return parseObjects(out, 'helm template');
}

const without = <T extends Record<string, unknown>>(o: T, ...keys: string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

describe('Helm chart: metadata and values', () => {
  test('Chart.yaml is a v2 application chart matching the operator version', () => {
    assert.equal(chart.apiVersion, 'v2');
    assert.equal(chart.name, 'gastown-operator');
    assert.match(chart.version, /^\d+\.\d+\.\d+$/);
    const pkg = JSON.parse(readFileSync(join(DEPLOY, '..', 'package.json'), 'utf8')) as { version: string };
    assert.equal(chart.appVersion, pkg.version);
  });

  test('helm lint passes and values.yaml names the documented values', () => {
    const lint = spawnSync(helmBinary(), ['lint', CHART, '--strict'], { env: helmEnv, encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    assert.match(lint.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const v = values as { gtConfig: Record<string, unknown>; volumes: Record<string, unknown> };
    assert.deepEqual(Object.keys(v.gtConfig), ['townRoot', 'gtBinary', 'bdBinary']);
    assert.equal(v.volumes.enabled, true);
    assert.equal(v.volumes.hostPath, v.gtConfig.townRoot, 'the town is mounted at the path it has on the host');
    for (const key of ['image', 'imagePullPolicy', 'resources', 'podSecurityContext', 'securityContext', 'metrics', 'leaderElection', 'serviceAccount', 'rbac', 'extraEnv', 'nodeSelector', 'tolerations']) {
      assert.ok(key in values, key);
    }
  });

  test('helm refuses bad values through values.schema.json', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ gtConfig: { townRoot: 'gt' } }, /gtConfig\.townRoot: Does not match pattern/],
      [{ metrics: { port: '8080' } }, /metrics\.port: Invalid type\. Expected: integer, given: string/],
      [{ metrics: { port: 70000 } }, /metrics\.port: Must be less than or equal to 65535/],
      [{ imagePullPolicy: 'Sometimes' }, /imagePullPolicy: imagePullPolicy must be one of/],
      [{ volumes: { hostpath: '/x' } }, /volumes: Additional property hostpath is not allowed/],
      [{ serviceAccount: { name: 'Bad_Name' } }, /serviceAccount\.name: Does not match pattern/],
      [{ extraEnv: [{ value: 'x' }] }, /extraEnv\.0: name is required/],
      [{ nodeSelector: { 'gastown.gastown.io/town-host': true } }, /town-host: Invalid type\. Expected: string, given: boolean/],
    ];
    for (const [override, want] of cases) {
      const r = spawnSync(helmBinary(), ['template', 'x', CHART, '-f', overridesFile(override)], { env: helmEnv, encoding: 'utf8' });
      assert.notEqual(r.status, 0, `${JSON.stringify(override)} was accepted`);
      assert.match(r.stderr, /values don't meet the specifications of the schema/);
      assert.match(r.stderr, want, JSON.stringify(override));
    }
  });

  test('crds/ holds byte-identical copies of the generated deploy/crds', () => {
    const generated = readdirSync(join(DEPLOY, 'crds')).filter((f) => f !== 'kustomization.yaml').sort();
    const copied = readdirSync(join(CHART, 'crds')).sort();
    assert.deepEqual(copied, generated, 'same files (copy them with: cp deploy/crds/gastown.gastown.io_*.yaml deploy/helm/gastown-operator/crds/)');
    for (const f of generated) {
      assert.equal(readFileSync(join(CHART, 'crds', f), 'utf8'), readFileSync(join(DEPLOY, 'crds', f), 'utf8'), `crds/${f} is stale; copy it again from deploy/crds`);
    }
  });
});

describe('Helm chart: rendered with the default values', () => {
  test('the same objects as the kustomize base (Namespace and CRDs aside), field by field', async () => {
    const helm = render();
    const base = parseObjects(await kustomize(join(DEPLOY, 'base')), 'deploy/base')
      .filter((o) => o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition');
    assert.deepEqual(helm.map(idOf).sort(), base.map(idOf).sort());
    for (const b of base) {
      const h = find(helm, b.kind, b.metadata.name);
      for (const field of ['spec', 'rules', 'roleRef', 'subjects']) {
        assert.deepEqual(h[field], b[field], `${idOf(b)}.${field}`);
      }
      // Labels: the same app.kubernetes.io labels; managed-by and helm.sh/chart are Helm's own.
      assert.deepEqual(without(h.metadata.labels ?? {}, 'app.kubernetes.io/managed-by', 'helm.sh/chart'), without(b.metadata.labels ?? {}, 'app.kubernetes.io/managed-by'), `${idOf(b)} labels`);
      assert.equal(h.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm');
    }
    assertOperatorDeployment(find(helm, 'Deployment'), 'helm');
    assertMinimalRbac(helm, 'helm');
  });

  test('the ServiceMonitor, when enabled, is the kustomize component\'s', async () => {
    assert.ok(!render().some((o) => o.kind === 'ServiceMonitor'), 'off by default');
    const helm = find(render({ metrics: { serviceMonitor: { enabled: true } } }), 'ServiceMonitor');
    const overlay = find(parseObjects(await kustomize(join(DEPLOY, 'overlays', 'example')), 'overlay'), 'ServiceMonitor');
    assert.deepEqual(helm.spec, overlay.spec);
    assert.equal(helm.metadata.name, overlay.metadata.name);
  });
});

describe('Helm chart: variants', () => {
  test('a site: town path, binaries, UID, image, extra env, tolerations, release name and namespace', () => {
    const objects = render({
      gtConfig: { townRoot: '/home/alice/gt' },
      volumes: { hostPath: '/home/alice/gt', binaries: { gt: '/home/alice/go/bin/gt', bd: '/home/alice/go/bin/bd' } },
      podSecurityContext: { runAsUser: 1000, runAsGroup: 1000 },
      image: { repository: 'registry.example.com/gastown-operator', tag: '0.1.0' },
      extraEnv: [{ name: 'GASTOWN_DEBUG', value: '1' }],
      tolerations: [{ key: 'gastown', operator: 'Exists', effect: 'NoSchedule' }],
    }, { name: 'town', namespace: 'agents' });
    const d = find(objects, 'Deployment', 'town');
    assertOperatorDeployment(d, 'helm site');
    const pod = podSpecOf(d) as ReturnType<typeof podSpecOf> & { tolerations?: unknown[]; containers: { image: string; env: { name: string }[] }[] };
    assert.equal(pod.containers[0]!.image, 'registry.example.com/gastown-operator:0.1.0');
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(pod.containers[0]!.env.map((e) => e.name), ['GT_TOWN_ROOT', 'GT_PATH', 'BD_PATH', 'POD_NAMESPACE', 'HOME', 'GASTOWN_DEBUG']);
    assert.deepEqual(pod.tolerations, [{ effect: 'NoSchedule', key: 'gastown', operator: 'Exists' }]);
    assert.deepEqual(objects.filter((o) => o.metadata.namespace !== undefined).map((o) => o.metadata.namespace), objects.filter((o) => o.metadata.namespace !== undefined).map(() => 'agents'));
    assert.deepEqual(find(objects, 'ClusterRoleBinding', 'town').subjects, [{ kind: 'ServiceAccount', name: 'gastown-operator', namespace: 'agents' }]);
    assert.equal((find(objects, 'Service', 'town-metrics').spec as { selector: Record<string, string> }).selector['app.kubernetes.io/instance'], 'town');
  });

  test('metrics off: no Service, --metrics-addr=0, no metrics port', () => {
    const objects = render({ metrics: { enabled: false, serviceMonitor: { enabled: true } } });
    assert.ok(!objects.some((o) => o.kind === 'Service' || o.kind === 'ServiceMonitor'));
    const c = podSpecOf(find(objects, 'Deployment')).containers[0]!;
    assert.ok(c.args?.includes('--metrics-addr=0'));
    assert.deepEqual(c.ports?.map((p) => p.name), ['health']);
  });

  test('leader election, RBAC, ServiceAccount and host volumes can be turned off', () => {
    const objects = render({ leaderElection: { enabled: false }, rbac: { create: false }, serviceAccount: { create: false, name: 'existing' }, volumes: { enabled: false } });
    assert.deepEqual(objects.map((o) => o.kind).sort(), ['Deployment', 'Service']);
    const pod = podSpecOf(find(objects, 'Deployment'));
    assert.equal(pod.serviceAccountName, 'existing');
    assert.ok(!pod.containers[0]!.args?.includes('--leader-elect'));
    assert.deepEqual(pod.volumes?.map((v) => v.name), ['tmp']);
    assert.deepEqual(pod.containers[0]!.volumeMounts?.map((m) => m.name), ['tmp']);
  });
});
