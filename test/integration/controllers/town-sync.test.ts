// Town sync against the simulator through real processes (sim/bin/gt, sim/bin/bd), and
// discovery against the embedded API server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildCrds, Label } from '../../../src/api/index.ts';
import { POLECAT_KIND } from '../../../src/api/kinds.ts';
import { TownSync } from '../../../src/controllers/town-sync/index.ts';
import { TownObserver } from '../../../src/controllers/town-sync/observer.ts';
import type { TownSnapshot } from '../../../src/controllers/town-sync/snapshot.ts';
import { createGtClient, type GtClient } from '../../../src/gt/index.ts';
import { InformerCache } from '../../../src/runtime/cache.ts';
import { crdKind } from '../../../src/runtime/crd-watch.ts';
import { KubeClient, type KubeObject } from '../../../src/runtime/k8s.ts';
import { addBead, clearCalls, readCalls, removePolecatOutside, setRigStatus, slingOutside } from '../../../sim/src/control.ts';
import { createTown, type CreateTownOptions } from '../../../sim/src/town.ts';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';
import { eventually } from '../../helpers/eventually.ts';

const repo = path.resolve(import.meta.dirname, '../../..');
const dirs: string[] = [];
const stops: (() => Promise<void>)[] = [];

after(async () => {
  for (const stop of stops.reverse()) await stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function town(opts: CreateTownOptions): Promise<{ root: string; gt: GtClient }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gt-sync-'));
  dirs.push(dir);
  const root = path.join(dir, 'town');
  await createTown(root, opts);
  const gt = createGtClient({ gtPath: path.join(repo, 'sim/bin/gt'), bdPath: path.join(repo, 'sim/bin/bd'), townRoot: root });
  return { root, gt };
}

function running(sync: { run(signal: AbortSignal): Promise<void> }): void {
  const stop = new AbortController();
  const done = sync.run(stop.signal);
  stops.push(async () => {
    stop.abort();
    await done;
  });
}


const rigs = (n: number): CreateTownOptions['rigs'] => Array.from({ length: n }, (_, i) => ({ name: `rig${i}`, prefix: `r${i}` }));

describe('town sync: constant calls per cycle', () => {
  test('one cycle costs the same gt/bd calls for 1 rig and for 50 rigs (call log)', async () => {
    const perCycle: Record<number, string[]> = {};
    for (const n of [1, 50]) {
      const { root, gt } = await town({ rigs: rigs(n), polecatsPerRig: 2, beadsPerRig: 3, convoys: Math.min(n, 10), seed: 3 });
      const observer = new TownObserver({ client: gt, townRoot: root, intervalMs: 30_000 });
      running(observer);
      const first = await observer.syncNow('warm up');
      assert.equal(first.ok, true);
      if (first.ok) assert.equal(first.rigs.size, n);
      clearCalls(root);
      const snap = await observer.syncNow('measured');
      assert.equal(snap.ok, true);
      if (snap.ok) assert.equal(snap.polecats.size, 2 * n);
      perCycle[n] = readCalls(root).map((c) => `${c.bin} ${c.args[0] ?? ''}`).sort();
    }
    assert.deepEqual(perCycle[1], ['bd show', 'gt convoy', 'gt polecat', 'gt rig', 'gt status']);
    assert.deepEqual(perCycle[50], perCycle[1]);
  });
});

describe('town sync: change detection', () => {
  /** A running TownSync over a fresh town; `shownBy` tells which cycle first showed a condition. */
  async function bed(intervalMs: number) {
    const { root, gt } = await town({ seed: 5, polecatsPerRig: 1, convoys: 1 });
    let lastReasons: readonly string[] = [];
    const sync = new TownSync({ gt, townRoot: root, observer: { intervalMs, onCycle: (r) => (lastReasons = r.reasons) } });
    running(sync);
    await sync.observer.syncNow('start');
    const shownBy = async (what: string, show: (s: TownSnapshot) => boolean, timeoutMs: number) => {
      const started = Date.now();
      await eventually(what, () => {
        const s = sync.observer.current();
        return s && show(s) ? true : undefined;
      }, timeoutMs);
      return { ms: Date.now() - started, reasons: lastReasons };
    };
    return { root, sync, shownBy };
  }

  test('a sling (carried by the event log) is read at once, not at the next periodic cycle', async () => {
    // The periodic read is 30 s away: only the event log can bring the change in time.
    const { root, sync, shownBy } = await bed(30_000);
    const bead = await addBead(root, { rig: 'gastown', title: 'logged change' });
    await sync.observer.syncNow('bead created');
    const { polecat } = await slingOutside(root, bead, 'gastown', { convoy: false });
    const shown = await shownBy('the slung polecat', (s) => s.ok && s.polecats.get(`gastown/${polecat}`)?.issue === bead, 15_000);
    assert.ok(shown.reasons.some((r) => r.startsWith('event log: ') && r.includes('sling')), `cycle reasons: ${shown.reasons.join('; ')}`);
    // About 2 s on an idle machine (see bench/results/town-sync.md); loose here for slow CI.
    assert.ok(shown.ms < 10_000, `sling took ${shown.ms} ms to show`);
  });

  test('a park (not in the event log) shows within one periodic cycle', async () => {
    const { root, shownBy } = await bed(3_000);
    await setRigStatus(root, 'beads', 'parked');
    const shown = await shownBy('the parked rig', (s) => s.ok && s.rigs.get('beads')?.status.kind === 'parked', 15_000);
    assert.deepEqual(shown.reasons, [], 'brought by the periodic read, nothing asked for it');
  });
});

describe('town sync: discovered polecats', () => {
  let api: TestApiServer;
  let kube: KubeClient;
  let root: string;
  let cache: InformerCache;

  before(async () => {
    api = await startTestApiServer();
    stops.push(() => api.close());
    kube = new KubeClient(api.kubeConfig);
    for (const crd of buildCrds()) await kube.create(crdKind, crd);
    await eventually('polecats served', async () => {
      try {
        await kube.list(POLECAT_KIND, { namespace: 'default' });
        return true;
      } catch {
        return undefined;
      }
    });
    cache = new InformerCache({ client: kube });
    cache.start(POLECAT_KIND);
    stops.push(() => cache.stopAll());
    await cache.waitForSync([POLECAT_KIND]);
    ({ root } = await town({ seed: 9, polecatsPerRig: 0, convoys: 0 }));
    const gt = createGtClient({ gtPath: path.join(repo, 'sim/bin/gt'), bdPath: path.join(repo, 'sim/bin/bd'), townRoot: root });
    const sync = new TownSync({ gt, townRoot: root, kube, listPolecats: () => cache.list(POLECAT_KIND), observer: { intervalMs: 2_000 } });
    running(sync);
  });

  const views = async () =>
    (await kube.list<KubeObject & { spec: { desiredState: string; beadID?: string }; status?: { gtName?: string } }>(POLECAT_KIND, { namespace: 'default' })).items;

  test('a polecat slung outside Kubernetes appears as a labelled view, and disappears when nuked outside', async () => {
    const bead = await addBead(root, { rig: 'gastown', title: 'outside work' });
    const { polecat } = await slingOutside(root, bead, 'gastown', { convoy: false });
    // A cycle (2 s) and a create; the margin is for a loaded 2-core CI machine.
    const view = await eventually('the discovered view', async () => (await views()).find((v) => v.metadata?.labels?.[Label.Polecat] === polecat), 30_000);
    assert.equal(view.metadata?.name, `gastown-${polecat}`);
    assert.equal(view.metadata?.labels?.[Label.Discovered], 'true');
    assert.equal(view.metadata?.labels?.[Label.Rig], 'gastown');
    assert.deepEqual([view.spec.desiredState, view.spec.beadID], ['Working', bead]);
    await eventually('status handoff', async () => ((await views()).find((v) => v.status?.gtName === polecat) ? true : undefined));
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal((await views()).length, 1, 'discovery is idempotent across cycles');

    await removePolecatOutside(root, 'gastown', polecat);
    await eventually('the view to go', async () => ((await views()).length === 0 ? true : undefined));
  });
});
