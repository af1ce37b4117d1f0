// The Helm chart, verified without helm (none can be installed here):
//   (a) values.yaml satisfies values.schema.json, and the schema rejects bad values;
//   (b) the templates are rendered by a strict renderer of the Go-template subset they keep
//       to (helm-subset.ts, which throws outside it), for the default values and variants;
//   (c) the rendered objects are the kustomize base's objects: same kinds and names, same RBAC
//       rules, same Deployment and Service specs (so the same security context, probes and
//       town mount); crds/ holds byte-identical copies of deploy/crds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ChartRenderer, chartValues, type RenderContext } from './helm-subset.ts';
import { validateJsonSchema, type JsonSchema } from './json-schema.ts';
import {
  DEPLOY, assertMinimalRbac, assertOperatorDeployment, find, idOf, kustomize, parseObjects, podSpecOf, type K8sObject,
} from './manifests.ts';

const CHART = join(DEPLOY, 'helm', 'gastown-operator');
const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as JsonSchema;
const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { apiVersion: string; name: string; version: string; appVersion: string };

function render(overrides: Record<string, unknown> = {}, release = { name: 'gastown-operator', namespace: 'gastown-system' }): K8sObject[] {
  const values = chartValues(CHART, overrides);
  assert.deepEqual(validateJsonSchema(schema, values), [], 'values satisfy the schema');
  const ctx: RenderContext = {
    Values: values,
    Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm' },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };
  const out: K8sObject[] = [];
  for (const [file, text] of ChartRenderer.renderChart(CHART, ctx)) out.push(...parseObjects(text, `templates/${file}`));
  return out;
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

  test('values.yaml satisfies values.schema.json and names the documented values', () => {
    const values = chartValues(CHART);
    assert.deepEqual(validateJsonSchema(schema, values), []);
    const v = values as { gtConfig: Record<string, unknown>; volumes: Record<string, unknown> };
    assert.deepEqual(Object.keys(v.gtConfig), ['townRoot', 'gtBinary', 'bdBinary']);
    assert.equal(v.volumes.enabled, true);
    assert.equal(v.volumes.hostPath, v.gtConfig.townRoot, 'the town is mounted at the path it has on the host');
    for (const key of ['image', 'imagePullPolicy', 'resources', 'podSecurityContext', 'securityContext', 'metrics', 'leaderElection', 'serviceAccount', 'rbac', 'extraEnv', 'nodeSelector', 'tolerations']) {
      assert.ok(key in values, key);
    }
  });

  test('the schema rejects bad values', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ gtConfig: { townRoot: 'gt' } }, /\$\.gtConfig\.townRoot: does not match/],
      [{ metrics: { port: '8080' } }, /\$\.metrics\.port: expected integer, got string/],
      [{ metrics: { port: 70000 } }, /\$\.metrics\.port: above 65535/],
      [{ imagePullPolicy: 'Sometimes' }, /\$\.imagePullPolicy: must be one of/],
      [{ volumes: { hostpath: '/x' } }, /\$\.volumes: unknown property hostpath/],
      [{ serviceAccount: { name: 'Bad_Name' } }, /\$\.serviceAccount\.name: does not match/],
      [{ extraEnv: [{ value: 'x' }] }, /\$\.extraEnv\[0\]: missing required name/],
      [{ nodeSelector: { 'gastown.gastown.io/town-host': true } }, /town-host: expected string, got boolean/],
    ];
    for (const [override, want] of cases) {
      const errors = validateJsonSchema(schema, chartValues(CHART, override));
      assert.ok(errors.some((e) => want.test(e)), `${JSON.stringify(override)} -> ${JSON.stringify(errors)}`);
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

describe('the template subset renderer', () => {
  test('refuses constructs outside the subset and missing values, instead of rendering them wrongly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chart-subset-'));
    try {
      mkdirSync(join(dir, 'templates'));
      const ctx: RenderContext = { Values: { items: [1], a: { b: 'x' } }, Release: { Name: 'r', Namespace: 'n', Service: 'Helm' }, Chart: { Name: 'c', Version: '1.0.0', AppVersion: '1' } };
      const attempt = (tpl: string): Map<string, string> => {
        writeFileSync(join(dir, 'templates', 't.yaml'), tpl);
        return ChartRenderer.renderChart(dir, ctx);
      };
      assert.throws(() => attempt('{{ range .Values.items }}x{{ end }}'), /outside the supported subset/);
      assert.throws(() => attempt('{{ .Values.a.c }}'), /missing value \.Values\.a\.c/);
      assert.throws(() => attempt('{{ .Values.a.b | upper }}'), /unsupported expression: upper/);
      assert.throws(() => attempt('{{ if .Values.a }}x'), /missing \{\{ end \}\}/);
      assert.throws(() => attempt('{{ .Values.a }}'), /cannot print/);
      assert.equal(attempt('a:\n  {{- if .Values.items }}\n  b: {{ .Values.a.b | quote }}\n  {{- else }}\n  c: 1\n  {{- end }}\n').get('t.yaml'), 'a:\n  b: "x"\n');
      assert.equal(attempt('m:{{ toYaml .Values.a | nindent 2 }}').get('t.yaml'), 'm:\n  b: x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
