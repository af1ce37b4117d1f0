// How the operator reaches its embedded API server: over the Unix socket in the data directory
// when the path fits a socket address, else over the TLS port; the kubeconfig for kubectl names
// the TLS port either way. And an external API server that does not answer at start-up: one
// warning naming the setting that chose it (a KUBECONFIG left exported, usually).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { OperatorConfig } from '../../../src/operator/config.ts';
import { checkApiServer, connectKube, unreachableHint, type KubeOrigin } from '../../../src/operator/kube.ts';
import { createLogger, silentLogger } from '../../../src/observability/logger.ts';
import { closeConnections } from '../../../src/runtime/connections.ts';
import { startTestApiServer } from '../../helpers/apiserver.ts';
import { writeKubeconfig } from '../../helpers/kubeconfig-file.ts';
import { LogCapture } from '../../helpers/log-capture.ts';
import { freePort } from '../../helpers/process.ts';

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

test('unreachableHint names the setting that chose the server, and the way to the embedded one where it applies', () => {
  const server = 'https://10.0.0.1:6443';
  assert.equal(unreachableHint({ kind: 'env', paths: ['/a/config', '/b/config'], server }), 'KUBECONFIG=/a/config:/b/config names it: unset KUBECONFIG, or pass --embedded to run on the embedded API server instead');
  assert.equal(unreachableHint({ kind: 'home', paths: ['/root/.kube/config'], server }), '/root/.kube/config names it (no KUBECONFIG set): pass --embedded to run on the embedded API server instead');
  assert.equal(unreachableHint({ kind: 'explicit', paths: ['/etc/kc'], server }), '--kubeconfig /etc/kc names it');
  assert.match(unreachableHint({ kind: 'in-cluster', server }), /service account/);
});

/** A KubeConfig loaded from a kubeconfig file naming `server`, as the operator loads a user's. */
function kubeconfigFor(name: string, server: string): { file: string; kc: KubeConfig } {
  const file = writeKubeconfig(join(dir, name), server);
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return { file, kc };
}

/** Starts `server` on a free loopback port; its URL with `scheme`. */
async function listenLocal(server: Server | NetServer, scheme: 'http' | 'https'): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('not listening on a TCP port');
  return `${scheme}://127.0.0.1:${address.port}`;
}

async function check(origin: KubeOrigin, kubeConfig: KubeConfig, timeoutMs?: number): Promise<{ ok: boolean; lines: Record<string, unknown>[] }> {
  const out = new LogCapture();
  const ok = await checkApiServer({ kubeConfig, source: origin.server, origin }, createLogger({ destination: out }), timeoutMs);
  return { ok, lines: out.lines() };
}

test('an external API server refusing connections: one warning with the reason and the hint, and the check returns', async () => {
  const server = `https://127.0.0.1:${await freePort()}`;
  const { file, kc } = kubeconfigFor('refused', server);
  const { ok, lines } = await check({ kind: 'env', paths: [file], server }, kc);
  assert.equal(ok, false);
  const warnings = lines.filter((l) => l.level === 40);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]?.server, server);
  assert.match(String(warnings[0]?.msg), new RegExp(`^API server ${server} does not answer \\(.*ECONNREFUSED.*\\); the operator keeps retrying it\\. KUBECONFIG=${file} names it: unset KUBECONFIG`));
});

test('an external API server that accepts and never answers: the warning after the timeout', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => sockets.add(s));
  const server = await listenLocal(silent, 'https');
  try {
    const { kc } = kubeconfigFor('silent', server);
    const { ok, lines } = await check({ kind: 'home', paths: ['/home/x/.kube/config'], server }, kc, 300);
    assert.equal(ok, false);
    assert.match(String(lines.find((l) => l.level === 40)?.msg), /does not answer \(no answer within 300 ms\).*\/home\/x\/\.kube\/config names it \(no KUBECONFIG set\)/);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('an external API server answering with an error status: the warning gives the status', async () => {
  const failing = createHttpServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', code: 503 }));
  });
  const server = await listenLocal(failing, 'http');
  try {
    const { kc } = kubeconfigFor('unavailable', server);
    const { ok, lines } = await check({ kind: 'explicit', paths: ['/k'], server }, kc);
    assert.equal(ok, false);
    assert.equal(String(lines.find((l) => l.level === 40)?.msg), `API server ${server} answered /version with HTTP 503; the operator keeps retrying it. --kubeconfig /k names it`);
  } finally {
    failing.closeAllConnections();
    await new Promise((resolve) => failing.close(resolve));
  }
});

test('an external API server that answers: no warning, its version logged', async () => {
  const api = await startTestApiServer();
  try {
    const { ok, lines } = await check({ kind: 'explicit', paths: ['/x'], server: api.url }, api.kubeConfig);
    assert.equal(ok, true);
    assert.deepEqual(lines.filter((l) => Number(l.level) >= 40), []);
    assert.match(String(lines.find((l) => l.msg === 'API server reachable')?.version), /^v1\.\d+/);
  } finally {
    await closeConnections(api.kubeConfig);
    await api.close();
  }
});
