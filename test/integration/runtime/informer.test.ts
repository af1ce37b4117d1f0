import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';
import { Informer, type InformerOptions } from '../../../src/runtime/informer.ts';
import { KubeClient, objectKey } from '../../../src/runtime/k8s.ts';
import { labelIndex } from '../../../src/runtime/store.ts';
import { installCrd, testLogger, widget, widgetKind, type Widget } from './helpers.ts';
import { eventually } from '../../helpers/eventually.ts';
import { kubeConfigAt, startProxy, type RecordingProxy } from './proxy.ts';

interface Bed {
  api: TestApiServer;
  proxy: RecordingProxy;
  /** Straight to the server, around the proxy. */
  direct: KubeClient;
  informer: Informer<Widget>;
  events: string[];
  abort: AbortController;
  done: Promise<void>;
}

const beds: Bed[] = [];
after(async () => {
  for (const b of beds) {
    b.abort.abort();
    await b.done;
    await b.proxy.close();
    await b.api.close();
  }
});

async function bed(server: { watchHistory?: number; bookmarkIntervalMs?: number }, options: Partial<InformerOptions<Widget>> = {}): Promise<Bed> {
  const api = await startTestApiServer({ tls: false, ...server });
  const proxy = await startProxy(api.url, api.token);
  const direct = new KubeClient(kubeConfigAt(api.url, api.token));
  await installCrd(direct.kubeConfig);
  await eventually('the Widget kind', async () => (await direct.list(widgetKind)).items);
  const informer = new Informer<Widget>({
    client: new KubeClient(proxy.kubeConfig),
    kind: widgetKind,
    backoff: { initialMs: 50, maxMs: 400 },
    idleTimeoutMs: 20_000,
    logger: testLogger(),
    ...options,
  });
  const events: string[] = [];
  informer.addHandlers({
    add: (o) => events.push(`add ${objectKey(o)}`),
    update: (a, b) => events.push(a === b ? `resync ${objectKey(b)}` : `update ${objectKey(b)}`),
    delete: (o) => events.push(`delete ${objectKey(o)}`),
  });
  const abort = new AbortController();
  const b: Bed = { api, proxy, direct, informer, events, abort, done: Promise.resolve() };
  beds.push(b);
  return b;
}

function start(b: Bed): void {
  b.done = b.informer.run(b.abort.signal);
}

/** The cache holds exactly what the server holds, at the same versions. */
async function consistent(b: Bed): Promise<boolean> {
  const server = await b.direct.listAll<Widget>(widgetKind);
  const want = new Map(server.items.map((o) => [objectKey(o), o.metadata?.resourceVersion]));
  const have = new Map(b.informer.store.list().map((o) => [objectKey(o), o.metadata?.resourceVersion]));
  if (want.size !== have.size) return false;
  for (const [k, rv] of want) if (have.get(k) !== rv) return false;
  return true;
}

const bump = (b: Bed, name: string, size: number): Promise<Widget> =>
  b.direct.patch<Widget>(widgetKind, { namespace: 'default', name }, { type: 'merge', body: { spec: { size } } });

describe('Informer', () => {
  test('lists, then follows the watch: add, update, delete, and indexes', async () => {
    const b = await bed({}, { indexers: { byOwner: (w: Widget) => (w.spec?.owner ? [w.spec.owner] : []) } });
    await b.direct.create(widgetKind, widget('a', 'default', { owner: 'ann' }));
    await b.direct.create(widgetKind, widget('b', 'default', { owner: 'bob' }));
    assert.equal(b.informer.hasSynced(), false);
    start(b);
    assert.equal(await b.informer.waitForSync(AbortSignal.timeout(10_000)), true);
    assert.equal(b.informer.store.size, 2);
    assert.deepEqual(b.events.sort(), ['add default/a', 'add default/b']);
    await b.direct.create(widgetKind, widget('c', 'default', { owner: 'ann' }));
    await bump(b, 'a', 5);
    await b.direct.delete(widgetKind, { namespace: 'default', name: 'b' });
    await eventually('the cache to follow', () => consistent(b));
    assert.deepEqual(b.events.slice(2), ['add default/c', 'update default/a', 'delete default/b']);
    assert.equal(b.informer.store.get('default/a')?.spec?.size, 5);
    assert.deepEqual(b.informer.store.byIndex('byOwner', 'ann').map(objectKey).sort(), ['default/a', 'default/c']);
    const watch = b.proxy.requests.find((r) => r.path.includes('watch=true'))!;
    assert.match(watch.path, /allowWatchBookmarks=true/);
    assert.match(watch.path, /timeoutSeconds=\d+/);
    assert.match(watch.path, /resourceVersion=/);
  });

  test('broken watches and an unreachable server end in a consistent cache', async () => {
    const b = await bed({});
    for (const n of ['a', 'b', 'c']) await b.direct.create(widgetKind, widget(n));
    start(b);
    await b.informer.waitForSync(AbortSignal.timeout(10_000));
    // Cut the connections a few times while the server keeps changing.
    for (let i = 0; i < 3; i++) {
      b.proxy.breakConnections();
      await bump(b, 'a', 10 + i);
    }
    // Then be unreachable while an object is deleted and another created.
    b.proxy.setRefusing(true);
    await b.direct.delete(widgetKind, { namespace: 'default', name: 'b' });
    await b.direct.create(widgetKind, widget('d'));
    await bump(b, 'c', 7);
    await new Promise((r) => setTimeout(r, 300));
    b.proxy.setRefusing(false);
    await eventually('the cache to converge after the outage', () => consistent(b));
    assert.ok(b.events.includes('delete default/b'), 'the relist diff reported the deletion missed while away');
    assert.ok(b.events.includes('add default/d'));
    const stats = b.informer.stats();
    assert.ok(stats.failures >= 1, `watch failures were seen (${JSON.stringify(stats)})`);
    assert.ok(stats.lists >= 2, 'it relisted');
    // Still following the watch afterwards.
    await bump(b, 'd', 42);
    await eventually('a later change', () => b.informer.store.get('default/d')?.spec?.size === 42);
  });

  test('410 Gone on a watch (history outrun) relists and ends consistent', async () => {
    const b = await bed({ watchHistory: 5 });
    for (const n of ['a', 'b']) await b.direct.create(widgetKind, widget(n));
    start(b);
    await b.informer.waitForSync(AbortSignal.timeout(10_000));
    // Make sure the first watch is live (a change arrives through it) before cutting it.
    await bump(b, 'a', 2);
    await eventually('the first watch to deliver', () => b.informer.store.get('default/a')?.spec?.size === 2);
    const watchesBefore = b.proxy.requests.filter((r) => r.path.includes('watch=true')).length;
    // The next watch is held back until the server's history no longer reaches its version.
    b.proxy.holdWatches(true);
    b.proxy.breakConnections();
    await eventually('the held-back watch', () => b.proxy.requests.filter((r) => r.path.includes('watch=true')).length > watchesBefore);
    for (let i = 0; i < 12; i++) await bump(b, i % 2 ? 'a' : 'b', 100 + i);
    await b.direct.delete(widgetKind, { namespace: 'default', name: 'a' });
    b.proxy.holdWatches(false);
    await eventually('a 410 to be handled', () => b.informer.stats().expired >= 1);
    await eventually('the cache to converge after 410', () => consistent(b));
    assert.equal(b.informer.store.has('default/a'), false);
    assert.equal(b.informer.store.get('default/b')?.spec?.size, 110);
  });

  test('an idle watch is restarted from its version without a relist', async () => {
    const b = await bed({ bookmarkIntervalMs: 600_000 }, { idleTimeoutMs: 250 });
    await b.direct.create(widgetKind, widget('a'));
    start(b);
    await b.informer.waitForSync(AbortSignal.timeout(10_000));
    await eventually('several idle restarts', () => b.informer.stats().watches >= 4);
    assert.equal(b.informer.stats().lists, 1, 'no relist for an idle watch');
    await bump(b, 'a', 9);
    await eventually('a change after idle restarts', () => b.informer.store.get('default/a')?.spec?.size === 9);
  });

  test('periodic resync re-emits every cached object', async () => {
    const b = await bed({}, { resyncMs: 100 });
    await b.direct.create(widgetKind, widget('a'));
    await b.direct.create(widgetKind, widget('b'));
    start(b);
    await b.informer.waitForSync(AbortSignal.timeout(10_000));
    await eventually('two resyncs of each object', () =>
      ['default/a', 'default/b'].every((k) => b.events.filter((e) => e === `resync ${k}`).length >= 2),
    );
  });

  test('label-index helper works on live objects', async () => {
    const b = await bed({}, { indexers: { team: labelIndex<Widget>('team') } });
    await b.direct.create(widgetKind, { metadata: { name: 'l', namespace: 'default', labels: { team: 'x' } }, spec: {} });
    start(b);
    await b.informer.waitForSync(AbortSignal.timeout(10_000));
    assert.deepEqual(b.informer.store.byIndex('team', 'x').map(objectKey), ['default/l']);
  });
});
