import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Label, parsePolecat, type Polecat } from '../../../src/api/index.ts';
import { discoveredName, planDiscovery } from '../../../src/controllers/town-sync/discovery.ts';
import type { TownSnapshot } from '../../../src/controllers/town-sync/snapshot.ts';
import { bead, dataOf, gtError, polecat, rig } from './town-sync-fixtures.ts';

const NS = 'gastown-views';

function snapshot(polecats = [polecat('gastown', 'nux', 'gt-abc12'), polecat('gastown', 'toast')]): TownSnapshot {
  return { ok: true, ...dataOf({ rigs: [rig('gastown', 'operational', 'gt')], polecats, convoys: [], beads: new Map() }) };
}

function view(name: string, spec: Record<string, unknown>, extra: { labels?: Record<string, string>; status?: Record<string, unknown>; namespace?: string } = {}): Polecat {
  return parsePolecat({
    metadata: { name, namespace: extra.namespace ?? NS, ...(extra.labels ? { labels: extra.labels } : {}) },
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
    assert.deepEqual(planDiscovery(snapshot(), polecats, NS), { create: [], updateSpec: [], delete: [] });
    const followedByStatus = [view('x', { rig: 'gastown' }, { namespace: 'team', status: { gtName: 'nux', rig: 'gastown' } })];
    assert.deepEqual(planDiscovery(snapshot(), followedByStatus, NS).create.map((c) => c.name), ['gastown-toast']);
  });

  test('is idempotent: applying the plan then planning again plans nothing', () => {
    const first = planDiscovery(snapshot(), [], NS);
    const created = first.create.map((c) => view(c.name, c.spec, { labels: { ...c.labels } }));
    assert.deepEqual(planDiscovery(snapshot(), created, NS), { create: [], updateSpec: [], delete: [] });
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
    assert.deepEqual(planDiscovery(failed, polecats, NS), { create: [], updateSpec: [], delete: [] });
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
