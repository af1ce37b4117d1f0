// shareConnections: API requests through one KubeConfig reuse one TLS connection instead of a
// handshake per request (client-node's default), and closeConnections lets the process go.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { generateServingCert } from '../../../src/apiserver/tls.ts';
import { closeConnections, shareConnections } from '../../../src/runtime/connections.ts';
import { KubeClient, type ResourceKind } from '../../../src/runtime/k8s.ts';

const KIND: ResourceKind = { group: 'example.io', version: 'v1', plural: 'things', kind: 'Thing', namespaced: false };

let server: Server;
let handshakes = 0;
let caPem = '';
let url = '';

before(async () => {
  const cert = generateServingCert('127.0.0.1');
  caPem = cert.certPem;
  server = createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ kind: 'ThingList', apiVersion: 'example.io/v1', metadata: { resourceVersion: '1' }, items: [] }));
  });
  server.on('secureConnection', () => {
    handshakes++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, caData: Buffer.from(caPem).toString('base64') }],
    users: [{ name: 'u', token: 'secret' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

async function handshakesFor(kc: KubeConfig, requests: number): Promise<number> {
  const before = handshakes;
  const client = new KubeClient(kc);
  for (let i = 0; i < requests; i++) await client.list(KIND);
  return handshakes - before;
}

test('without sharing, client-node opens a TLS connection per request', async () => {
  assert.equal(await handshakesFor(kubeConfig(), 3), 3);
});

// undici may open a second socket while the first one's response is being released, then
// alternates between the two: a small pool, never a connection per request.
test('shared: requests reuse kept-alive TLS connections', async () => {
  const kc = shareConnections(kubeConfig());
  assert.equal(shareConnections(kc), kc, 'idempotent');
  const opened = await handshakesFor(kc, 10);
  assert.ok(opened >= 1 && opened <= 2, `${opened} handshakes for 10 requests`);
  await closeConnections(kc);
  const reopened = await handshakesFor(kc, 10);
  assert.ok(reopened >= 1 && reopened <= 2, `after close, a new pool: ${reopened} handshakes`);
  await closeConnections(kc);
});
