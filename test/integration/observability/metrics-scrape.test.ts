// A scripted scenario through the real parts, then one scrape of /metrics over HTTP:
//   - gt calls through the real runner against the town simulator (onCall = recordGtCall),
//     including a NotFound and, on a client whose gt binary is missing, Unavailable calls
//     that open its circuit breaker (observeBreaker reads it at scrape time);
//   - reconciles through the runtime's Controller (onReconcile = recordReconcile), one
//     succeeding and one failing with a gt error kind;
//   - phases of views, one deleted (forgetResource), and refinery merges counted from
//     merge-request beads with the status watermark.
// The scrape must show exactly the values the scenario produced.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { createGtClient, isGtError, type GtClient } from '../../../src/gt/index.ts';
import { createMetrics, type OperatorMetrics } from '../../../src/observability/metrics.ts';
import { startMetricsServer } from '../../../src/observability/metrics-server.ts';
import type { RunningServer } from '../../../src/observability/http-listen.ts';
import { createMergeCounter, type MergeRequestLike } from '../../../src/observability/refinery.ts';
import { InformerCache } from '../../../src/runtime/cache.ts';
import { Controller, type ReconcileReport } from '../../../src/runtime/controller.ts';
import { KubeClient, type ResourceKind } from '../../../src/runtime/k8s.ts';
import { simTown, type SimTown } from '../gt/sim-town.ts';
import { parseScrape, type Scrape } from '../../unit/observability/prom-text.ts';
import { eventually } from '../../helpers/eventually.ts';

let town: SimTown;
let metrics: OperatorMetrics;
let server: RunningServer;

before(async () => {
  town = await simTown();
  metrics = createMetrics();
  const s = await startMetricsServer({ addr: '127.0.0.1:0', registry: metrics.registry });
  assert.ok(s);
  server = s;
});
after(async () => {
  await server.close();
  town.cleanup();
});

async function scrape(): Promise<Scrape> {
  const res = await fetch(`${server.url}/metrics`);
  assert.equal(res.status, 200);
  return parseScrape(await res.text());
}

async function runReconciles(keys: readonly string[], fail: (key: string) => Error | undefined): Promise<ReconcileReport[]> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'http://127.0.0.1:9' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const rigKind: ResourceKind = { group: 'gastown.gastown.io', version: 'v1alpha1', plural: 'rigs', kind: 'Rig', namespaced: false };
  const reports: ReconcileReport[] = [];
  const controller = new Controller(
    {
      name: 'rig',
      for: rigKind,
      reconcile: (key) => {
        const error = fail(key);
        return error ? Promise.reject(error) : Promise.resolve();
      },
      // Failures would retry with backoff; one attempt per key is the scenario.
      rateLimiter: () => ({ when: () => 3_600_000, forget: () => undefined, numRequeues: () => 0 }),
      onReconcile: (r) => {
        reports.push(r);
        metrics.recordReconcile(r);
      },
    },
    { cache: new InformerCache({ client: new KubeClient(kc) }) },
  );
  const abort = new AbortController();
  const done = controller.run(abort.signal);
  for (const k of keys) controller.enqueue(k);
  await eventually('the reconciles to finish', () => reports.length >= keys.length, 10_000, 5);
  abort.abort();
  await done;
  return reports;
}

describe('metrics after a scripted scenario', () => {
  test('gt calls, breaker, reconciles, phases and refinery merges show up in one scrape', async () => {
    // gt: three successful calls and a NotFound, through the real runner.
    const gt: GtClient = town.client({ onCall: metrics.recordGtCall });
    await gt.rigList();
    await gt.rigList();
    await gt.townStatus();
    await assert.rejects(gt.convoyStatus('hq-cv-zzzzz'), (e: unknown) => isGtError(e) && e.kind === 'NotFound');

    // A second client whose gt is missing: Unavailable twice opens its breaker (threshold 2).
    const broken = createGtClient({
      gtPath: '/nonexistent/gt', bdPath: '/nonexistent/bd', townRoot: town.root,
      breakerFailureThreshold: 2, onCall: metrics.recordGtCall,
    });
    metrics.observeBreaker(() => broken.breakerState());
    let s = await scrape();
    assert.equal(s.value('gastown_gt_circuit_breaker_state', { state: 'closed' }), 1);
    for (let i = 0; i < 2; i++) await assert.rejects(broken.rigList(), (e: unknown) => isGtError(e) && e.kind === 'Unavailable');
    assert.equal(broken.breakerState(), 'open');

    // Reconciles: one success, one failure with a gt error kind.
    const reports = await runReconciles(['gastown', 'beads'], (key) => (key === 'beads' ? Object.assign(new Error('gt down'), { kind: 'Unavailable' }) : undefined));
    assert.deepEqual(reports.map((r) => [r.controller, r.result, r.errorType]).sort(), [['rig', 'error', 'Unavailable'], ['rig', 'success', undefined]]);

    // Views: two rigs, a polecat deleted.
    metrics.setPhase('rig', { rig: 'gastown' }, 'Operational');
    metrics.setPhase('rig', { rig: 'beads' }, 'Degraded');
    metrics.setPhase('polecat', { rig: 'gastown', name: 'nux' }, 'Working');
    metrics.setPolecatStuck({ rig: 'gastown', name: 'nux' }, true);
    metrics.setPhase('polecat', { rig: 'gastown', name: 'furiosa' }, 'Idle');
    metrics.forgetResource('polecat', { rig: 'gastown', name: 'furiosa' });
    metrics.setPhase('convoy', { namespace: 'default', name: 'release' }, 'Completed');

    // Refinery: queue length from gt, merges from merge-request beads with the watermark.
    metrics.setQueueLength('gastown', (await gt.refineryStatus('gastown')).queueLength);
    const mrs = (min: number, id: string, close: Partial<Pick<MergeRequestLike, 'closeReason'>> & { mergeCommit?: string }): MergeRequestLike => ({
      id,
      status: { kind: 'closed', raw: 'closed' },
      createdAt: '2026-04-01T10:00:00Z',
      closedAt: `2026-04-01T10:${String(min).padStart(2, '0')}:00Z`,
      ...(close.closeReason ? { closeReason: close.closeReason } : {}),
      mergeRequest: close.mergeCommit ? { mergeCommit: close.mergeCommit } : {},
    });
    const counter = createMergeCounter(metrics);
    const baseline = counter.observe('gastown', [mrs(1, 'gt-mr1', { mergeCommit: 'a1' })], undefined);
    const list = [mrs(1, 'gt-mr1', { mergeCommit: 'a1' }), mrs(4, 'gt-mr2', { mergeCommit: 'b2' }), mrs(5, 'gt-mr3', { closeReason: 'merge conflict in go.sum' })];
    const watermark = counter.observe('gastown', list, baseline);
    counter.observe('gastown', list, watermark);

    s = await scrape();
    // gt CLI
    assert.equal(s.value('gastown_gt_cli_calls_total', { command: 'gt rig list', result: 'success' }), 2);
    assert.equal(s.value('gastown_gt_cli_calls_total', { command: 'gt status', result: 'success' }), 1);
    assert.equal(s.value('gastown_gt_cli_calls_total', { command: 'gt convoy status', result: 'error' }), 1);
    assert.equal(s.value('gastown_gt_cli_errors_total', { command: 'gt convoy status', kind: 'NotFound' }), 1);
    assert.equal(s.value('gastown_gt_cli_calls_total', { command: 'gt rig list', result: 'error' }), 2);
    assert.equal(s.value('gastown_gt_cli_errors_total', { command: 'gt rig list', kind: 'Unavailable' }), 2);
    assert.equal(s.value('gastown_gt_cli_duration_seconds_count', { command: 'gt rig list' }), 4);
    assert.ok(s.value('gastown_gt_cli_duration_seconds_sum', { command: 'gt status' })! > 0);
    assert.equal(s.value('gastown_gt_circuit_breaker_state', { state: 'open' }), 1);
    assert.equal(s.value('gastown_gt_circuit_breaker_state', { state: 'closed' }), 0);
    // Reconciles
    assert.equal(s.value('gastown_reconcile_total', { controller: 'rig', result: 'success' }), 1);
    assert.equal(s.value('gastown_reconcile_total', { controller: 'rig', result: 'error' }), 1);
    assert.equal(s.value('gastown_reconcile_errors_total', { controller: 'rig', error_type: 'Unavailable' }), 1);
    assert.equal(s.value('gastown_reconcile_duration_seconds_count', { controller: 'rig' }), 2);
    // Views
    assert.equal(s.value('gastown_rig_phase', { rig: 'gastown', phase: 'Operational' }), 1);
    assert.equal(s.value('gastown_rig_phase', { rig: 'beads', phase: 'Degraded' }), 1);
    assert.equal(s.value('gastown_rig_phase', { rig: 'beads', phase: 'Operational' }), 0);
    assert.equal(s.value('gastown_polecat_phase', { rig: 'gastown', name: 'nux', phase: 'Working' }), 1);
    assert.equal(s.value('gastown_polecat_stuck', { rig: 'gastown', name: 'nux' }), 1);
    assert.equal(s.series('gastown_polecat_phase').filter((l) => l.name === 'furiosa').length, 0);
    assert.equal(s.value('gastown_convoy_phase', { namespace: 'default', name: 'release', phase: 'Completed' }), 1);
    // Refinery: the baseline merge is not counted, the two later ones once each.
    assert.equal(typeof s.value('gastown_refinery_queue_length', { rig: 'gastown' }), 'number');
    assert.equal(s.value('gastown_refinery_merge_total', { rig: 'gastown', result: 'success' }), 1);
    assert.equal(s.value('gastown_refinery_merge_total', { rig: 'gastown', result: 'conflict' }), 1);
    assert.equal(s.value('gastown_refinery_conflicts_total', { rig: 'gastown' }), 1);
    assert.equal(s.value('gastown_refinery_merge_duration_seconds_count', { rig: 'gastown' }), 1);
    assert.equal(s.value('gastown_refinery_merge_duration_seconds_sum', { rig: 'gastown' }), 240);
  });
});
