// The real Helm 3 against the embedded API server: install the chart (CRDs from crds/, the
// release Secret stored through Helm's typed client, which sends protobuf), upgrade it with a
// changed value (seen on the server), list and history, uninstall (objects and release Secrets
// gone; CRDs kept, as Helm always does).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../../../src/apiserver/index.ts';
import { helmBinary } from '../../helpers/helm.ts';
import { KUBECTL_BIN, ok, runnerFor } from '../../helpers/kubectl.ts';
import { DEPLOY } from './manifests.ts';

const CHART = join(DEPLOY, 'helm', 'gastown-operator');
const NS = 'gastown-system';
const RELEASE = 'town';

describe('helm install / upgrade / uninstall against the embedded API server', () => {
  let srv: EmbeddedApiServer;
  const dir = mkdtempSync(join(tmpdir(), 'helm-install-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const env = {
    ...process.env, KUBECONFIG: kubeconfig, HOME: dir, KUBECACHEDIR: join(dir, 'kube-cache'),
    HELM_CACHE_HOME: join(dir, 'helm-cache'), HELM_CONFIG_HOME: join(dir, 'helm-config'), HELM_DATA_HOME: join(dir, 'helm-data'),
  };
  const helm = runnerFor(helmBinary(), env, 120_000);
  const kubectl = runnerFor(KUBECTL_BIN, env);

  const deployment = async (): Promise<{ spec: { template: { spec: { containers: { image: string; args: string[] }[] } } } }> =>
    JSON.parse(await ok(kubectl, 'get', 'deployment', RELEASE, '-n', NS, '-o', 'json')) as { spec: { template: { spec: { containers: { image: string; args: string[] }[] } } } };

  before(async () => {
    srv = await startEmbeddedApiServer({ kubeconfigPath: kubeconfig });
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('install creates the namespace, CRDs, objects and the release Secret', async () => {
    const out = await ok(helm, 'install', RELEASE, CHART, '--namespace', NS, '--create-namespace', '--wait=false');
    assert.match(out, /STATUS: deployed/);
    assert.match(out, /REVISION: 1/);
    for (const crd of ['rigs.gastown.gastown.io', 'polecats.gastown.gastown.io', 'convoys.gastown.gastown.io']) await ok(kubectl, 'get', 'crd', crd);
    for (const [kind, ns] of [['serviceaccount/gastown-operator', NS], [`service/${RELEASE}-metrics`, NS], [`clusterrole/${RELEASE}`, ''], [`clusterrolebinding/${RELEASE}`, '']] as const) {
      await ok(kubectl, 'get', kind, ...(ns === '' ? [] : ['-n', ns]));
    }
    assert.equal((await deployment()).spec.template.spec.containers[0]?.image, 'gastown-operator:0.1.0');
    const secrets = JSON.parse(await ok(kubectl, 'get', 'secrets', '-n', NS, '-l', `owner=helm,name=${RELEASE}`, '-o', 'json')) as { items: { metadata: { name: string; labels: Record<string, string> }; type: string; data: { release: string } }[] };
    assert.deepEqual(secrets.items.map((s) => s.metadata.name), [`sh.helm.release.v1.${RELEASE}.v1`]);
    assert.equal(secrets.items[0]?.type, 'helm.sh/release.v1');
    assert.equal(secrets.items[0]?.metadata.labels.status, 'deployed');
    assert.ok((secrets.items[0]?.data.release.length ?? 0) > 1000, 'the release payload is stored');
    assert.match(await ok(helm, 'list', '-n', NS), new RegExp(`${RELEASE}\\s+${NS}\\s+1\\s.*deployed`));
  });

  test('upgrade with a changed value reaches the server; history has both revisions', async () => {
    const out = await ok(helm, 'upgrade', RELEASE, CHART, '--namespace', NS, '--set', 'image.tag=0.2.0', '--set', 'metrics.port=9191');
    assert.match(out, /REVISION: 2/);
    const d = await deployment();
    assert.equal(d.spec.template.spec.containers[0]?.image, 'gastown-operator:0.2.0');
    assert.ok(d.spec.template.spec.containers[0]?.args.some((a) => a.includes('9191')), JSON.stringify(d.spec.template.spec.containers[0]?.args));
    const history = await ok(helm, 'history', RELEASE, '-n', NS);
    assert.match(history, /1\s.*superseded/);
    assert.match(history, /2\s.*deployed/);
    const values = JSON.parse(await ok(helm, 'get', 'values', RELEASE, '-n', NS, '-o', 'json')) as { image: { tag: string } };
    assert.equal(values.image.tag, '0.2.0');
  });

  test('uninstall removes the objects and the release Secrets (CRDs stay, as with any Helm chart)', async () => {
    assert.match(await ok(helm, 'uninstall', RELEASE, '--namespace', NS), /release "town" uninstalled/);
    const left = await kubectl('get', 'deployment', RELEASE, '-n', NS);
    assert.notEqual(left.code, 0);
    assert.equal((await ok(kubectl, 'get', 'secrets', '-n', NS, '-l', 'owner=helm', '-o', 'name')).trim(), '');
    assert.equal((await kubectl('get', 'clusterrole', RELEASE)).code === 0, false);
    await ok(kubectl, 'get', 'crd', 'rigs.gastown.gastown.io');
    assert.equal((await ok(helm, 'list', '-n', NS, '-q')).trim(), '');
  });
});
