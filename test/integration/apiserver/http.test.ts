// Wire-level behaviour: auth, bad input, discovery documents, tables, and the watch stream
// (bookmarks, timeoutSeconds, selector transitions, exactly-once delivery after a list).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../../../src/apiserver/index.ts';
import { WIDGET_CRD, eventually, openWatch, raw, type WatchStream } from './support.ts';

const JSON_CT = { 'Content-Type': 'application/json' };

describe('embedded API server over HTTP', () => {
  let srv: EmbeddedApiServer;
  const streams: WatchStream[] = [];

  before(async () => {
    srv = await startEmbeddedApiServer({ bookmarkIntervalMs: 100, maxBodyBytes: 64 * 1024 });
    const res = await raw(srv, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { headers: JSON_CT, body: JSON.stringify(WIDGET_CRD) });
    assert.equal(res.status, 201, res.text);
  });
  after(async () => {
    for (const s of streams) s.close();
    await srv.close();
  });

  test('requests without a valid bearer token get 401 Unauthorized (health and version stay open)', async () => {
    for (const token of [null, 'wrong']) {
      const res = await raw(srv, 'GET', '/api/v1/namespaces', { token });
      assert.equal(res.status, 401);
      assert.equal(res.json().reason, 'Unauthorized');
    }
    assert.equal((await raw(srv, 'GET', '/healthz', { token: null })).status, 200);
    assert.equal((await raw(srv, 'GET', '/version', { token: null })).json().major, '1');
  });

  test('bad input gets the proper Status, never a crash', async () => {
    const cases: Array<[string, string, RawInit, number, string]> = [
      ['POST', '/api/v1/namespaces/default/configmaps', { headers: JSON_CT, body: '{not json' }, 400, 'BadRequest'],
      ['POST', '/api/v1/namespaces/default/configmaps', { headers: { 'Content-Type': 'text/plain' }, body: 'x' }, 415, 'UnsupportedMediaType'],
      ['POST', '/api/v1/namespaces/default/configmaps', { headers: JSON_CT, body: JSON.stringify({ metadata: { name: 'big' }, data: { x: 'y'.repeat(100_000) } }) }, 413, 'RequestEntityTooLarge'],
      ['POST', '/api/v1/namespaces/default/configmaps', { headers: JSON_CT, body: '[1,2]' }, 400, 'BadRequest'],
      ['POST', '/api/v1/namespaces/default/configmaps', { headers: JSON_CT, body: JSON.stringify({ kind: 'Secret', metadata: { name: 'k' } }) }, 400, 'BadRequest'],
      ['POST', '/api/v1/namespaces/default/configmaps', { headers: JSON_CT, body: JSON.stringify({ metadata: { name: 'Not_Valid' } }) }, 422, 'Invalid'],
      ['GET', '/apis/nope.example.com/v1/things', {}, 404, 'NotFound'],
      ['GET', '/apis/example.com/v1/namespaces/default/widgets/x/scale', {}, 404, 'NotFound'],
      ['PATCH', '/api/v1/namespaces/default/configmaps/x', { headers: { 'Content-Type': 'application/weird' }, body: '{}' }, 415, 'UnsupportedMediaType'],
      ['PUT', '/api/v1/namespaces/default/configmaps', { headers: JSON_CT, body: '{}' }, 405, 'MethodNotAllowed'],
      ['GET', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=abc', {}, 400, 'BadRequest'],
      ['GET', '/api/v1/namespaces/default/configmaps?resourceVersion=999999999', {}, 504, 'Timeout'],
      ['GET', '/api/v1/namespaces/default/configmaps', { headers: { Accept: 'application/vnd.kubernetes.protobuf' } }, 406, 'NotAcceptable'],
      ['GET', '/api/v1/namespaces/default/configmaps/%E0%A4%A', {}, 400, 'BadRequest'],
    ];
    for (const [method, path, init, code, reason] of cases) {
      const res = await raw(srv, method, path, init);
      assert.equal(res.status, code, `${method} ${path}: ${res.text}`);
      const status = res.json();
      assert.equal(status.kind, 'Status');
      assert.equal(status.reason, reason, `${method} ${path}`);
    }
    assert.equal((await raw(srv, 'GET', '/healthz', { token: null })).status, 200, 'still serving');
  });

  test('discovery: legacy and aggregated forms list the CRD with short names and categories', async () => {
    const list = (await raw(srv, 'GET', '/apis/example.com/v1')).json();
    const widgets = (list.resources as Array<Record<string, unknown>>).find((r) => r.name === 'widgets');
    assert.deepEqual(widgets?.shortNames, ['wd']);
    assert.deepEqual(widgets?.categories, ['toys']);
    assert.ok((list.resources as Array<Record<string, unknown>>).some((r) => r.name === 'widgets/status'));
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const agg = await raw(srv, 'GET', '/apis', { headers: { Accept: accept } });
    assert.equal(agg.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const groups = (agg.json().items as Array<{ metadata: { name: string } }>).map((g) => g.metadata.name);
    assert.ok(groups.includes('example.com') && groups.includes('coordination.k8s.io'));
    const legacy = (await raw(srv, 'GET', '/apis')).json();
    assert.equal(legacy.kind, 'APIGroupList');
  });

  test('tables use the CRD printer columns', async () => {
    await raw(srv, 'POST', '/apis/example.com/v1/namespaces/default/widgets', { headers: JSON_CT, body: JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 't1' }, spec: { size: 7 } }) });
    const res = await raw(srv, 'GET', '/apis/example.com/v1/namespaces/default/widgets', { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } });
    const table = res.json();
    assert.equal(table.kind, 'Table');
    assert.deepEqual((table.columnDefinitions as Array<{ name: string }>).map((c) => c.name), ['Name', 'Size', 'Color', 'Phase', 'Age']);
    assert.deepEqual((table.rows as Array<{ cells: unknown[] }>)[0]?.cells.slice(0, 3), ['t1', 7, 'red']);
  });

  test('watch from a list version delivers every later change exactly once, in order', async () => {
    const list = (await raw(srv, 'GET', '/api/v1/namespaces/default/configmaps')).json();
    const rv = String((list.metadata as Record<string, unknown>).resourceVersion);
    // Writes between the list and the watch must be replayed from history.
    for (let i = 0; i < 3; i += 1) await raw(srv, 'POST', '/api/v1/namespaces/default/configmaps', { headers: JSON_CT, body: JSON.stringify({ metadata: { name: `once-${i}` } }) });
    const w = await openWatch(srv, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`);
    streams.push(w);
    for (let i = 3; i < 6; i += 1) await raw(srv, 'POST', '/api/v1/namespaces/default/configmaps', { headers: JSON_CT, body: JSON.stringify({ metadata: { name: `once-${i}` } }) });
    await eventually('six events', () => (w.events.length >= 6 ? true : undefined));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(w.events.map((e) => `${e.type}:${String((e.object.metadata as Record<string, unknown>).name)}`), [0, 1, 2, 3, 4, 5].map((i) => `ADDED:once-${i}`));
  });

  test('watch without version: synthetic ADDED first; selector transitions become ADDED/DELETED; bookmarks; timeoutSeconds', async () => {
    await raw(srv, 'POST', '/api/v1/namespaces/default/configmaps', { headers: JSON_CT, body: JSON.stringify({ metadata: { name: 'sel', labels: { team: 'a' } } }) });
    const w = await openWatch(srv, '/api/v1/namespaces/default/configmaps?watch=true&labelSelector=team%3Da&allowWatchBookmarks=true&timeoutSeconds=2');
    streams.push(w);
    assert.equal(w.status, 200);
    const merge = { 'Content-Type': 'application/merge-patch+json' };
    await eventually('initial ADDED', () => (w.events.some((e) => e.type === 'ADDED') ? true : undefined));
    await raw(srv, 'PATCH', '/api/v1/namespaces/default/configmaps/sel', { headers: merge, body: JSON.stringify({ metadata: { labels: { team: 'b' } } }) });
    await raw(srv, 'PATCH', '/api/v1/namespaces/default/configmaps/sel', { headers: merge, body: JSON.stringify({ metadata: { labels: { team: 'a' } } }) });
    await raw(srv, 'DELETE', '/api/v1/namespaces/default/configmaps/sel');
    await eventually('stream end after timeoutSeconds', () => (w.ended() ? true : undefined), 10_000);
    const types = w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => e.type);
    assert.deepEqual(types, ['ADDED', 'DELETED', 'ADDED', 'DELETED']);
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    assert.ok(bookmark, 'a bookmark within 2s at a 100ms interval');
    assert.deepEqual(Object.keys(bookmark.object.metadata as Record<string, unknown>), ['resourceVersion']);
  });
});

type RawInit = { headers?: Record<string, string>; body?: string };
