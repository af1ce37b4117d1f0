// The Rig controller end to end below the CLI: the embedded API server with the CRDs, the
// runtime's informer cache and controller loop, the real town observer over the simulator
// (real processes), wired as the composition root wires it (onChange -> enqueue).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildCrds, ConditionType, Reason, RigPhase, type RigStatus } from '../../../src/api/index.ts';
import { RIG_KIND } from '../../../src/api/kinds.ts';
import { createRigController, rigKeysForChange } from '../../../src/controllers/rig/controller.ts';
import { TownObserver } from '../../../src/controllers/town-sync/observer.ts';
import { createGtClient } from '../../../src/gt/index.ts';
import { InformerCache } from '../../../src/runtime/cache.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import { Controller } from '../../../src/runtime/controller.ts';
import { crdKind } from '../../../src/runtime/crd-watch.ts';
import { KubeClient, type KubeObject } from '../../../src/runtime/k8s.ts';
import { StatusWriter, type WithStatus } from '../../../src/runtime/status.ts';
import { RigMerges } from '../../../src/controllers/rig/merges.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { clearFaults, mergeRequest, setFaultRules, setRigStatus } from '../../../sim/src/control.ts';
import { createTown } from '../../../sim/src/town.ts';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';
import { eventually } from '../../helpers/eventually.ts';

const repo = path.resolve(import.meta.dirname, '../../..');
type RigObject = WithStatus<RigStatus> & { spec: { localPath: string } };

describe('Rig controller (API server + simulator)', () => {
  let api: TestApiServer;
  let kube: KubeClient;
  let root: string;
  let dir: string;
  const events: { name: string; type: string; reason: string }[] = [];
  const stop = new AbortController();
  const done: Promise<void>[] = [];
  let cache: InformerCache;
  const metrics = createMetrics({ defaultMetrics: false });

  before(async () => {
    api = await startTestApiServer();
    kube = new KubeClient(api.kubeConfig);
    for (const crd of buildCrds()) await kube.create(crdKind, crd);
    await eventually('rigs served', async () => {
      try {
        await kube.list(RIG_KIND);
        return true;
      } catch {
        return undefined;
      }
    });
    dir = mkdtempSync(path.join(tmpdir(), 'gt-rig-'));
    root = path.join(dir, 'town');
    await createTown(root, { seed: 4, polecatsPerRig: 2, convoys: 1 });
    // A short breaker period so recovery after an outage is quick to observe.
    const gt = createGtClient({
      gtPath: path.join(repo, 'sim/bin/gt'), bdPath: path.join(repo, 'sim/bin/bd'), townRoot: root, breakerHalfOpenAfterMs: 300,
    });
    const observer = new TownObserver({ client: gt, townRoot: root, intervalMs: 1_000, failureBackoffMs: 200 });
    cache = new InformerCache({ client: kube });
    const { definition } = createRigController({
      get: (key) => cache.get<RigObject>(RIG_KIND, key),
      town: observer,
      status: new StatusWriter<RigStatus>({ client: kube, kind: RIG_KIND }),
      events: { event: (obj, type, reason) => events.push({ name: obj.metadata?.name ?? '', type, reason }) },
      clock: realClock,
      // Short read intervals, so a finished merge is counted within the test's patience.
      merges: new RigMerges({ client: gt, metrics, clock: realClock, intervalMs: 1_000, minIntervalMs: 200 }),
      resyncMs: 1_000,
    });
    const controller = new Controller(definition, { cache });
    observer.onChange((change) => {
      for (const key of rigKeysForChange(change, cache.list(RIG_KIND))) controller.enqueue(key);
    });
    cache.start(RIG_KIND);
    await cache.waitForSync([RIG_KIND]);
    done.push(controller.run(stop.signal), observer.run(stop.signal));
    for (const name of ['gastown', 'beads']) {
      await kube.create(RIG_KIND, { metadata: { name }, spec: { localPath: path.join(root, name), beadsPrefix: name === 'gastown' ? 'gt' : 'bd' } } as KubeObject);
    }
    await kube.create(RIG_KIND, { metadata: { name: 'ghost' }, spec: { localPath: path.join(root, 'ghost') } } as KubeObject);
  });

  after(async () => {
    stop.abort();
    await Promise.all(done);
    await cache.stopAll();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rig = (name: string) => kube.get<RigObject>(RIG_KIND, { name });
  const ready = (r: RigObject | undefined) => r?.status?.conditions?.find((c) => c.type === ConditionType.Ready);

  test('operational rigs show what gt reports', async () => {
    const gastown = await eventually('gastown operational', async () => {
      const r = await rig('gastown');
      return r?.status?.phase === RigPhase.Operational ? r : undefined;
    });
    assert.equal(gastown.status?.operationalState, 'operational');
    assert.equal(gastown.status?.polecatCount, 2);
    assert.equal(gastown.status?.witnessRunning, true);
    assert.equal(gastown.status?.refineryRunning, true);
    assert.equal(ready(gastown)?.status, 'True');
  });

  test('a missing localPath degrades only that rig, with the path in the message', async () => {
    const ghost = await eventually('ghost degraded', async () => {
      const r = await rig('ghost');
      return ready(r)?.reason === Reason.PathNotFound ? r : undefined;
    });
    assert.equal(ghost.status?.phase, RigPhase.Degraded);
    assert.match(ready(ghost)!.message, new RegExp(path.join(root, 'ghost')));
    await eventually('beads unaffected (Operational)', async () => ((await rig('beads'))?.status?.phase === RigPhase.Operational ? true : undefined));
  });

  test('gt rig park shows on the Rig within a cycle', async () => {
    await setRigStatus(root, 'beads', 'parked');
    const beads = await eventually('beads parked', async () => {
      const r = await rig('beads');
      return r?.status?.phase === RigPhase.Parked ? r : undefined;
    }, 30_000); // a sync cycle, plus room for a loaded 2-core CI machine
    assert.equal(ready(beads)?.reason, Reason.RigParked);
    assert.equal(beads.status?.witnessRunning, false);
    await setRigStatus(root, 'beads', 'operational');
  });

  test('gt unavailable -> Degraded/GTUnavailable, and recovery when it returns', async () => {
    await setFaultRules(root, [{ match: 'gt', crash: true }]);
    const down = await eventually('gastown degraded', async () => {
      const r = await rig('gastown');
      return ready(r)?.reason === Reason.GTUnavailable ? r : undefined;
    });
    assert.equal(down.status?.phase, RigPhase.Degraded);
    assert.equal(down.status?.conditions?.find((c) => c.type === ConditionType.Synced)?.status, 'False');
    assert.equal(down.status?.polecatCount, 2, 'last observed figures are kept');
    assert.ok(events.some((e) => e.name === 'gastown' && e.type === 'Warning' && e.reason === Reason.GTUnavailable));
    await clearFaults(root);
    await eventually('gastown recovered', async () => {
      const r = await rig('gastown');
      return r?.status?.phase === RigPhase.Operational ? r : undefined;
    }, 20_000);
  });

  test('a finished merge is counted once, and the watermark is kept in the Rig status', async () => {
    const id = await mergeRequest(root, 'gastown', { outcome: 'success', queuedSeconds: 120 });
    const rig = await eventually('the merge counted into status', () => {
      const obj = cache.get<RigObject>(RIG_KIND, 'gastown');
      return obj?.status?.mergeQueue?.countedThrough?.ids.includes(id) ? obj : undefined;
    }, 30_000);
    assert.ok(rig.status?.mergeQueue?.countedThrough?.closedAt);
    const text = await metrics.registry.metrics();
    assert.match(text, /^gastown_refinery_merge_total\{rig="gastown",result="success"\} 1$/m);
    // Later reads see the same closed merge request again and count nothing more.
    await new Promise((r) => setTimeout(r, 2_500));
    assert.match(await metrics.registry.metrics(), /^gastown_refinery_merge_total\{rig="gastown",result="success"\} 1$/m);
  });
});

