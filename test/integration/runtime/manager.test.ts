import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';
import type { ReconcileContext, ReconcileReport } from '../../../src/runtime/controller.ts';
import { crdKind } from '../../../src/runtime/crd-watch.ts';
import { KubeClient, refFromKey } from '../../../src/runtime/k8s.ts';
import { leaseKind, type Lease } from '../../../src/runtime/leader.ts';
import { Manager, type ManagerOptions } from '../../../src/runtime/manager.ts';
import { lastFailureReporter, StatusWriter } from '../../../src/runtime/status.ts';
import { installCrd, testLogger, widget, widgetKind, type Widget } from './helpers.ts';
import { eventually } from '../../helpers/eventually.ts';
import { kubeConfigAt } from './proxy.ts';

const servers: TestApiServer[] = [];
const managers: Manager[] = [];
after(async () => {
  for (const m of managers) await m.stop(1000);
  for (const s of servers) await s.close();
});

async function server(): Promise<{ api: TestApiServer; client: KubeClient }> {
  const api = await startTestApiServer({ tls: false });
  servers.push(api);
  return { api, client: new KubeClient(kubeConfigAt(api.url, api.token)) };
}

type Reconcile = (key: string, ctx: ReconcileContext, manager: Manager) => Promise<void>;

function manager(client: KubeClient, reconcile: Reconcile, extra: Partial<ManagerOptions> = {}, reports: ReconcileReport[] = []): Manager {
  const m = new Manager({
    client,
    logger: testLogger(),
    informers: { backoff: { initialMs: 50, maxMs: 500 } },
    ...extra,
  });
  m.add({
    name: 'widgets',
    for: widgetKind,
    workers: 2,
    reconcile: (key, ctx) => reconcile(key, ctx, m),
    failureReporter: lastFailureReporter({ client, kind: widgetKind, get: (key) => m.cache.get<Widget>(widgetKind, key) }),
    onReconcile: (r) => reports.push(r),
  });
  managers.push(m);
  return m;
}

/** The reconcile of the tests: status.observed := spec.size, read from the cache. */
function mirrorSize(client: KubeClient): Reconcile {
  const writer = new StatusWriter<NonNullable<Widget['status']>>({ client, kind: widgetKind });
  return async (key, _ctx, m) => {
    const w = m.cache.get<Widget>(widgetKind, key);
    if (!w) return;
    await writer.write(w, { observed: w.spec?.size ?? 0 });
  };
}

const observed = async (client: KubeClient, name: string): Promise<number | undefined> =>
  (await client.get<Widget>(widgetKind, { namespace: 'default', name }))?.status?.observed;

describe('Manager', () => {
  test('a CRD installed after start is picked up, removed and re-added without a restart', async () => {
    const { client } = await server();
    const m = manager(client, mirrorSize(client));
    m.start();
    await eventually('the CRD informer to sync', () => m.crds.hasSynced());
    assert.equal(m.ready(), false, 'not ready while the CRD is missing');
    assert.deepEqual(m.missingKinds().map((k) => k.plural), ['widgets']);
    assert.equal(m.healthy(), true, 'a missing CRD is not a liveness failure');

    await installCrd(client.kubeConfig);
    await eventually('ready once the CRD is established', () => m.ready());
    await client.create(widgetKind, widget('late', 'default', { size: 3 }));
    await eventually('the new kind to be reconciled', async () => (await observed(client, 'late')) === 3);

    await client.delete(crdKind, { name: 'widgets.test.gastown.io' });
    await eventually('not ready after the CRD is gone', () => !m.ready() && m.runningControllers().length === 0);

    await installCrd(client.kubeConfig);
    await eventually('the Widget kind to be served again', async () => (await client.list(widgetKind)).items);
    await client.create(widgetKind, widget('again', 'default', { size: 4 }));
    await eventually('reconciled after the CRD came back', async () => (await observed(client, 'again')) === 4);
    assert.equal(m.ready(), true);
  });

  test('a stale-version status write conflicts, is requeued quietly and then succeeds; failures show in lastFailure', async () => {
    const { client } = await server();
    await installCrd(client.kubeConfig);
    await eventually('the Widget kind', async () => (await client.list(widgetKind)).items);
    const reports: ReconcileReport[] = [];
    const base = mirrorSize(client);
    const staleWriter = new StatusWriter<NonNullable<Widget['status']>>({ client, kind: widgetKind });
    let sabotaged = false;
    let failOnce = true;
    const m = manager(
      client,
      async (key, ctx, mgr) => {
        if (key === 'default/flaky' && failOnce) {
          failOnce = false;
          throw Object.assign(new Error('gt is unreachable'), { kind: 'Unavailable' });
        }
        if (key === 'default/race' && !sabotaged) {
          sabotaged = true;
          // Someone else writes between our cache read and our status write. (Patching first and
          // then reading the cache raced the watch event: the server may deliver it before it
          // answers the patch, as a real one may.)
          const read = mgr.cache.get<Widget>(widgetKind, key);
          await client.patch(widgetKind, refFromKey(key), { type: 'merge', body: { spec: { size: 8 } } });
          if (read !== undefined) await staleWriter.write(read, { observed: read.spec?.size ?? 0 });
        }
        await base(key, ctx, mgr);
      },
      {},
      reports,
    );
    m.start();
    await eventually('ready', () => m.ready());
    await client.create(widgetKind, widget('race', 'default', { size: 1 }));
    await eventually('the status to reflect the latest spec', async () => (await observed(client, 'race')) === 8);
    assert.ok(reports.some((r) => r.errorType === 'conflict' && r.result === 'requeue'), 'the stale write conflicted');

    await client.create(widgetKind, widget('flaky', 'default', { size: 2 }));
    await eventually('lastFailure to be set', async () => {
      const w = await client.get<Widget>(widgetKind, { namespace: 'default', name: 'flaky' });
      return w?.status?.lastFailure?.reason === 'Unavailable' || (await observed(client, 'flaky')) === 2;
    });
    await eventually('success to clear lastFailure', async () => {
      const w = await client.get<Widget>(widgetKind, { namespace: 'default', name: 'flaky' });
      return w?.status?.observed === 2 && w.status.lastFailure === undefined;
    });
    assert.ok(reports.some((r) => r.result === 'error' && r.errorType === 'Unavailable'));
  });

  test('stop drains in-flight reconciles, and cancels them at the deadline', async () => {
    const { client } = await server();
    await installCrd(client.kubeConfig);
    await eventually('the Widget kind', async () => (await client.list(widgetKind)).items);
    const started: string[] = [];
    const finished: string[] = [];
    const m = manager(client, async (key, ctx) => {
      started.push(key);
      await new Promise((r) => setTimeout(r, 600));
      finished.push(key);
      assert.equal(ctx.signal.aborted, false);
    });
    m.start();
    await eventually('ready', () => m.ready());
    await client.create(widgetKind, widget('slow'));
    await eventually('the reconcile to start', () => started.length === 1);
    const result = await m.stop(10_000);
    assert.deepEqual(result, { drained: true });
    assert.deepEqual(finished, ['default/slow'], 'the in-flight reconcile finished before stop resolved');
    assert.equal(m.ready(), false);

    const stuck: AbortSignal[] = [];
    const m2 = manager(client, (_key, ctx) => {
      stuck.push(ctx.signal);
      return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
    });
    m2.start();
    await eventually('the stuck reconcile to start', () => stuck.length >= 1);
    const t0 = Date.now();
    assert.deepEqual(await m2.stop(300), { drained: false });
    assert.ok(Date.now() - t0 < 5000, 'stop honours its deadline');
    assert.equal(stuck[0]!.aborted, true, 'the reconcile was told to stop');
  });

  test('two managers on one API server: one reconciles; kill hands over within the lease, a clean stop at once', async () => {
    const { client } = await server();
    await installCrd(client.kubeConfig);
    await eventually('the Widget kind', async () => (await client.list(widgetKind)).items);
    const leaseDurationMs = 3000;
    const election = { namespace: 'default', name: 'widgets-leader', leaseDurationMs, renewDeadlineMs: 2000, retryPeriodMs: 200 };
    const seen = new Map<string, Set<string>>();
    const tracking = (id: string): Reconcile => {
      const inner = mirrorSize(client);
      return async (key, ctx, m) => {
        if (!seen.has(id)) seen.set(id, new Set());
        seen.get(id)!.add(key);
        await inner(key, ctx, m);
      };
    };
    const a = manager(client, tracking('a'), { identity: 'a', leaderElection: election });
    const b = manager(client, tracking('b'), { identity: 'b', leaderElection: election });
    a.start();
    b.start();
    await eventually('one leader', () => a.isLeader() !== b.isLeader());
    await eventually('both ready (leader and standby)', () => a.ready() && b.ready());
    for (const n of ['w1', 'w2', 'w3']) await client.create(widgetKind, widget(n, 'default', { size: 5 }));
    await eventually('all reconciled', async () => (await Promise.all(['w1', 'w2', 'w3'].map((n) => observed(client, n)))).every((v) => v === 5));
    const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
    assert.deepEqual([...seen.keys()], [leader.identity], 'only the leader reconciled');

    // Kill the leader: no release, so the standby waits for the lease to run out.
    const killedAt = Date.now();
    await leader.stop(1000, { releaseLease: false });
    await eventually('the standby to take over', () => standby.isLeader(), leaseDurationMs * 3);
    const killHandover = Date.now() - killedAt;
    assert.ok(killHandover <= leaseDurationMs + 2500, `handover after a kill took ${killHandover} ms`);
    await client.create(widgetKind, widget('w4', 'default', { size: 6 }));
    await eventually('the new leader reconciles', async () => (await observed(client, 'w4')) === 6);
    assert.ok(seen.get(standby.identity)?.has('default/w4'));

    // A clean stop releases the lease: a fresh standby takes over at its next retry.
    const c = manager(client, tracking('c'), { identity: 'c', leaderElection: election });
    c.start();
    await eventually('c to be a ready standby', () => c.ready() && !c.isLeader());
    const stoppedAt = Date.now();
    await standby.stop(1000);
    await eventually('c to take over', () => c.isLeader(), leaseDurationMs * 3);
    const cleanHandover = Date.now() - stoppedAt;
    assert.ok(cleanHandover < leaseDurationMs / 2, `handover after a clean stop took ${cleanHandover} ms`);
    const lease = await client.get<Lease>(leaseKind, { namespace: 'default', name: 'widgets-leader' });
    assert.equal(lease?.spec?.holderIdentity, 'c');
    assert.equal(lease?.spec?.leaseTransitions, 2);
    assert.match(lease?.spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  test('leader-only runnables run only on the leader and move with the lease; enqueue reaches a running controller', async () => {
    const { client } = await server();
    await installCrd(client.kubeConfig);
    await eventually('the Widget kind', async () => (await client.list(widgetKind)).items);
    const election = { namespace: 'default', name: 'runnables-leader', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 200 };
    const running = new Set<string>();
    const keysSeen: string[] = [];
    const make = (id: string): Manager => {
      const m = manager(client, (key) => { keysSeen.push(`${id}:${key}`); return Promise.resolve(); }, { identity: id, leaderElection: election });
      m.addRunnable({
        name: 'town-sync',
        needs: [widgetKind],
        run: async (signal) => {
          running.add(id);
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          running.delete(id);
        },
      });
      return m;
    };
    const a = make('ra');
    const b = make('rb');
    a.start();
    b.start();
    await eventually('one leader', () => a.isLeader() !== b.isLeader());
    const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
    await eventually('the runnable on the leader', () => running.has(leader.identity));
    assert.equal(running.has(standby.identity), false, 'a standby never runs leader-only tasks');

    await eventually('the controller running', () => leader.runningControllers().includes('widgets'));
    assert.equal(standby.enqueue('widgets', ['default/external']), false, 'a standby has no running controller');
    assert.equal(leader.enqueue('widgets', ['default/external']), true);
    await eventually('the externally enqueued key reconciled', () => keysSeen.includes(`${leader.identity}:default/external`));

    await leader.stop(1000);
    assert.equal(running.has(leader.identity), false, 'stop aborts the runnable');
    await eventually('the runnable moves to the new leader', () => running.has(standby.identity), 9000);
  });

  test('a lost lease cancels in-flight reconciles at once instead of draining them', async () => {
    const { client } = await server();
    await installCrd(client.kubeConfig);
    await eventually('the Widget kind', async () => (await client.list(widgetKind)).items);
    const election = { namespace: 'default', name: 'lost-leader', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 200 };
    let started = 0;
    let cancelledAt = 0;
    const m = manager(client, async (_key, ctx) => {
      started = Date.now();
      // A reconcile that runs until cancelled (a slow gt call honours the same signal).
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      cancelledAt = Date.now();
    }, { identity: 'holder', leaderElection: election, shutdownDeadlineMs: 60_000 });
    m.start();
    await eventually('leadership', () => m.isLeader());
    await client.create(widgetKind, widget('slow', 'default', { size: 1 }));
    await eventually('the reconcile in flight', () => started > 0);
    // Another identity takes the lease over: our renewals fail until the renew deadline passes.
    // Read-modify-write races the holder's own renewals (every 200 ms): retry on a conflict.
    await eventually('the lease taken over', async () => {
      const lease = await client.get<Lease>(leaseKind, { namespace: 'default', name: 'lost-leader' });
      const future = new Date(Date.now() + 600_000).toISOString().replace('Z', '000Z');
      await client.replace(leaseKind, { ...lease!, spec: { ...lease!.spec, holderIdentity: 'usurper', renewTime: future, acquireTime: future } });
      return true;
    });
    const lostAt = Date.now();
    await eventually('leadership lost', () => !m.isLeader(), 10_000);
    await eventually('the reconcile cancelled', () => cancelledAt > 0, 10_000);
    assert.ok(cancelledAt - lostAt < 5_000, `cancelled ${cancelledAt - lostAt} ms after the takeover, far below the 60 s drain deadline`);
  });
});
