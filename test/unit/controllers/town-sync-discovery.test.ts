import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Label, parsePolecat, type Polecat } from '../../../src/api/index.ts';
import { discoveredName, planDiscovery, PolecatDiscovery } from '../../../src/controllers/town-sync/discovery.ts';
import { KubeApiError, type KubeClient, type KubeObject } from '../../../src/runtime/k8s.ts';
import type { TownSnapshot } from '../../../src/controllers/town-sync/snapshot.ts';
import { bead, dataOf, gtError, polecat, rig } from './town-sync-fixtures.ts';

const NS = 'gastown-views';

function snapshot(polecats = [polecat('gastown', 'nux', 'gt-abc12'), polecat('gastown', 'toast')]): TownSnapshot {
  return { ok: true, ...dataOf({ rigs: [rig('gastown', 'operational', 'gt')], polecats, convoys: [], beads: new Map() }) };
}

function view(name: string, spec: Record<string, unknown>, extra: { labels?: Record<string, string>; status?: Record<string, unknown>; namespace?: string; deleting?: boolean } = {}): Polecat {
  return parsePolecat({
    metadata: {
      name, namespace: extra.namespace ?? NS, ...(extra.labels ? { labels: extra.labels } : {}),
      ...(extra.deleting ? { deletionTimestamp: '2026-04-01T12:00:00Z', finalizers: ['gastown.gastown.io/cleanup'] } : {}),
    },
    spec,
    ...(extra.status ? { status: extra.status } : {}),
  });
}

const discoveredLabels = (p: string) => ({ [Label.Discovered]: 'true', [Label.Rig]: 'gastown', [Label.Polecat]: p });

describe('planDiscovery', () => {
  test('creates a view per unfollowed gt polecat, spec matching what it does', () => {
    const plan = planDiscovery(snapshot(), [], NS);
    assert.deepEqual(plan.create.map((c) => [c.namespace, c.name, c.spec.desiredState, c.spec.beadID]), [
      [NS, 'gastown-nux', 'Working', 'gt-abc12'],
      [NS, 'gastown-toast', 'Idle', undefined],
    ]);
    assert.deepEqual(plan.create[0]!.labels, discoveredLabels('nux'));
    assert.deepEqual(plan.create[0]!.status, { gtName: 'nux', rig: 'gastown' });
  });

  test('a polecat followed by any Polecat (status, labels, or a sling in flight) gets no view', () => {
    const polecats = [
      view('mine', { rig: 'gastown', desiredState: 'Working', beadID: 'gt-abc12' }, { namespace: 'team' }),
      view('gastown-toast', { rig: 'gastown', desiredState: 'Idle' }, { labels: discoveredLabels('toast') }),
    ];
    assert.deepEqual(planDiscovery(snapshot(), polecats, NS), { create: [], updateSpec: [], delete: [], retire: [] });
    const followedByStatus = [view('x', { rig: 'gastown' }, { namespace: 'team', status: { gtName: 'nux', rig: 'gastown' } })];
    assert.deepEqual(planDiscovery(snapshot(), followedByStatus, NS).create.map((c) => c.name), ['gastown-toast']);
  });

  test('is idempotent: applying the plan then planning again plans nothing', () => {
    const first = planDiscovery(snapshot(), [], NS);
    const created = first.create.map((c) => view(c.name, c.spec, { labels: { ...c.labels } }));
    assert.deepEqual(planDiscovery(snapshot(), created, NS), { create: [], updateSpec: [], delete: [], retire: [] });
  });

  test('a vanished polecat: its discovered view is deleted, a user Polecat is left alone', () => {
    const polecats = [
      view('gastown-gone', { rig: 'gastown', desiredState: 'Idle' }, { labels: discoveredLabels('gone') }),
      view('users', { rig: 'gastown', desiredState: 'Idle' }, { namespace: 'team', status: { gtName: 'gone2', rig: 'gastown' } }),
    ];
    const plan = planDiscovery(snapshot([]), polecats, NS);
    assert.deepEqual(plan.delete, [{ namespace: NS, name: 'gastown-gone', polecat: 'gastown/gone' }]);
    assert.deepEqual(plan.create, []);
  });

  test('discovered views follow gt (Idle <-> Working) unless the user asked for Terminated', () => {
    const polecats = [
      view('gastown-nux', { rig: 'gastown', desiredState: 'Idle' }, { labels: discoveredLabels('nux') }),
      view('gastown-toast', { rig: 'gastown', desiredState: 'Terminated' }, { labels: discoveredLabels('toast') }),
    ];
    const plan = planDiscovery(snapshot(), polecats, NS);
    assert.deepEqual(plan.updateSpec, [{ namespace: NS, name: 'gastown-nux', spec: { rig: 'gastown', desiredState: 'Working', beadID: 'gt-abc12' } }]);
  });

  // With the beads database down, gt polecat list exits 0 and lists every polecat
  // working/stalled without an issue: that alone must not turn a Working view Idle.
  const working = () => [view('gastown-nux', { rig: 'gastown', desiredState: 'Working', beadID: 'gt-abc12' }, { labels: discoveredLabels('nux') })];
  const listedAs = (state: string): TownSnapshot => ({
    ok: true,
    ...dataOf({ rigs: [rig('gastown', 'operational', 'gt')], polecats: [polecat('gastown', 'nux', undefined, state)], convoys: [], beads: new Map() }),
  });
  const withBeadRead = (snap: TownSnapshot, beads: [string, string][], missing: string[] = []): TownSnapshot =>
    snap.ok ? { ...snap, beads: new Map(beads.map(([id, st]) => [id, bead(id, st)])), missingBeads: new Set(missing) } : snap;
  const idle = [{ namespace: NS, name: 'gastown-nux', spec: { rig: 'gastown', desiredState: 'Idle' } }];
  const cases: [string, TownSnapshot, typeof idle][] = [
    ['working, no issue (database down)', listedAs('working'), []],
    ['stalled, no issue (database down)', listedAs('stalled'), []],
    ['working, no issue, bead still open', withBeadRead(listedAs('working'), [['gt-abc12', 'open']]), []],
    ['no issue and the bead closed', withBeadRead(listedAs('working'), [['gt-abc12', 'closed']]), idle],
    ['no issue and bd does not know the bead', withBeadRead(listedAs('stalled'), [], ['gt-abc12']), idle],
    ['gt says idle', listedAs('idle'), idle],
    ['gt says done', listedAs('done'), idle],
  ];
  for (const [name, snap, updates] of cases) {
    test(`a Working discovered view, polecat ${name} -> ${updates.length > 0 ? 'Idle' : 'unchanged, not deleted'}`, () => {
      const plan = planDiscovery(snap, working(), NS);
      assert.deepEqual(plan.updateSpec, updates);
      assert.deepEqual(plan.delete, []);
      assert.deepEqual(plan.create, []);
    });
  }

  test('a failed read plans nothing (it is not an empty town)', () => {
    const polecats = [view('gastown-nux', { rig: 'gastown', desiredState: 'Idle' }, { labels: discoveredLabels('nux') })];
    const failed: TownSnapshot = { ok: false, observedAt: 0, error: gtError('Unavailable') };
    assert.deepEqual(planDiscovery(failed, polecats, NS), { create: [], updateSpec: [], delete: [], retire: [] });
  });
});

describe('planDiscovery: discovered views superseded by a user\'s Polecat are retired', () => {
  // `gt sling` reused the idle polecat nux, which already had the discovered view gastown-nux;
  // the user's Polecat demo now follows gastown/nux too.
  const discoveredNux = (extra: { status?: Record<string, unknown>; deleting?: boolean } = {}) =>
    view('gastown-nux', { rig: 'gastown', desiredState: 'Idle' }, { labels: discoveredLabels('nux'), ...extra });
  const user = (name: string, gtName: string | undefined, namespace = 'team') =>
    view(name, { rig: 'gastown', desiredState: 'Working', beadID: 'gt-abc12' }, { namespace, ...(gtName ? { status: { gtName, rig: 'gastown' } } : {}) });
  const retired = (supersededBy: string) => [{ namespace: NS, name: 'gastown-nux', polecat: 'gastown/nux', supersededBy }];

  const cases: { name: string; polecats: Polecat[]; snap?: TownSnapshot; retire: ReturnType<typeof retired>; delete?: string[]; updateSpec?: string[] }[] = [
    { name: 'a user Polecat follows the same gt polecat (status gtName + rig) -> retire, no spec update', polecats: [discoveredNux(), user('demo', 'nux')], retire: retired('team/demo') },
    { name: 'the discovered view named by status rather than label is retired too', polecats: [view('gastown-nux', { rig: 'gastown', desiredState: 'Idle' }, { labels: { [Label.Discovered]: 'true' }, status: { gtName: 'nux', rig: 'gastown' } }), user('demo', 'nux')], retire: retired('team/demo') },
    { name: 'a user Polecat in the discovery namespace counts the same', polecats: [discoveredNux(), user('demo', 'nux', NS)], retire: retired(`${NS}/demo`) },
    { name: 'several user Polecats on the polecat: retired once, named by the first; the users\' views untouched', polecats: [discoveredNux(), user('zed', 'nux'), user('demo', 'nux')], retire: retired('team/demo') },
    { name: 'a user Polecat that is being deleted still follows it -> retire', polecats: [discoveredNux(), view('demo', { rig: 'gastown', desiredState: 'Idle' }, { namespace: 'team', status: { gtName: 'nux', rig: 'gastown' }, deleting: true })], retire: retired('team/demo') },
    { name: 'superseded and gone from the listing -> retired (no gt call), not plainly deleted', polecats: [discoveredNux(), user('demo', 'nux')], snap: snapshot([]), retire: retired('team/demo'), delete: [] },
    { name: 'the user Polecat follows another polecat -> nothing retired, the view follows gt', polecats: [discoveredNux(), user('demo', 'toast')], retire: [], updateSpec: ['gastown-nux'] },
    { name: 'the user Polecat has not been slung yet (no gtName) -> nothing retired', polecats: [discoveredNux(), user('demo', undefined)], retire: [], updateSpec: ['gastown-nux'] },
    { name: 'a user Polecat on another rig with the same polecat name -> nothing retired', polecats: [discoveredNux(), view('demo', { rig: 'beads' }, { namespace: 'team', status: { gtName: 'nux', rig: 'beads' } })], retire: [], updateSpec: ['gastown-nux'] },
    { name: 'another discovered view on the same polecat is not a user Polecat -> nothing retired', polecats: [discoveredNux(), view('gastown-nux-2', { rig: 'gastown', desiredState: 'Idle' }, { namespace: 'elsewhere', labels: discoveredLabels('nux') })], retire: [], updateSpec: ['gastown-nux'] },
    { name: 'a discovered view already being deleted -> nothing planned for it', polecats: [discoveredNux({ deleting: true }), user('demo', 'nux')], retire: [] },
    { name: 'a discovered view outside the discovery namespace is not ours to retire', polecats: [view('gastown-nux', { rig: 'gastown', desiredState: 'Idle' }, { namespace: 'other', labels: discoveredLabels('nux') }), user('demo', 'nux')], retire: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const plan = planDiscovery(c.snap ?? snapshot(), c.polecats, NS);
      assert.deepEqual(plan.retire, c.retire);
      assert.deepEqual(plan.delete.map((d) => d.name), c.delete ?? []);
      assert.deepEqual(plan.updateSpec.map((u) => u.name), c.updateSpec ?? []);
      assert.ok(!plan.create.some((v) => v.status.gtName === 'nux' && c.polecats.some((p) => p.status?.gtName === 'nux' && p.metadata.labels?.[Label.Discovered] !== 'true')), 'never a new view for a polecat a user Polecat follows');
    });
  }

  test('after the retirement, the next plan neither recreates nor retires anything for it', () => {
    const plan = planDiscovery(snapshot(), [user('demo', 'nux')], NS);
    assert.deepEqual(plan.create.map((c) => c.name), ['gastown-toast']);
    assert.deepEqual(plan.retire, []);
  });
});

describe('PolecatDiscovery: a big first sync', () => {
  test('creates every view, a bounded number of writes in flight at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const created: string[] = [];
    const write = async (name?: string): Promise<object> => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      if (name !== undefined) created.push(name);
      return {};
    };
    const client = {
      create: (_kind: unknown, body: KubeObject) => write(body.metadata?.name),
      patch: () => write(),
    } as unknown as KubeClient;
    const many = Array.from({ length: 200 }, (_, i) => polecat('gastown', `p${i}`));
    const result = await new PolecatDiscovery({ client, listPolecats: () => [], namespace: NS }).sync(snapshot(many));
    assert.deepEqual([result.created, result.failed, created.length], [200, 0, 200]);
    assert.ok(most <= 16, `at most 16 writes in flight, saw ${most}`);
  });
});

describe('PolecatDiscovery: retiring is orphan first, delete only then', () => {
  /** A KubeClient stand-in that records writes; `patchFails` answers every patch with it. */
  function recordingClient(patchFails?: KubeApiError): { client: KubeClient; writes: string[] } {
    const writes: string[] = [];
    const client = {
      create: () => Promise.reject(new Error('no create expected')),
      patch: (_kind: unknown, ref: { name: string }, patch: { type: string; body?: unknown }) => {
        writes.push(`patch ${ref.name} ${JSON.stringify(patch.body)}`);
        return patchFails ? Promise.reject(patchFails) : Promise.resolve({});
      },
      delete: (_kind: unknown, ref: { name: string }) => {
        writes.push(`delete ${ref.name}`);
        return Promise.resolve(true);
      },
    } as unknown as KubeClient;
    return { client, writes };
  }
  const superseded = (): KubeObject[] => [
    view('gastown-nux', { rig: 'gastown', desiredState: 'Working', beadID: 'gt-abc12' }, { labels: discoveredLabels('nux') }),
    view('gastown-toast', { rig: 'gastown', desiredState: 'Idle' }, { labels: discoveredLabels('toast') }),
    view('demo', { rig: 'gastown', desiredState: 'Working', beadID: 'gt-abc12' }, { namespace: 'team', status: { gtName: 'nux', rig: 'gastown' } }),
  ];

  test('the on-delete "orphan" merge patch, then the delete', async () => {
    const { client, writes } = recordingClient();
    const result = await new PolecatDiscovery({ client, listPolecats: superseded, namespace: NS }).sync(snapshot());
    assert.deepEqual(writes, ['patch gastown-nux {"metadata":{"annotations":{"gastown.gastown.io/on-delete":"orphan"}}}', 'delete gastown-nux']);
    assert.deepEqual(result, { created: 0, updated: 0, deleted: 0, retired: 1, failed: 0 });
  });

  test('a view whose polecat vanished is orphaned before it is deleted too: discovery never leads to a nuke', async () => {
    const { client, writes } = recordingClient();
    const vanished = (): KubeObject[] => [view('gastown-ghost', { rig: 'gastown', desiredState: 'Idle' }, { labels: discoveredLabels('ghost') })];
    const result = await new PolecatDiscovery({ client, listPolecats: vanished, namespace: NS }).sync(snapshot([]));
    assert.deepEqual(writes, ['patch gastown-ghost {"metadata":{"annotations":{"gastown.gastown.io/on-delete":"orphan"}}}', 'delete gastown-ghost']);
    assert.deepEqual(result, { created: 0, updated: 0, deleted: 1, retired: 0, failed: 0 });
  });

  test('a failed patch: no delete, counted as failed (the next cycle tries again)', async () => {
    const { client, writes } = recordingClient(new KubeApiError(500, 'InternalError', 'etcd down'));
    const result = await new PolecatDiscovery({ client, listPolecats: superseded, namespace: NS }).sync(snapshot());
    assert.deepEqual(writes.filter((w) => w.startsWith('delete')), [], 'never deleted without the orphan annotation');
    assert.equal(result.failed, 1);
  });
});

describe('discoveredName', () => {
  test('DNS-1123 names; lossy or taken names get a stable hash suffix', () => {
    assert.equal(discoveredName('gastown', 'nux', () => false), 'gastown-nux');
    const lossy = discoveredName('my_rig', 'Nux', () => false)!;
    assert.match(lossy, /^my-rig-nux-[0-9a-f]{6}$/);
    assert.equal(discoveredName('my_rig', 'Nux', () => false), lossy, 'stable');
    assert.notEqual(discoveredName('my-rig', 'nux', () => false), lossy, 'no collision with the lossless spelling');
    assert.match(discoveredName('gastown', 'nux', (n) => n === 'gastown-nux')!, /^gastown-nux-[0-9a-f]{6}$/);
    const long = discoveredName('r'.repeat(40), 'p'.repeat(40), () => false)!;
    assert.ok(long.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(long));
    assert.equal(discoveredName('a', 'b', () => true), undefined, 'both spellings taken: skip');
  });
});

describe('PolecatDiscovery: each cached object is decoded once', () => {
  /** `obj` with its `spec` read through a counter (decoding reads it; planning reads the decoded copy). */
  function counted(obj: Polecat, reads: { n: number }): KubeObject {
    const { spec, ...rest } = obj;
    return Object.defineProperty({ ...rest }, 'spec', { enumerable: true, get: () => { reads.n++; return spec; } });
  }

  test('the same objects on the next cycle are not decoded again; a replaced object is', async () => {
    const writes: string[] = [];
    const client = {
      patch: (_kind: unknown, ref: { name: string }, patch: { body?: unknown }) => {
        writes.push(`patch ${ref.name} ${JSON.stringify(patch.body)}`);
        return Promise.resolve({});
      },
    } as unknown as KubeClient;
    const reads = { n: 0 };
    let views = [
      counted(view('gastown-nux', { rig: 'gastown', desiredState: 'Working', beadID: 'gt-abc12' }, { labels: discoveredLabels('nux') }), reads),
      counted(view('gastown-toast', { rig: 'gastown', desiredState: 'Idle' }, { labels: discoveredLabels('toast') }), reads),
    ];
    const discovery = new PolecatDiscovery({ client, listPolecats: () => views, namespace: NS });
    assert.deepEqual(await discovery.sync(snapshot()), { created: 0, updated: 0, deleted: 0, retired: 0, failed: 0 });
    const afterFirst = reads.n;
    assert.ok(afterFirst > 0, 'the first cycle decodes the views');
    await discovery.sync(snapshot());
    assert.equal(reads.n, afterFirst, 'unchanged cached objects: no decode');

    // The cache replaces an object when it changes: the new version is decoded and planned from.
    views = [counted(view('gastown-nux', { rig: 'gastown', desiredState: 'Idle' }, { labels: discoveredLabels('nux') }), reads), views[1]!];
    const result = await discovery.sync(snapshot());
    assert.ok(reads.n > afterFirst, 'the replaced object was decoded');
    assert.equal(result.updated, 1);
    assert.deepEqual(writes, ['patch gastown-nux {"spec":{"rig":"gastown","desiredState":"Working","beadID":"gt-abc12"}}']);
  });
});
