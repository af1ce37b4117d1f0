// The embedded API server's Unix socket (the operator's own path to it, without TLS): mode
// 0600, the token still required, client-node requests and watches through
// socketKubeConfig, a stale socket left by a crash replaced, a live one or another file
// refused, and the socket file gone after close.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { startEmbeddedApiServer } from '../../../src/apiserver/index.ts';
import { closeConnections, socketKubeConfig } from '../../../src/runtime/connections.ts';
import { eventually } from '../../helpers/eventually.ts';

const dir = mkdtempSync(join(tmpdir(), 'apiserver-socket-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('served on a 0600 Unix socket: token required, client-node lists, creates and watches through it; the file goes at close', async () => {
  const dataDir = join(dir, 'a');
  const socketPath = join(dataDir, 'api.sock');
  const server = await startEmbeddedApiServer({ dataDir, socketPath });
  const kc = socketKubeConfig(socketPath, server.token);
  try {
    assert.equal(server.socketPath, socketPath);
    assert.ok(statSync(socketPath).isSocket());
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);

    const agent = new Agent({ connect: { socketPath } });
    const anonymous = await request('http://localhost/api/v1/namespaces', { dispatcher: agent });
    await anonymous.body.dump();
    assert.equal(anonymous.statusCode, 401, 'no token, no answer');
    await agent.close();

    const core = kc.makeApiClient(CoreV1Api);
    const namespaces = await core.listNamespace();
    assert.ok(namespaces.items.some((n) => n.metadata?.name === 'default'));

    const informer = makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    const seen: string[] = [];
    informer.on('add', (cm: V1ConfigMap) => seen.push(cm.metadata?.name ?? ''));
    await informer.start();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'over-the-socket' }, data: { k: 'v' } } });
    await eventually('the watch through the socket delivers the create', () => seen.includes('over-the-socket'));
    await informer.stop();
  } finally {
    await closeConnections(kc);
    await server.close();
  }
  assert.equal(existsSync(socketPath), false, 'the socket file is removed at close');
});

test('a stale socket (its server was killed) is replaced; a live socket or another file is refused', async () => {
  const dataDir = join(dir, 'b');
  const socketPath = join(dataDir, 'api.sock');
  // A process that listens on the path and dies by SIGKILL leaves the socket file behind.
  const first = await startEmbeddedApiServer({ dataDir });
  await first.close();
  const holder = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.once('exit', resolve));
  assert.ok(statSync(socketPath).isSocket(), 'the killed process left its socket');
  const server = await startEmbeddedApiServer({ dataDir, socketPath });
  try {
    const kc = socketKubeConfig(socketPath, server.token);
    assert.ok((await kc.makeApiClient(CoreV1Api).listNamespace()).items.length > 0);
    await closeConnections(kc);
  } finally {
    await server.close();
  }

  const live = createServer();
  await new Promise<void>((resolve) => live.listen(socketPath, resolve));
  try {
    await assert.rejects(startEmbeddedApiServer({ dataDir, socketPath }), /is in use: another API server runs on this data directory/);
  } finally {
    await new Promise<void>((resolve) => live.close(() => resolve()));
  }
  writeFileSync(socketPath, 'not a socket');
  await assert.rejects(startEmbeddedApiServer({ dataDir, socketPath }), /exists and is not a socket/);
});
