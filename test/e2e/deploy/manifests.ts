// Shared by the deploy tests: kubectl (1.32, required: a missing kubectl fails the tests, it
// never skips them), rendering kustomizations, reading multi-document YAML, and the checks
// every rendering of the operator (kustomize base, overlay, Helm chart) must pass.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { helmBinary } from '../../helpers/helm.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEPLOY = join(REPO, 'deploy');
export const KUBECTL = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p)) ?? 'kubectl';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        reject(new Error(`cannot run ${cmd}: ${err.message}`));
        return;
      }
      resolvePromise({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** `kubectl kustomize <dir>`; fails the test with kubectl's stderr on error. */
export async function kustomize(dir: string): Promise<string> {
  const r = await run(KUBECTL, ['kustomize', dir]);
  assert.equal(r.code, 0, `kubectl kustomize ${dir} failed:\n${r.stderr}`);
  return r.stdout;
}

/** Every non-empty document of a YAML stream; a YAML error fails loudly. */
export function parseObjects(text: string, source: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    assert.deepEqual(doc.errors.map((e) => e.message), [], `${source}: invalid YAML`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const obj = value as K8sObject;
    assert.equal(typeof obj.apiVersion, 'string', `${source}: apiVersion`);
    assert.equal(typeof obj.kind, 'string', `${source}: kind`);
    assert.match(obj.metadata?.name ?? '', /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `${source}: metadata.name of ${obj.kind}`);
    out.push(obj);
  }
  return out;
}

export const idOf = (o: K8sObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function find(objects: readonly K8sObject[], kind: string, name?: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  assert.ok(o, `no ${kind}${name ? ` ${name}` : ''} among ${objects.map(idOf).join(', ')}`);
  return o;
}

type Container = {
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet?: { path?: string; port?: string } };
  readinessProbe?: { httpGet?: { path?: string; port?: string } };
  ports?: { name: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
};
type PodSpec = {
  securityContext?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  containers: Container[];
  volumes?: { name: string; hostPath?: { path: string; type?: string } }[];
  serviceAccountName?: string;
};

export function podSpecOf(deployment: K8sObject): PodSpec {
  return (deployment.spec as { template: { spec: PodSpec } }).template.spec;
}

/** What every rendering's Deployment must satisfy (the issue's acceptance list). */
export function assertOperatorDeployment(deployment: K8sObject, source: string): void {
  const pod = podSpecOf(deployment);
  const c = pod.containers[0]!;
  assert.equal((deployment.spec as { replicas?: number }).replicas, 1, `${source}: one replica`);
  assert.equal(pod.securityContext?.runAsNonRoot, true, `${source}: runAsNonRoot`);
  assert.ok(typeof pod.securityContext?.runAsUser === 'number' && pod.securityContext.runAsUser > 0, `${source}: non-root UID`);
  assert.deepEqual(pod.securityContext?.seccompProfile, { type: 'RuntimeDefault' }, `${source}: seccomp`);
  assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }, `${source}: container securityContext`);
  assert.deepEqual(c.livenessProbe?.httpGet, { path: '/healthz', port: 'health' }, `${source}: liveness probe`);
  assert.deepEqual(c.readinessProbe?.httpGet, { path: '/readyz', port: 'health' }, `${source}: readiness probe`);
  assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.memory, `${source}: resources`);
  assert.equal(pod.nodeSelector?.['gastown.gastown.io/town-host'], 'true', `${source}: town-host node selector`);
  assert.equal(c.args?.[0], 'run', `${source}: runs the operator`);
  assert.ok(c.args.includes('--leader-elect'), `${source}: leader election`);
  const health = c.ports?.find((p) => p.name === 'health')?.containerPort;
  assert.ok(c.args.includes(`--health-addr=:${health}`), `${source}: --health-addr matches the health port`);
  const metrics = c.ports?.find((p) => p.name === 'metrics')?.containerPort;
  assert.ok(c.args.includes(`--metrics-addr=:${metrics}`), `${source}: --metrics-addr matches the metrics port`);
  // The town: the same path everywhere, mounted from the host as a directory.
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
  const townArg = c.args.find((a) => a.startsWith('--town-root='))?.slice('--town-root='.length);
  assert.ok(townArg?.startsWith('/'), `${source}: --town-root`);
  assert.equal(env.GT_TOWN_ROOT, townArg, `${source}: GT_TOWN_ROOT = --town-root`);
  const townMount = c.volumeMounts?.find((m) => m.name === 'town');
  const townVolume = pod.volumes?.find((v) => v.name === 'town');
  assert.equal(townMount?.mountPath, townArg, `${source}: the town is mounted at --town-root`);
  assert.deepEqual(townVolume?.hostPath, { path: townArg, type: 'Directory' }, `${source}: the town is the same host directory`);
  for (const [bin, name] of [['GT_PATH', 'gt-binary'], ['BD_PATH', 'bd-binary']] as const) {
    assert.equal(c.volumeMounts?.find((m) => m.name === name)?.mountPath, env[bin], `${source}: ${bin} is the mounted binary`);
    assert.equal(pod.volumes?.find((v) => v.name === name)?.hostPath?.type, 'File', `${source}: ${name} from the host`);
  }
  assert.ok(c.volumeMounts?.some((m) => m.mountPath === '/tmp'), `${source}: writable /tmp with a read-only root`);
}

/** RBAC rules must never reach Secrets, ConfigMaps or Pods, nor use wildcards. */
export function assertMinimalRbac(objects: readonly K8sObject[], source: string): void {
  for (const role of objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) {
    for (const rule of (role.rules ?? []) as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
      for (const r of rule.resources) assert.ok(!['secrets', 'configmaps', 'pods', '*'].includes(r), `${source}: ${role.metadata.name} grants ${r}`);
      assert.ok(!rule.verbs.includes('*') && !rule.apiGroups.includes('*'), `${source}: ${role.metadata.name} uses a wildcard`);
    }
  }
}

/**
 * Fails unless `actual` holds everything `expected` has (maps key by key, lists item by item,
 * same length): a live object contains its manifest, plus whatever the server defaulted.
 */
export function assertContains(actual: unknown, expected: unknown, path = ''): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${path}: expected a list of ${expected.length}, got ${JSON.stringify(actual)}`);
    expected.forEach((e: unknown, i) => assertContains((actual as unknown[])[i], e, `${path}[${i}]`));
  } else if (typeof expected === 'object' && expected !== null) {
    assert.ok(typeof actual === 'object' && actual !== null && !Array.isArray(actual), `${path}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [k, v] of Object.entries(expected)) assertContains((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    assert.equal(actual, expected, path);
  }
}

/**
 * `helm template` of the chart with `values` (written under `work`, with Helm's cache, config
 * and data homes there too, so nothing outside the test's temp dir is touched).
 */
export function helmTemplate(work: string, values: Record<string, unknown>): K8sObject[] {
  const file = join(work, `values-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(values));
  const env = { ...process.env, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data') };
  const chart = join(DEPLOY, 'helm', 'gastown-operator');
  return parseObjects(execFileSync(helmBinary(), ['template', 'gastown-operator', chart, '--namespace', 'gastown-system', '-f', file], { env, encoding: 'utf8' }), 'helm template');
}

/** The base with one component of deploy/components/ included, as an overlay under `work` would render it. */
export async function kustomizeWithComponent(work: string, component: string): Promise<K8sObject[]> {
  const overlay = join(work, `overlay-${component}`);
  mkdirSync(overlay, { recursive: true });
  writeFileSync(join(overlay, 'kustomization.yaml'), [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    `resources: [${relative(overlay, join(DEPLOY, 'base'))}]`,
    `components: [${relative(overlay, join(DEPLOY, 'components', component))}]`,
    '',
  ].join('\n'));
  return parseObjects(await kustomize(overlay), `overlay with ${component}`);
}
