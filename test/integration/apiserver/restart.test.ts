// Durability: the standalone server (src/apiserver/main.ts) is killed with SIGKILL right after
// acknowledged writes; a new process on the same data directory has every object, the same
// token and CA, and resource versions keep increasing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { WIDGET_CRD, raw } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'apiserver-restart-'));
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(): Promise<{ child: ChildProcess; kc: KubeConfig; url: string }> {
  const kubeconfig = join(dir, 'kubeconfig');
  const child = spawn(process.execPath, ['src/apiserver/main.ts', '--data-dir', join(dir, 'data'), '--port', '0', '--kubeconfig', kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30_000);
    rl.once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
  const { url } = JSON.parse(line) as { url: string };
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { child, kc, url };
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('state survives kill -9 and resource versions keep increasing', { timeout: 120_000 }, async () => {
  const first = await startServer();
  const cluster = first.kc.getCurrentCluster();
  const caData = Buffer.from(cluster?.caData ?? '', 'base64').toString();
  const token = first.kc.getCurrentUser()?.token ?? '';
  const crd = await raw({ url: first.url, token, caData }, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(WIDGET_CRD) });
  assert.equal(crd.status, 201, crd.text);
  const core = first.kc.makeApiClient(CoreV1Api);
  const custom = first.kc.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: 'durable' } } });
  let lastVersion = '';
  for (let i = 0; i < 20; i += 1) {
    const cm = await core.createNamespacedConfigMap({ namespace: 'durable', body: { metadata: { name: `cm-${i}` }, data: { i: String(i) } } });
    lastVersion = cm.metadata?.resourceVersion ?? '';
  }
  await core.deleteNamespacedConfigMap({ namespace: 'durable', name: 'cm-0' });
  const w = (await custom.createNamespacedCustomObject({ group: 'example.com', version: 'v1', namespace: 'durable', plural: 'widgets', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 2 } } })) as { metadata: { uid: string; resourceVersion: string } };
  lastVersion = w.metadata.resourceVersion;
  await kill(first.child);

  const second = await startServer();
  assert.equal(second.kc.getCurrentUser()?.token, token, 'token persisted');
  assert.equal(Buffer.from(second.kc.getCurrentCluster()?.caData ?? '', 'base64').toString(), caData, 'certificate persisted');
  const core2 = second.kc.makeApiClient(CoreV1Api);
  const custom2 = second.kc.makeApiClient(CustomObjectsApi);
  const list = await core2.listNamespacedConfigMap({ namespace: 'durable' });
  assert.deepEqual(list.items.map((c) => c.metadata?.name).sort(), Array.from({ length: 19 }, (_, i) => `cm-${i + 1}`).sort());
  const w2 = (await custom2.getNamespacedCustomObject({ group: 'example.com', version: 'v1', namespace: 'durable', plural: 'widgets', name: 'w' })) as { metadata: { uid: string; resourceVersion: string } };
  assert.equal(w2.metadata.uid, w.metadata.uid, 'CRD served again after restart, object intact');
  const next = await core2.createNamespacedConfigMap({ namespace: 'durable', body: { metadata: { name: 'after' } } });
  // Versions are opaque to clients; the server's own counter is decimal, so compare as numbers here.
  assert.ok(Number(next.metadata?.resourceVersion) > Number(lastVersion), `${next.metadata?.resourceVersion} > ${lastVersion}`);
  assert.ok(Number(list.metadata?.resourceVersion) >= Number(lastVersion));
  await kill(second.child);
});
