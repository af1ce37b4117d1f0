import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/runtime/clock.ts';
import type { TownChange } from '../../../src/controllers/town-sync/diff.ts';
import { TownObserver } from '../../../src/controllers/town-sync/observer.ts';
import type { TownSnapshot } from '../../../src/controllers/town-sync/snapshot.ts';
import { bead, convoy, fakeGt, gtError, polecat, rig, type FakeTown } from './town-sync-fixtures.ts';
import { eventually } from '../../helpers/eventually.ts';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

function town(rigCount: number): FakeTown {
  const rigs = Array.from({ length: rigCount }, (_, i) => rig(`rig${i}`, 'operational', `r${i}`));
  const polecats = rigs.map((r, i) => polecat(r.name, `cat${i}`, `r${i}-abc${String(i).padStart(2, '0')}`));
  const beads = new Map(polecats.map((p) => [p.issue!, bead(p.issue!, 'hooked')]));
  const convoys = rigs.map((_, i) => convoy(`hq-cv-c${String(i).padStart(4, '0')}`, [polecats[i]!.issue!]));
  return { rigs, polecats, convoys, beads };
}

const aborts: AbortController[] = [];
after(() => {
  for (const a of aborts) a.abort();
});

function start(t: FakeTown, opts: { intervalMs?: number } = {}) {
  const clock = new FakeClock();
  const gt = fakeGt(t);
  const observer = new TownObserver({ client: gt.client, townRoot: '/nonexistent', clock, readRigConfigs: () => Promise.resolve(undefined), ...opts });
  const changes: TownChange[] = [];
  observer.onChange((c) => changes.push(c));
  const abort = new AbortController();
  aborts.push(abort);
  const done = observer.run(abort.signal);
  const sync = (reason: string) => syncWith(clock, observer, reason);
  return { clock, gt, observer, changes, abort, done, sync };
}

/** syncNow under a FakeClock: due timers fire only when time moves. */
async function syncWith(clock: FakeClock, observer: TownObserver, reason: string): Promise<TownSnapshot> {
  let result: TownSnapshot | undefined;
  void observer.syncNow(reason).then((s) => (result = s));
  for (let i = 0; i < 100 && result === undefined; i++) {
    clock.advance(0);
    await settle();
  }
  assert.ok(result, 'the requested cycle ran');
  return result;
}

describe('TownObserver: one cycle reads the whole town', () => {
  test('five calls per cycle for 1 rig and for 50 rigs; one bd show of every bead of interest', async () => {
    for (const n of [1, 50]) {
      const { gt, observer, abort, done, sync } = start(town(n));
      observer.registerBeadInterest('convoy:ns/a', ['hq-cv-extra', 'zz-nope1']);
      const snap = await sync('test');
      assert.equal(snap.ok, true);
      assert.deepEqual([...gt.calls].sort(), ['bd show', 'gt convoy list', 'gt polecat list --all', 'gt rig list', 'gt status'], `${n} rigs`);
      if (!snap.ok) return;
      assert.equal(snap.rigs.size, n);
      assert.equal(snap.polecats.size, n);
      assert.equal(snap.beads.size, n);
      assert.ok(snap.missingBeads.has('zz-nope1'), 'registered interest is read too');
      abort.abort();
      await done;
    }
  });

  test('a failed read is {ok: false, error, previous}, never an empty town', async () => {
    const { gt, abort, done, sync } = start(town(2));
    const first = await sync('first');
    assert.equal(first.ok, true);
    gt.failWith = gtError('Unavailable', 'gt: not found');
    const second = await sync('second');
    assert.equal(second.ok, false);
    if (second.ok) return;
    assert.equal(second.error.kind, 'Unavailable');
    assert.equal(second.previous?.rigs.size, 2, 'the last complete read stays available');
    assert.equal(second.observedAt > 0, true);
    abort.abort();
    await done;
  });

  test('a non-GtError failure is wrapped as a Transient GtError', async () => {
    const t = town(1);
    const clock = new FakeClock();
    const gt = fakeGt(t);
    gt.client.rigList = () => Promise.reject(new TypeError('boom'));
    const observer = new TownObserver({ client: gt.client, townRoot: '/x', clock, readRigConfigs: () => Promise.resolve(undefined) });
    const abort = new AbortController();
    const done = observer.run(abort.signal);
    const snap = await syncWith(clock, observer, 'x');
    assert.equal(snap.ok, false);
    if (!snap.ok) assert.equal(snap.error.kind, 'Transient');
    abort.abort();
    await done;
  });
});

describe('TownObserver: scheduling', () => {
  test('requests are debounced into one cycle; a request during a cycle gives exactly one follow-up', async () => {
    const { clock, gt, observer, abort, done } = start(town(1), { intervalMs: 10_000 });
    clock.advance(0);
    await settle();
    const cycles = (): number => gt.calls.filter((c) => c === 'gt rig list').length;
    assert.equal(cycles(), 1, 'first cycle at start');
    for (let i = 0; i < 10; i++) observer.requestSync(`burst ${i}`);
    clock.advance(249);
    await settle();
    assert.equal(cycles(), 1, 'nothing before the debounce');
    let release!: () => void;
    gt.gate = new Promise((resolve) => (release = resolve));
    clock.advance(1);
    await settle();
    assert.equal(cycles(), 2, 'one cycle for ten requests');
    for (let i = 0; i < 5; i++) observer.requestSync(`during ${i}`);
    clock.advance(5_000);
    await settle();
    assert.equal(cycles(), 2, 'cycles never overlap');
    gt.gate = undefined;
    release();
    await settle();
    clock.advance(250);
    await settle();
    assert.equal(cycles(), 3, 'exactly one follow-up');
    clock.advance(9_000);
    await settle();
    assert.equal(cycles(), 3, 'then the interval');
    clock.advance(1_000);
    await settle();
    assert.equal(cycles(), 4);
    abort.abort();
    await done;
  });

  test('failures back off exponentially (1 s doubling, capped at 30 s) and requests cannot hurry them', async () => {
    const { clock, gt, observer, abort, done } = start(town(1), { intervalMs: 10_000 });
    gt.failWith = gtError('Transient', 'circuit breaker open');
    clock.advance(0);
    await settle();
    const cycles = (): number => gt.calls.filter((c) => c === 'gt rig list').length;
    const gaps: number[] = [];
    let last = clock.now();
    for (let i = 0; i < 7; i++) {
      const before = cycles();
      observer.requestSync('impatient controller');
      while (cycles() === before) {
        clock.advance(100);
        await settle();
      }
      gaps.push(clock.now() - last);
      last = clock.now();
    }
    assert.deepEqual(gaps, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    gt.failWith = undefined;
    clock.advance(30_000);
    await settle();
    assert.equal(observer.current()?.ok, true, 'recovers when gt returns');
    abort.abort();
    await done;
  });

  test('rejects an interval above the design ceiling of 30 s', () => {
    assert.throws(() => new TownObserver({ client: fakeGt(town(1)).client, townRoot: '/x', intervalMs: 31_000 }), RangeError);
  });
});

describe('TownObserver: change notification', () => {
  test('subscribers get only the keys whose observed state changed', async () => {
    const t = town(3);
    const { changes, abort, done, sync } = start(t);
    await sync('first');
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.all, true, 'the first snapshot affects every view');
    await sync('no change');
    assert.equal(changes.length, 1, 'nothing changed, nobody is told');

    t.rigs[1] = rig('rig1', 'parked', 'r1');
    t.beads.set('r2-abc02', bead('r2-abc02', 'closed'));
    await sync('park and close');
    assert.equal(changes.length, 2);
    const change = changes[1]!;
    assert.equal(change.all, false);
    assert.deepEqual(change.rigs, ['rig1']);
    assert.deepEqual(change.beads, ['r2-abc02']);
    assert.deepEqual(change.polecats, ['rig2/cat2'], 'the polecat whose hooked bead closed');
    assert.deepEqual(change.convoys, []);

    t.polecats.splice(0, 1);
    await sync('nuke outside');
    const nuke = changes[2]!;
    assert.deepEqual(nuke.polecats, ['rig0/cat0']);
    assert.deepEqual(nuke.rigs, ['rig0'], 'the rig polecat count moved');
    abort.abort();
    await done;
  });

  test('the town becoming unreadable or readable again affects every view', async () => {
    const t = town(1);
    const { clock, gt, changes, abort, done, sync } = start(t);
    await sync('first');
    gt.failWith = gtError('Unavailable');
    await sync('fail');
    assert.equal(changes.at(-1)!.all, true);
    const n = changes.length;
    gt.failWith = undefined;
    clock.advance(2_000);
    const ok = await sync('retry');
    assert.equal(ok.ok, true);
    assert.equal(changes.length, n + 1);
    assert.equal(changes.at(-1)!.all, true);
    abort.abort();
    await done;
  });

  test('registering interest in an unknown bead asks for a cycle', async () => {
    const { clock, gt, observer, abort, done, sync } = start(town(1));
    await sync('first');
    const before = gt.calls.length;
    observer.registerBeadInterest('polecat:ns/p', ['r0-abc00']);
    clock.advance(1_000);
    await settle();
    assert.equal(gt.calls.length, before, 'a known bead needs no extra cycle');
    observer.registerBeadInterest('convoy:ns/c', ['zz-new01']);
    clock.advance(250);
    await settle();
    assert.ok(gt.calls.length > before);
    const now = observer.current();
    assert.ok(now?.ok && now.missingBeads.has('zz-new01'));
    observer.unregisterBeadInterest('convoy:ns/c');
    assert.deepEqual(observer.beadInterest(), ['r0-abc00']);
    abort.abort();
    await done;
  });
});

describe('TownSync across leadership terms', () => {
  test('run() can start again after it returned, and a new term starts from a fresh read', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { TownSync } = await import('../../../src/controllers/town-sync/index.ts');
    const dir = await mkdtemp(path.join(tmpdir(), 'town-sync-terms-'));
    try {
      const gt = fakeGt(town(1));
      const sync = new TownSync({ gt: gt.client, townRoot: dir, observer: { readRigConfigs: () => Promise.resolve(undefined) }, eventLogPollMs: 50 });
      const waitFor = (what: string, ok: () => boolean): Promise<true> => eventually(what, ok, 10_000, 10);
      for (const term of [1, 2]) {
        const abort = new AbortController();
        const running = sync.run(abort.signal);
        await waitFor(`a snapshot in term ${term}`, () => sync.observer.current()?.ok === true);
        assert.ok(sync.follower, 'the event log is followed while running');
        abort.abort();
        await running;
        assert.equal(sync.follower, undefined);
        if (term === 1) {
          // Between terms the last snapshot stays readable, but the next run must not serve it.
          const stale = sync.observer.current();
          const again = new AbortController();
          const next = sync.run(again.signal);
          assert.notEqual(sync.observer.current(), stale, 'the last term\'s snapshot is dropped at once');
          again.abort();
          await next;
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
