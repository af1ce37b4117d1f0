// How the operator reaches its embedded API server: over the Unix socket in the data directory
// when the path fits a socket address, else over the TLS port; the kubeconfig for kubectl names
// the TLS port either way.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { OperatorConfig } from '../../../src/operator/config.ts';
import { connectKube } from '../../../src/operator/kube.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { closeConnections } from '../../../src/runtime/connections.ts';

const dir = mkdtempSync(join(tmpdir(), 'kube-connection-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(dataDir: string): OperatorConfig {
  return { embedded: { force: true, dataDir, host: '127.0.0.1', port: 0 } } as unknown as OperatorConfig;
}

async function namespaces(kc: KubeConfig): Promise<string[]> {
  return (await kc.makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata?.name ?? '');
}

test('a short data directory: the operator on the Unix socket, kubectl on the TLS port', async () => {
  const dataDir = join(dir, 'short');
  const kube = await connectKube(config(dataDir), silentLogger());
  try {
    assert.equal(kube.kubeConfig.getCurrentCluster()?.server, 'http://localhost');
    assert.ok(existsSync(join(dataDir, 'apiserver', 'api.sock')));
    assert.ok((await namespaces(kube.kubeConfig)).includes('default'));
    const kubectl = new KubeConfig();
    kubectl.loadFromFile(kube.kubeconfigPath ?? '');
    assert.match(kubectl.getCurrentCluster()?.server ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok((await namespaces(kubectl)).includes('default'));
  } finally {
    await closeConnections(kube.kubeConfig);
    await kube.embedded?.close();
  }
});

test('a data directory too long for a socket address: the operator uses the TLS port', async () => {
  const dataDir = join(dir, 'x'.repeat(120));
  mkdirSync(dataDir, { recursive: true });
  const kube = await connectKube(config(dataDir), silentLogger());
  try {
    assert.match(kube.kubeConfig.getCurrentCluster()?.server ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(existsSync(join(dataDir, 'apiserver', 'api.sock')), false);
    assert.ok((await namespaces(kube.kubeConfig)).includes('default'));
  } finally {
    await closeConnections(kube.kubeConfig);
    await kube.embedded?.close();
  }
});
