// Demo mode's Rig views for a simulated town: one per rig, labelled discovered, created a few at
// a time (not one by one, not all at once), an existing one left alone.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSimulatedRigViews } from '../../../src/operator/sim-views.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { KubeApiError, type KubeClient, type KubeObject } from '../../../src/runtime/k8s.ts';
import { createTown } from '../../../sim/src/town.ts';
import { eventually } from '../../helpers/eventually.ts';

const dir = mkdtempSync(join(tmpdir(), 'sim-views-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a Rig view per rig, at most 8 creates in flight, AlreadyExists tolerated', async () => {
  const rigs = Array.from({ length: 30 }, (_, i) => ({ name: `rig${i}`, prefix: `r${i}` }));
  await createTown(dir, { rigs, polecatsPerRig: 0, beadsPerRig: 0, convoys: 0 });
  const created: KubeObject[] = [];
  let inFlight = 0;
  let most = 0;
  const client = {
    create: async (_kind: unknown, obj: KubeObject): Promise<KubeObject> => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      if (obj.metadata?.name === 'rig3') throw new KubeApiError(409, 'AlreadyExists', 'rigs "rig3" already exists');
      created.push(obj);
      return obj;
    },
  } as unknown as KubeClient;
  const stop = new AbortController();
  const done = ensureSimulatedRigViews(client, dir, silentLogger(), stop.signal);
  await eventually('every rig view created', () => created.length === 29);
  stop.abort();
  await done;
  assert.deepEqual(created.map((o) => o.metadata?.name).sort(), rigs.map((r) => r.name).filter((n) => n !== 'rig3').sort());
  assert.ok(created.every((o) => o.metadata?.labels?.['gastown.gastown.io/discovered'] === 'true'));
  assert.ok(most > 1, `creates ran one at a time (${most} in flight at most)`);
  assert.ok(most <= 8, `${most} creates in flight at once`);
});
