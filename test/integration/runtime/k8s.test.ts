import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';
import { isConflict, KubeApiError, KubeClient } from '../../../src/runtime/k8s.ts';
import { createNamespace, installCrd, widget, widgetKind, type Widget } from './helpers.ts';
import { eventually } from '../../helpers/eventually.ts';
import { kubeConfigAt, startProxy, type RecordingProxy } from './proxy.ts';

describe('KubeClient against the embedded API server', () => {
  let api: TestApiServer;
  let proxy: RecordingProxy;
  let client: KubeClient;
  before(async () => {
    api = await startTestApiServer({ tls: false });
    proxy = await startProxy(api.url, api.token);
    client = new KubeClient(proxy.kubeConfig);
    await installCrd(kubeConfigAt(api.url, api.token));
    await createNamespace(proxy.kubeConfig, 'paging');
    await eventually('the Widget kind to be served', async () => (await client.list(widgetKind)).items);
  });
  after(async () => {
    await proxy.close();
    await api.close();
  });

  test('create, get, list with paging, delete', async () => {
    for (const n of ['p1', 'p2', 'p3']) await client.create<Widget>(widgetKind, widget(n, 'paging'));
    const got = await client.get<Widget>(widgetKind, { namespace: 'paging', name: 'p2' });
    assert.equal(got?.spec?.size, 1);
    assert.equal(await client.get(widgetKind, { namespace: 'paging', name: 'nope' }), undefined);
    const before = proxy.requests.length;
    const all = await client.listAll<Widget>(widgetKind, { namespace: 'paging', limit: 2 });
    assert.deepEqual(all.items.map((w) => w.metadata?.name).sort(), ['p1', 'p2', 'p3']);
    assert.equal(proxy.requests.length - before, 2, 'two pages');
    assert.equal(typeof all.metadata.resourceVersion, 'string');
    assert.equal(await client.delete(widgetKind, { namespace: 'paging', name: 'p1' }), true);
    assert.equal(await client.delete(widgetKind, { namespace: 'paging', name: 'p1' }), false);
  });

  test('patches go out with the right content type, to the right subresource', async () => {
    const w = await client.create<Widget>(widgetKind, widget('ct'));
    const ref = { namespace: 'default', name: 'ct' };
    await client.patch(widgetKind, ref, { type: 'merge', body: { spec: { size: 2 } } });
    await client.patch(widgetKind, ref, { type: 'json', ops: [{ op: 'replace', path: '/spec/size', value: 3 }] });
    const st = await client.patch<Widget>(widgetKind, ref, { type: 'merge', body: { status: { phase: 'Up' }, spec: { size: 99 } } }, 'status');
    const patches = proxy.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/widgets/ct'));
    assert.deepEqual(
      patches.map((r) => [r.path.endsWith('/status') ? 'status' : 'main', r.contentType]),
      [
        ['main', 'application/merge-patch+json'],
        ['main', 'application/json-patch+json'],
        ['status', 'application/merge-patch+json'],
      ],
    );
    assert.equal(st.status?.phase, 'Up');
    assert.equal(st.spec?.size, 3, 'the status subresource ignores spec');
    assert.notEqual(st.metadata?.resourceVersion, w.metadata?.resourceVersion);
  });

  test('a stale resourceVersion in a merge patch is a 409 KubeApiError', async () => {
    const w = await client.create<Widget>(widgetKind, widget('stale'));
    const ref = { namespace: 'default', name: 'stale' };
    const rv = w.metadata!.resourceVersion!;
    await client.patch(widgetKind, ref, { type: 'merge', body: { metadata: { resourceVersion: rv }, status: { phase: 'A' } } }, 'status');
    const err = await client
      .patch(widgetKind, ref, { type: 'merge', body: { metadata: { resourceVersion: rv }, status: { phase: 'B' } } }, 'status')
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.code, 409);
    assert.equal(err.reason, 'Conflict');
    assert.ok(isConflict(err));
    await assert.rejects(client.create(widgetKind, widget('stale')), (e: unknown) => isConflict(e));
  });
});
