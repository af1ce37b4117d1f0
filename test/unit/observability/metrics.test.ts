// The operator's metrics: exact names, types and labels; each recorder produces the series it
// promises; phase state sets and forgetResource keep cardinality bounded; the breaker is read
// at scrape time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Gauge } from 'prom-client';
import { createMetrics, GT_CLI_BUCKETS, type OperatorMetrics } from '../../../src/observability/metrics.ts';
import { parseScrape, type Scrape } from './prom-text.ts';

const fresh = (): OperatorMetrics => createMetrics({ defaultMetrics: false });
const scrape = async (m: OperatorMetrics): Promise<Scrape> => parseScrape(await m.registry.metrics());

describe('metric families', () => {
  test('every documented metric exists with its type (and nothing else without default metrics)', async () => {
    const s = await scrape(fresh());
    assert.deepEqual(Object.fromEntries([...s.types].sort(([a], [b]) => a.localeCompare(b))), {
      gastown_convoy_phase: 'gauge',
      gastown_gt_circuit_breaker_state: 'gauge',
      gastown_gt_cli_calls_total: 'counter',
      gastown_gt_cli_duration_seconds: 'histogram',
      gastown_gt_cli_errors_total: 'counter',
      gastown_polecat_phase: 'gauge',
      gastown_polecat_stuck: 'gauge',
      gastown_reconcile_duration_seconds: 'histogram',
      gastown_reconcile_errors_total: 'counter',
      gastown_reconcile_total: 'counter',
      gastown_refinery_conflicts_total: 'counter',
      gastown_refinery_merge_duration_seconds: 'histogram',
      gastown_refinery_merge_total: 'counter',
      gastown_refinery_queue_length: 'gauge',
      gastown_rig_phase: 'gauge',
    });
  });

  test('default process metrics are registered on the operator registry only', async () => {
    const m = createMetrics();
    const s = await scrape(m);
    assert.ok(s.types.has('process_cpu_seconds_total'));
    assert.ok(s.types.has('nodejs_eventloop_lag_seconds'));
    // Two registries in one process do not clash (no global default registry).
    const other = createMetrics();
    assert.ok((await scrape(other)).types.has('process_cpu_seconds_total'));
  });
});

describe('recorders', () => {
  test('recordGtCall: calls by result, errors by kind, duration histogram in seconds', async () => {
    const m = fresh();
    m.recordGtCall({ command: 'gt status', durationMs: 120, result: 'success' });
    m.recordGtCall({ command: 'gt status', durationMs: 40, result: 'success' });
    m.recordGtCall({ command: 'gt convoy status', durationMs: 30_000, result: 'error', errorKind: 'Unavailable' });
    m.recordGtCall({ command: 'gt convoy status', durationMs: 5, result: 'error' });
    const s = await scrape(m);
    assert.equal(s.value('gastown_gt_cli_calls_total', { command: 'gt status', result: 'success' }), 2);
    assert.equal(s.value('gastown_gt_cli_calls_total', { command: 'gt convoy status', result: 'error' }), 2);
    assert.equal(s.value('gastown_gt_cli_errors_total', { command: 'gt convoy status', kind: 'Unavailable' }), 1);
    assert.equal(s.value('gastown_gt_cli_errors_total', { command: 'gt convoy status', kind: 'Unknown' }), 1);
    assert.equal(s.value('gastown_gt_cli_errors_total', { command: 'gt status', kind: 'Unavailable' }), undefined);
    assert.equal(s.value('gastown_gt_cli_duration_seconds_count', { command: 'gt status' }), 2);
    assert.ok(Math.abs(s.value('gastown_gt_cli_duration_seconds_sum', { command: 'gt status' })! - 0.16) < 1e-9);
    assert.equal(s.value('gastown_gt_cli_duration_seconds_bucket', { command: 'gt status', le: '0.05' }), 1);
    assert.equal(s.value('gastown_gt_cli_duration_seconds_bucket', { command: 'gt status', le: '0.25' }), 2);
    assert.equal(s.value('gastown_gt_cli_duration_seconds_bucket', { command: 'gt convoy status', le: '30' }), 2);
    const les = s.series('gastown_gt_cli_duration_seconds_bucket').filter((l) => l.command === 'gt status').map((l) => l.le);
    assert.deepEqual(les, [...GT_CLI_BUCKETS.map(String), '+Inf']);
  });

  test('recordReconcile: totals by result, errors by type, duration by controller', async () => {
    const m = fresh();
    m.recordReconcile({ controller: 'rig', result: 'success', durationMs: 20 });
    m.recordReconcile({ controller: 'rig', result: 'error', durationMs: 300, errorType: 'Unavailable' });
    m.recordReconcile({ controller: 'polecat', result: 'requeue', durationMs: 3, errorType: 'conflict' });
    m.recordReconcile({ controller: 'polecat', result: 'requeue', durationMs: 3 });
    const s = await scrape(m);
    assert.equal(s.value('gastown_reconcile_total', { controller: 'rig', result: 'success' }), 1);
    assert.equal(s.value('gastown_reconcile_total', { controller: 'rig', result: 'error' }), 1);
    assert.equal(s.value('gastown_reconcile_total', { controller: 'polecat', result: 'requeue' }), 2);
    assert.equal(s.value('gastown_reconcile_errors_total', { controller: 'rig', error_type: 'Unavailable' }), 1);
    assert.equal(s.value('gastown_reconcile_errors_total', { controller: 'polecat', error_type: 'conflict' }), 1);
    assert.equal(s.series('gastown_reconcile_errors_total').length, 2);
    assert.equal(s.value('gastown_reconcile_duration_seconds_count', { controller: 'polecat' }), 2);
    assert.ok(Math.abs(s.value('gastown_reconcile_duration_seconds_sum', { controller: 'rig' })! - 0.32) < 1e-9);
  });

  test('breaker: a state set, read from the observed client at every scrape', async () => {
    const m = fresh();
    assert.deepEqual((await scrape(m)).series('gastown_gt_circuit_breaker_state'), [], 'no series before anything is known');
    m.setBreakerState('half-open');
    let s = await scrape(m);
    assert.equal(s.value('gastown_gt_circuit_breaker_state', { state: 'half-open' }), 1);
    assert.equal(s.value('gastown_gt_circuit_breaker_state', { state: 'closed' }), 0);
    let state: 'closed' | 'open' = 'open';
    m.observeBreaker(() => state);
    s = await scrape(m);
    assert.equal(s.value('gastown_gt_circuit_breaker_state', { state: 'open' }), 1);
    assert.equal(s.value('gastown_gt_circuit_breaker_state', { state: 'half-open' }), 0);
    state = 'closed';
    s = await scrape(m);
    assert.equal(s.value('gastown_gt_circuit_breaker_state', { state: 'closed' }), 1);
    assert.equal(s.value('gastown_gt_circuit_breaker_state', { state: 'open' }), 0);
  });

  test('refinery: merges by result, conflicts, duration of successful merges, queue length', async () => {
    const m = fresh();
    m.recordMerge({ rig: 'gastown', result: 'success', durationSeconds: 90 });
    m.recordMerge({ rig: 'gastown', result: 'conflict', durationSeconds: 50 });
    m.recordMerge({ rig: 'gastown', result: 'failure' });
    m.setQueueLength('gastown', 4);
    m.setQueueLength('gastown', 3);
    const s = await scrape(m);
    assert.equal(s.value('gastown_refinery_merge_total', { rig: 'gastown', result: 'success' }), 1);
    assert.equal(s.value('gastown_refinery_merge_total', { rig: 'gastown', result: 'conflict' }), 1);
    assert.equal(s.value('gastown_refinery_merge_total', { rig: 'gastown', result: 'failure' }), 1);
    assert.equal(s.value('gastown_refinery_conflicts_total', { rig: 'gastown' }), 1);
    assert.equal(s.value('gastown_refinery_merge_duration_seconds_count', { rig: 'gastown' }), 1);
    assert.equal(s.value('gastown_refinery_merge_duration_seconds_sum', { rig: 'gastown' }), 90);
    assert.equal(s.value('gastown_refinery_queue_length', { rig: 'gastown' }), 3);
  });
});

describe('phases', () => {
  test('1 for the current phase, 0 for the other known phases', async () => {
    const m = fresh();
    m.setPhase('rig', { rig: 'gastown' }, 'Parked');
    m.setPhase('polecat', { rig: 'gastown', name: 'toast' }, 'Working');
    m.setPhase('convoy', { namespace: 'team-a', name: 'release' }, 'InProgress');
    const s = await scrape(m);
    const rig = s.series('gastown_rig_phase').map((l) => [l.phase, s.value('gastown_rig_phase', l)]);
    assert.deepEqual(Object.fromEntries(rig), { Pending: 0, Operational: 0, Parked: 1, Docked: 0, Degraded: 0, Unknown: 0 });
    assert.deepEqual(
      Object.fromEntries(s.series('gastown_polecat_phase').map((l) => [l.phase, s.value('gastown_polecat_phase', l)])),
      { Pending: 0, Working: 1, Idle: 0, Terminated: 0, Failed: 0 },
    );
    assert.deepEqual(
      Object.fromEntries(s.series('gastown_convoy_phase').map((l) => [l.phase, s.value('gastown_convoy_phase', l)])),
      { Pending: 0, InProgress: 1, Completed: 0, Failed: 0 },
    );
    assert.equal(s.series('gastown_convoy_phase')[0]!.namespace, 'team-a');
  });

  test('a phase change moves the 1; an unknown phase gets a series that goes away with it', async () => {
    const m = fresh();
    const pc = { rig: 'gastown', name: 'toast' };
    m.setPhase('polecat', pc, 'ReviewNeeded');
    let s = await scrape(m);
    assert.equal(s.value('gastown_polecat_phase', { ...pc, phase: 'ReviewNeeded' }), 1);
    assert.equal(s.series('gastown_polecat_phase').length, 6);
    m.setPhase('polecat', pc, 'Idle');
    s = await scrape(m);
    assert.equal(s.value('gastown_polecat_phase', { ...pc, phase: 'ReviewNeeded' }), undefined);
    assert.equal(s.value('gastown_polecat_phase', { ...pc, phase: 'Idle' }), 1);
    assert.equal(s.series('gastown_polecat_phase').length, 5);
    m.setPhase('polecat', pc, undefined);
    s = await scrape(m);
    assert.deepEqual(s.series('gastown_polecat_phase').map((l) => s.value('gastown_polecat_phase', l)), [0, 0, 0, 0, 0]);
  });

  test('an unchanged phase or stuck value touches no series; a change, or a forgotten resource set again, does', async () => {
    const m = fresh();
    const pc = { rig: 'gastown', name: 'toast' };
    m.setPhase('polecat', pc, 'Working');
    m.setPolecatStuck(pc, false);
    // Tamper with the series behind the metrics' back: a repeated set would overwrite it.
    const phase = m.registry.getSingleMetric('gastown_polecat_phase') as Gauge;
    const stuck = m.registry.getSingleMetric('gastown_polecat_stuck') as Gauge;
    phase.set({ ...pc, phase: 'Working' }, 7);
    stuck.set(pc, 7);
    m.setPhase('polecat', pc, 'Working');
    m.setPolecatStuck(pc, false);
    let s = await scrape(m);
    assert.equal(s.value('gastown_polecat_phase', { ...pc, phase: 'Working' }), 7, 'the same phase again sets nothing');
    assert.equal(s.value('gastown_polecat_stuck', pc), 7, 'the same stuck value again sets nothing');
    m.setPhase('polecat', pc, 'Idle');
    m.setPolecatStuck(pc, true);
    s = await scrape(m);
    assert.equal(s.value('gastown_polecat_phase', { ...pc, phase: 'Working' }), 0);
    assert.equal(s.value('gastown_polecat_phase', { ...pc, phase: 'Idle' }), 1);
    assert.equal(s.value('gastown_polecat_stuck', pc), 1);
    m.forgetResource('polecat', pc);
    m.setPhase('polecat', pc, 'Idle');
    m.setPolecatStuck(pc, true);
    s = await scrape(m);
    assert.equal(s.value('gastown_polecat_phase', { ...pc, phase: 'Idle' }), 1, 'series come back after forgetResource');
    assert.equal(s.value('gastown_polecat_stuck', pc), 1);
  });

  test('forgetResource removes every series of that resource and only those', async () => {
    const m = fresh();
    m.setPhase('polecat', { rig: 'gastown', name: 'toast' }, 'Working');
    m.setPolecatStuck({ rig: 'gastown', name: 'toast' }, true);
    m.setPhase('polecat', { rig: 'gastown', name: 'nux' }, 'Idle');
    m.setPolecatStuck({ rig: 'gastown', name: 'nux' }, false);
    m.setPhase('rig', { rig: 'gastown' }, 'Operational');
    m.setPhase('rig', { rig: 'beads' }, 'Operational');
    m.setQueueLength('gastown', 2);
    m.recordMerge({ rig: 'gastown', result: 'conflict' });
    m.setQueueLength('beads', 1);
    m.setPhase('convoy', { namespace: 'a', name: 'x' }, 'Completed');
    m.setPhase('convoy', { namespace: 'b', name: 'x' }, 'Completed');

    m.forgetResource('polecat', { rig: 'gastown', name: 'toast' });
    m.forgetResource('rig', { rig: 'gastown' });
    m.forgetResource('convoy', { namespace: 'a', name: 'x' });
    m.forgetResource('convoy', { namespace: 'never', name: 'seen' });
    const s = await scrape(m);
    assert.deepEqual(new Set(s.series('gastown_polecat_phase').map((l) => l.name)), new Set(['nux']));
    assert.deepEqual(s.series('gastown_polecat_stuck'), [{ rig: 'gastown', name: 'nux' }]);
    assert.deepEqual(new Set(s.series('gastown_rig_phase').map((l) => l.rig)), new Set(['beads']));
    assert.deepEqual(s.series('gastown_refinery_queue_length'), [{ rig: 'beads' }]);
    assert.deepEqual(s.series('gastown_refinery_merge_total'), []);
    assert.deepEqual(s.series('gastown_refinery_conflicts_total'), []);
    assert.deepEqual(new Set(s.series('gastown_convoy_phase').map((l) => l.namespace)), new Set(['b']));
  });

  test('cardinality stays flat over many create/delete cycles', async () => {
    const m = fresh();
    for (let i = 0; i < 200; i++) {
      const pc = { rig: 'gastown', name: `pc-${i}` };
      m.setPhase('polecat', pc, 'Working');
      m.setPhase('polecat', pc, `Custom${i}`);
      m.setPolecatStuck(pc, i % 2 === 0);
      m.forgetResource('polecat', pc);
    }
    const s = await scrape(m);
    assert.equal(s.series('gastown_polecat_phase').length, 0);
    assert.equal(s.series('gastown_polecat_stuck').length, 0);
  });
});
