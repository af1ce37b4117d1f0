// Group commit in the embedded API server: one disk sync covers every write committed before it
// started, a client's write is answered only after such a sync, and a failed sync stops all
// writes (the disk may have lost what memory holds).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Core } from '../../../src/apiserver/handlers/core.ts';
import { createRequestHandler } from '../../../src/apiserver/http/server.ts';
import { builtinTypes } from '../../../src/apiserver/registry/builtins.ts';
import { Registry } from '../../../src/apiserver/registry/registry.ts';
import { GroupCommit } from '../../../src/apiserver/storage/group-commit.ts';
import { MemoryPersistence } from '../../../src/apiserver/storage/memory.ts';
import { ObjectStore } from '../../../src/apiserver/store.ts';
import { WatchHub } from '../../../src/apiserver/watch/hub.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { eventually } from '../../helpers/eventually.ts';

/** A sync that completes only when the test says so; counts how often it was asked. */
class GatedSync {
  calls = 0;
  private gates: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  readonly sync = (): Promise<void> => {
    this.calls += 1;
    return new Promise<void>((resolve, reject) => this.gates.push({ resolve, reject }));
  };
  get pending(): number {
    return this.gates.length;
  }
  release(): void {
    this.gates.shift()?.resolve();
  }
  fail(err: Error): void {
    this.gates.shift()?.reject(err);
  }
}

class GatedPersistence extends MemoryPersistence {
  readonly gate = new GatedSync();
  override sync(): Promise<void> {
    return this.gate.sync();
  }
}

const configMap = (name: string): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { k: name } });

/** Settles the promise's state into a flag the test can read without awaiting it. */
function track(p: Promise<unknown>): { settled: boolean; error: unknown } {
  const state = { settled: false, error: undefined as unknown };
  p.then(
    () => (state.settled = true),
    (err: unknown) => {
      state.settled = true;
      state.error = err;
    },
  );
  return state;
}

test('one sync covers every write committed before it started; later writes wait for the next', async () => {
  const gate = new GatedSync();
  const gc = new GroupCommit(gate.sync, 10);
  assert.ok(gc.idle);
  gc.committed(11);
  gc.committed(12);
  const first = track(gc.durable(12));
  await eventually('the first sync started', () => gate.pending === 1);
  gc.committed(13);
  const second = track(gc.durable(13));
  await new Promise((r) => setImmediate(r));
  assert.equal(gate.calls, 1, 'no second sync while the first runs');
  assert.equal(first.settled, false, 'not durable before the sync finished');
  gate.release();
  await eventually('version 12 durable', () => first.settled);
  assert.equal(second.settled, false, 'version 13 was committed after the first sync started');
  await eventually('the second sync started', () => gate.pending === 1);
  gate.release();
  await eventually('version 13 durable', () => second.settled);
  assert.equal(gate.calls, 2);
  assert.equal(gc.syncs, 2);
  assert.ok(gc.idle);
  await gc.durable(13);
  assert.equal(gate.calls, 2, 'an already durable version needs no sync');
});

test('a failed sync rejects its waiters, every later wait, and the store accepts no more writes', async () => {
  const persistence = new GatedPersistence();
  const store = new ObjectStore(persistence, new WatchHub(), 100);
  store.apply([{ key: '/configmaps', namespace: 'default', name: 'a', object: configMap('a') }]);
  const waiting = track(store.durable());
  await eventually('the sync started', () => persistence.gate.pending === 1);
  persistence.gate.fail(new Error('EIO: i/o error, fdatasync'));
  await eventually('the waiter rejected', () => waiting.settled);
  assert.match(String(waiting.error), /storage sync failed.*EIO/);
  await assert.rejects(store.durable(), /storage sync failed/);
  assert.throws(() => store.apply([{ key: '/configmaps', namespace: 'default', name: 'b', object: configMap('b') }]), /storage sync failed/);
  assert.equal(store.get('/configmaps', 'default', 'b'), undefined, 'the refused write changed nothing');
});

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

async function serve(persistence: GatedPersistence): Promise<{ core: Core; url: string }> {
  const hub = new WatchHub();
  const store = new ObjectStore(persistence, hub, 1000);
  const core = new Core(new Registry(builtinTypes()), store, hub, silentLogger(), { bookmarkIntervalMs: 60_000, maxWatchBufferBytes: 1 << 20 });
  core.commit([{ key: '/namespaces', namespace: '', name: 'default', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' }, status: { phase: 'Active' } } }]);
  // The namespace's own sync: let it finish so the test counts only its writes' syncs.
  await eventually('the namespace sync', () => persistence.gate.pending === 1);
  persistence.gate.release();
  await store.durable();
  persistence.gate.calls = 0;
  const handler = createRequestHandler(core, { token: 't', maxBodyBytes: 1 << 20, serverAddress: () => '', logger: silentLogger() });
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { core, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function create(url: string, name: string): Promise<Response> {
  return fetch(`${url}/api/v1/namespaces/default/configmaps`, {
    method: 'POST',
    headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
    body: JSON.stringify(configMap(name)),
  });
}

test('HTTP: a write is answered only after a sync that covers it, and concurrent writes share syncs', async () => {
  const persistence = new GatedPersistence();
  const { core, url } = await serve(persistence);

  const one = create(url, 'one');
  const answered = track(one);
  await eventually('committed, sync running', () => core.store.get('/configmaps', 'default', 'one') !== undefined && persistence.gate.pending === 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(answered.settled, false, 'no answer while the sync that covers the write runs');
  persistence.gate.release();
  assert.equal((await one).status, 201);

  persistence.gate.calls = 0;
  const many = Array.from({ length: 20 }, (_, i) => create(url, `cm-${i}`));
  // Hold the first sync until all 20 are committed: they then all ride on the next one.
  await eventually('20 writes committed', () => core.store.count('/configmaps', 'default') === 21 && persistence.gate.pending === 1);
  // Release syncs until every write is answered: the ones committed after the first sync
  // started ride on the next one (whether any did depends on how the requests arrived).
  const all = track(Promise.all(many));
  await eventually('every write answered', () => {
    if (persistence.gate.pending > 0) persistence.gate.release();
    return all.settled;
  });
  const codes = (await Promise.all(many)).map((r) => r.status);
  assert.deepEqual(codes, Array.from({ length: 20 }, () => 201));
  assert.ok(persistence.gate.calls <= 2, `20 writes took ${persistence.gate.calls} syncs`);
});
