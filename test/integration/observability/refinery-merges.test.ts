// Refinery merge metrics end to end through the town simulator: the real gt client execs
// sim/bin/gt and sim/bin/bd, the Rig's merge adapter (controllers/rig/merges.ts) reads
// `gt mq list <rig> --status closed --json` (and `bd show` for an outcome gt's JSON does not
// tell), and /metrics is scraped over HTTP. Scenario: the rig is first seen (baseline), the
// refinery finishes three merge requests (success, conflict, failure) -> merge_total 1/1/1,
// conflicts_total 1, one duration; an operator restart (new registry, new adapter, the same
// stored Rig status) counts nothing again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as control from '../../../sim/src/control.ts';
import { rigStatusSchema, type RigStatus } from '../../../src/api/index.ts';
import { RigMerges, storedWatermark, withMergeWatermark } from '../../../src/controllers/rig/merges.ts';
import { createMetrics, type OperatorMetrics } from '../../../src/observability/metrics.ts';
import { startMetricsServer } from '../../../src/observability/metrics-server.ts';
import type { RunningServer } from '../../../src/observability/http-listen.ts';
import { simTown, type SimTown } from '../gt/sim-town.ts';
import { parseScrape, type Scrape } from '../../unit/observability/prom-text.ts';

/** One operator process: its registry, /metrics server, gt client and merge adapter. */
interface Operator {
  readonly metrics: OperatorMetrics;
  readonly merges: RigMerges;
  readonly clock: { ms: number; now(): number };
  scrape(): Promise<Scrape>;
  close(): Promise<void>;
}

async function startOperator(town: SimTown): Promise<Operator> {
  const metrics = createMetrics({ defaultMetrics: false });
  const server: RunningServer | undefined = await startMetricsServer({ addr: '127.0.0.1:0', registry: metrics.registry });
  assert.ok(server);
  const clock = { ms: Date.now(), now(): number { return this.ms; } };
  const merges = new RigMerges({ client: town.client({ onCall: metrics.recordGtCall }), metrics, clock, intervalMs: 60_000 });
  return {
    metrics, merges, clock,
    scrape: async () => {
      const res = await fetch(`${server.url}/metrics`);
      assert.equal(res.status, 200);
      return parseScrape(await res.text());
    },
    close: () => server.close(),
  };
}

/** What the Rig reconcile does (see the wiring in merges.ts): observe, then write the watermark. */
async function reconcile(op: Operator, status: RigStatus): Promise<RigStatus> {
  const watermark = await op.merges.observe({ rig: 'gastown', stored: storedWatermark(status), queue: status.mergeQueue, canRead: true });
  // Through JSON and the CRD schema, as the API server would store it.
  return rigStatusSchema.parse(JSON.parse(JSON.stringify(withMergeWatermark(status, watermark))));
}

const refinery = (s: Scrape) => ({
  success: s.value('gastown_refinery_merge_total', { rig: 'gastown', result: 'success' }),
  conflict: s.value('gastown_refinery_merge_total', { rig: 'gastown', result: 'conflict' }),
  failure: s.value('gastown_refinery_merge_total', { rig: 'gastown', result: 'failure' }),
  conflicts: s.value('gastown_refinery_conflicts_total', { rig: 'gastown' }),
  durations: s.value('gastown_refinery_merge_duration_seconds_count', { rig: 'gastown' }),
});

describe('refinery merge metrics through the simulator', () => {
  let town: SimTown;
  const operators: Operator[] = [];
  before(async () => {
    town = await simTown();
  });
  after(async () => {
    for (const op of operators) await op.close();
    town.cleanup();
  });

  test('three merges counted 1/1/1 once; a restart with the stored watermark counts nothing', async () => {
    const op1 = await startOperator(town);
    operators.push(op1);
    // An MR merged before the operator ever looked: history, not counted.
    await control.mergeRequest(town.root, 'gastown', { outcome: 'success' });
    let status = await reconcile(op1, { phase: 'Operational' });
    assert.ok(status.mergeQueue?.countedThrough, 'the baseline watermark is stored');
    assert.deepEqual(refinery(await op1.scrape()), { success: undefined, conflict: undefined, failure: undefined, conflicts: undefined, durations: undefined });

    // The refinery finishes three merge requests; one more stays queued.
    await control.mergeRequest(town.root, 'gastown', { outcome: 'success', queuedSeconds: 120 });
    await control.mergeRequest(town.root, 'gastown', { outcome: 'conflict' });
    const failed = await control.mergeRequest(town.root, 'gastown', { outcome: 'failure' });
    await control.mergeRequest(town.root, 'gastown');
    control.clearCalls(town.root);
    op1.clock.ms += 60_000;
    status = await reconcile(op1, status);
    op1.clock.ms += 60_000;
    status = await reconcile(op1, status); // the next read sees the same MRs: nothing new

    const s1 = await op1.scrape();
    assert.deepEqual(refinery(s1), { success: 1, conflict: 1, failure: 1, conflicts: 1, durations: 1 });
    const seconds = s1.value('gastown_refinery_merge_duration_seconds_sum', { rig: 'gastown' })!;
    assert.ok(seconds >= 119 && seconds < 180, `duration ${seconds}`);
    // One gt call per read; bd show once, only for the MR whose outcome gt's JSON does not tell.
    const calls = control.readCalls(town.root).map((c) => `${c.bin} ${c.args.join(' ')}`);
    assert.deepEqual(calls, ['gt mq list gastown --json --status closed', `bd show ${failed} --json`, 'gt mq list gastown --json --status closed']);
    assert.equal(s1.value('gastown_gt_cli_calls_total', { command: 'gt mq list', result: 'success' }), 3, 'baseline + two reads');
    operators.splice(operators.indexOf(op1), 1);
    await op1.close();

    // Restart: a new process, new registry; only the Rig status (the watermark) survives.
    const op2 = await startOperator(town);
    operators.push(op2);
    const before2 = status;
    status = await reconcile(op2, status);
    assert.deepEqual(status, before2, 'the watermark is unchanged: no status write');
    assert.deepEqual(refinery(await op2.scrape()), { success: undefined, conflict: undefined, failure: undefined, conflicts: undefined, durations: undefined });

    // ...and the next merge after the restart counts once, in the new process.
    await control.mergeRequest(town.root, 'gastown', { outcome: 'conflict' });
    op2.clock.ms += 60_000;
    status = await reconcile(op2, status);
    assert.deepEqual(refinery(await op2.scrape()), { success: undefined, conflict: 1, failure: undefined, conflicts: 1, durations: undefined });
  });
});
