// Regression tests of update and watch semantics: a terminating namespace stays until its
// content is gone (updates cannot release `spec.finalizers`), generation and no-op detection on
// the admitted (pruned, defaulted) object, the status subresource's verbs, ObjectMeta type
// checks (400 like the real decoder), and watch start versions / timeoutSeconds=0.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../../../src/apiserver/index.ts';
import { WIDGET_CRD, eventually, openWatch, raw, type RawResponse, type WatchStream } from './support.ts';

const JSON_CT = { 'Content-Type': 'application/json' };
const MERGE = { 'Content-Type': 'application/merge-patch+json' };
const WIDGETS = '/apis/example.com/v1/namespaces/default/widgets';

type Obj = Record<string, unknown>;
const meta = (o: Obj): Obj => o.metadata as Obj;

describe('update and watch semantics', () => {
  let srv: EmbeddedApiServer;
  const streams: WatchStream[] = [];
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = JSON_CT): Promise<RawResponse> =>
    raw(srv, method, path, body === undefined ? {} : { headers, body: JSON.stringify(body) });

  before(async () => {
    srv = await startEmbeddedApiServer({});
    const res = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', WIDGET_CRD);
    assert.equal(res.status, 201, res.text);
    await eventually('widgets served', async () => ((await call('GET', WIDGETS)).status === 200 ? true : undefined));
  });
  after(async () => {
    for (const s of streams) s.close();
    await srv.close();
  });

  test('a terminating namespace survives updates while its content remains; spec.finalizers only change through the server', async () => {
    assert.equal((await call('POST', '/api/v1/namespaces', { metadata: { name: 'held' } })).status, 201);
    // An update cannot drop spec.finalizers, also while the namespace is active.
    const put = (await call('GET', '/api/v1/namespaces/held')).json();
    const updated = await call('PUT', '/api/v1/namespaces/held', { ...put, spec: { finalizers: [] } });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual((updated.json().spec as Obj).finalizers, ['kubernetes']);

    const cm = await call('POST', '/api/v1/namespaces/held/configmaps', { metadata: { name: 'pinned', finalizers: ['example.com/hold'] } });
    assert.equal(cm.status, 201, cm.text);
    assert.equal((await call('DELETE', '/api/v1/namespaces/held')).status, 200);
    const patched = await call('PATCH', '/api/v1/namespaces/held', { metadata: { labels: { a: 'b' } } }, MERGE);
    assert.equal(patched.status, 200, patched.text);
    const ns = await call('GET', '/api/v1/namespaces/held');
    assert.equal(ns.status, 200, 'a label patch must not remove a namespace whose content still exists');
    assert.ok(meta(ns.json()).deletionTimestamp);
    assert.deepEqual((ns.json().spec as Obj).finalizers, ['kubernetes']);
    assert.deepEqual(meta(ns.json()).labels, { a: 'b' });
    const clearing = await call('PATCH', '/api/v1/namespaces/held', { spec: { finalizers: null } }, MERGE);
    assert.equal(clearing.status, 200, clearing.text);
    assert.equal((await call('GET', '/api/v1/namespaces/held')).status, 200, 'a patch of spec.finalizers does not release the namespace');
    assert.equal((await call('GET', '/api/v1/namespaces/held/configmaps/pinned')).status, 200);
    assert.equal((await call('POST', '/api/v1/namespaces', { metadata: { name: 'held' } })).status, 409);

    // Releasing the content's finalizer lets the namespace go.
    assert.equal((await call('PATCH', '/api/v1/namespaces/held/configmaps/pinned', { metadata: { finalizers: null } }, MERGE)).status, 200);
    await eventually('namespace removed', async () => ((await call('GET', '/api/v1/namespaces/held')).status === 404 ? true : undefined));
  });

  test('generation and no-op detection look at the admitted object (pruned unknown fields, defaults)', async () => {
    const created = await call('POST', WIDGETS, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'gen' }, spec: { size: 2 } });
    assert.equal(created.status, 201, created.text);
    const rv = String(meta(created.json()).resourceVersion);
    assert.equal(meta(created.json()).generation, 1);
    const w = await openWatch(srv, `${WIDGETS}?watch=true&resourceVersion=${rv}`);
    streams.push(w);

    const pruned = await call('PATCH', `${WIDGETS}/gen?fieldValidation=Ignore`, { spec: { bogus: 1 } }, MERGE);
    assert.equal(pruned.status, 200, pruned.text);
    assert.equal(meta(pruned.json()).generation, 1);
    assert.equal(meta(pruned.json()).resourceVersion, rv, 'a patch pruned to nothing writes nothing');
    const body = { ...pruned.json(), spec: { size: 2 } }; // omits the defaulted color
    const put = await call('PUT', `${WIDGETS}/gen`, body);
    assert.equal(put.status, 200, put.text);
    assert.equal(meta(put.json()).generation, 1);
    assert.equal(meta(put.json()).resourceVersion, rv, 'a PUT omitting a defaulted field writes nothing');
    assert.deepEqual(put.json().spec, { size: 2, color: 'red' });

    const real = await call('PATCH', `${WIDGETS}/gen`, { spec: { size: 3 } }, MERGE);
    assert.equal(meta(real.json()).generation, 2);
    await eventually('the real change arrives', () => (w.events.length > 0 ? true : undefined));
    assert.equal(w.events[0]?.type, 'MODIFIED');
    assert.equal(meta(w.events[0].object).resourceVersion, meta(real.json()).resourceVersion, 'no event for the no-op writes');
  });

  test('the status subresource serves only get, update and patch', async () => {
    assert.equal((await call('POST', WIDGETS, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'st' }, spec: { size: 1 } })).status, 201);
    for (const [method, path] of [['DELETE', `${WIDGETS}/st/status`], ['GET', `${WIDGETS}/st/status?watch=true`], ['POST', `${WIDGETS}/st/status`]] as const) {
      const res = await call(method, path, method === 'POST' ? {} : undefined);
      assert.equal(res.status, 405, `${method} ${path}: ${res.text}`);
      assert.equal(res.json().reason, 'MethodNotAllowed');
    }
    assert.equal((await call('GET', `${WIDGETS}/st`)).status, 200, 'DELETE on /status does not delete the object');
    assert.equal((await call('GET', `${WIDGETS}/st/status`)).status, 200);
    assert.equal((await call('PATCH', `${WIDGETS}/st/status`, { status: { phase: 'Up' } }, MERGE)).status, 200);
  });

  test('malformed ObjectMeta is a 400 BadRequest, as from the real decoder', async () => {
    assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'typed' }, data: { a: 'b' } })).status, 201);
    const cms = '/api/v1/namespaces/default/configmaps';
    const cases: Array<[string, string, unknown, Record<string, string>?]> = [
      ['POST', cms, { metadata: { name: 'm1', labels: [1] } }],
      ['POST', cms, { metadata: { name: 'm2', labels: { a: 1 } } }],
      ['POST', cms, { metadata: { name: 'm3', annotations: 5 } }],
      ['POST', cms, { metadata: { name: 'm4', finalizers: 'x' } }],
      ['POST', cms, { metadata: { name: 'm5', finalizers: [1] } }],
      ['POST', cms, { metadata: { name: 'm6', ownerReferences: 'x' } }],
      ['POST', cms, { metadata: { name: 'm7', ownerReferences: [{ name: 1 }] } }],
      ['POST', cms, { metadata: { name: 'm8', managedFields: 'x' } }],
      ['POST', cms, { metadata: { name: 'm9', generateName: 5 } }],
      ['PATCH', `${cms}/typed`, { metadata: { finalizers: 'x' } }, MERGE],
      ['PATCH', `${cms}/typed`, { metadata: { resourceVersion: 5 } }, MERGE],
      ['PATCH', `${cms}/typed`, [{ op: 'add', path: '/metadata/annotations', value: 'x' }], { 'Content-Type': 'application/json-patch+json' }],
      ['POST', WIDGETS, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'm10', labels: 'x' }, spec: { size: 1 } }],
    ];
    for (const [method, path, body, headers] of cases) {
      const res = await call(method, path, body, headers);
      assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.json().reason, 'BadRequest');
      assert.match(String(res.json().message), /cannot be handled as a (ConfigMap|Widget): json: cannot unmarshal/);
    }
    const apply = await raw(srv, 'PATCH', `${cms}/typed?fieldManager=m`, {
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typed, managedFields: [{manager: 3}]}\n',
    });
    assert.equal(apply.status, 400, apply.text);
    const stored = (await call('GET', `${cms}/typed`)).json();
    assert.equal(meta(stored).finalizers, undefined);
    assert.equal(meta(stored).annotations, undefined);
    // null decodes to the zero value, and well-typed metadata passes.
    const ok = await call('POST', cms, { metadata: { name: 'fine', labels: null, annotations: { a: 'b' }, finalizers: ['example.com/x'], ownerReferences: [] } });
    assert.equal(ok.status, 201, ok.text);
    assert.equal((await call('PATCH', `${cms}/fine`, { metadata: { finalizers: null } }, MERGE)).status, 200);
  });

  test('a watch from a version newer than the server’s ends with one 410 ERROR event (ResourceVersionTooLarge)', async () => {
    const list = (await call('GET', '/api/v1/namespaces/default/configmaps')).json();
    const future = Number(meta(list).resourceVersion) + 1000;
    const w = await openWatch(srv, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${future}`);
    streams.push(w);
    assert.equal(w.status, 200);
    await eventually('stream ends', () => (w.ended() ? true : undefined));
    assert.equal(w.events.length, 1);
    const [event] = w.events;
    assert.equal(event?.type, 'ERROR');
    assert.equal(event.object.code, 410);
    assert.equal(event.object.reason, 'Expired');
    assert.match(String(event.object.message), /too large resource version/);
    assert.deepEqual(((event.object.details as Obj).causes as Obj[]).map((c) => c.reason), ['ResourceVersionTooLarge']);
  });

  test('timeoutSeconds=0 means the server default, not an immediate close', async () => {
    const w = await openWatch(srv, '/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=0&fieldSelector=metadata.name%3Dlate');
    streams.push(w);
    assert.equal(w.status, 200);
    assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'late' } })).status, 201);
    await eventually('event on the open watch', () => (w.events.length > 0 || w.ended() ? true : undefined));
    assert.equal(w.ended(), false);
    assert.deepEqual(w.events.map((e) => `${e.type}:${String(meta(e.object).name)}`), ['ADDED:late']);
  });
});
