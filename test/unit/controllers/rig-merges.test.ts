// The Rig's merge counting: the pure decision (closed MRs + stored watermark -> merges to
// record + new watermark), dedup across a simulated restart, the status field it lives in, and
// the adapter's schedule of gt reads (at most once per rig per minIntervalMs, due after
// intervalMs or on a queue change, none while the town read fails), and the town-wide budget
// of scheduled reads (a restart's first reads and the safety net: one per scheduledSpacingMs,
// all rigs; a never-counted rig's baseline read is not budgeted).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rigStatusSchema, type RigStatus } from '../../../src/api/index.ts';
import type { GtClient } from '../../../src/gt/client.ts';
import { GtError } from '../../../src/gt/errors.ts';
import type { Bead, MergeRequest } from '../../../src/gt/types.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import type { MergeWatermark } from '../../../src/observability/refinery.ts';
import {
  decideMerges, idsNeedingCloseReason, RigMerges, storedWatermark, withCloseReasons, withMergeWatermark,
} from '../../../src/controllers/rig/merges.ts';
import { parseScrape } from '../observability/prom-text.ts';

const t = (min: number): string => new Date(Date.UTC(2026, 3, 1, 10, min)).toISOString();

interface Spec {
  readonly closed?: number;
  readonly mergeCommit?: string;
  readonly descReason?: string;
  readonly beadReason?: string;
  /** A wisp as gt lists it: no closed_at, updated_at is the close time. */
  readonly wisp?: boolean;
}

function mr(id: string, s: Spec = {}): MergeRequest {
  const closed = s.closed === undefined ? undefined : t(s.closed);
  const description = ['branch: polecat/x', 'rig: gastown', ...(s.mergeCommit ? [`merge_commit: ${s.mergeCommit}`] : []), ...(s.descReason ? [`close_reason: ${s.descReason}`] : [])].join('\n');
  return {
    id, title: 'Merge: polecat/x', description, labels: ['gt:merge-request'], dependencies: [],
    status: closed ? { kind: 'closed', raw: 'closed' } : { kind: 'open', raw: 'open' },
    createdAt: t(0), updatedAt: closed ?? t(0),
    ...(closed && !s.wisp ? { closedAt: closed } : {}),
    ...(s.beadReason ? { closeReason: s.beadReason } : {}),
    mergeRequest: { branch: 'polecat/x', rig: 'gastown', ...(s.mergeCommit ? { mergeCommit: s.mergeCommit } : {}), ...(s.descReason ? { closeReason: s.descReason } : {}) },
  };
}

const success = (id: string, min: number): MergeRequest => mr(id, { closed: min, mergeCommit: `c-${id}`, descReason: 'merged', wisp: true });
const conflict = (id: string, min: number): MergeRequest => mr(id, { closed: min, descReason: 'conflict', wisp: true });
const rejected = (id: string, min: number): MergeRequest => mr(id, { closed: min, wisp: true });

describe('decideMerges (pure)', () => {
  test('a rig seen for the first time counts nothing; the watermark starts at the latest close', () => {
    const d = decideMerges('gastown', [success('gt-a', 1), conflict('gt-b', 2)], undefined);
    assert.deepEqual(d.merges, []);
    assert.deepEqual(d.watermark, { closedAt: t(2), ids: ['gt-b'] });
  });

  test('new closes after the watermark are recorded once, with results and durations', () => {
    const stored: MergeWatermark = { closedAt: t(1), ids: ['gt-a'] };
    const d = decideMerges('gastown', [success('gt-a', 1), success('gt-c', 4), conflict('gt-b', 3), rejected('gt-d', 4), mr('gt-open')], stored);
    assert.deepEqual(d.merges, [
      { rig: 'gastown', result: 'conflict', durationSeconds: 180 },
      { rig: 'gastown', result: 'success', durationSeconds: 240 },
      { rig: 'gastown', result: 'failure', durationSeconds: 240 },
    ]);
    assert.deepEqual(d.watermark, { closedAt: t(4), ids: ['gt-c', 'gt-d'] });
  });

  test('restart: the same MRs seen again with the stored watermark count nothing and keep it as is', () => {
    const list = [success('gt-a', 1), conflict('gt-b', 2), rejected('gt-c', 3)];
    const first = decideMerges('gastown', list, { closedAt: t(0), ids: [] });
    assert.equal(first.merges.length, 3);
    // The watermark went through the Rig status (normalised) and back after a restart.
    const stored = storedWatermark(withMergeWatermark({ phase: 'Operational' }, first.watermark));
    const again = decideMerges('gastown', list, stored);
    assert.deepEqual(again.merges, []);
    assert.equal(again.watermark, stored);
  });

  test('closes within one timestamp tick: the ids at the watermark instant decide', () => {
    const stored: MergeWatermark = { closedAt: t(2), ids: ['gt-a'] };
    const d = decideMerges('gastown', [success('gt-a', 2), success('gt-b', 2)], stored);
    assert.equal(d.merges.length, 1);
    assert.deepEqual(d.watermark, { closedAt: t(2), ids: ['gt-a', 'gt-b'] });
  });
});

describe('close reasons gt does not print', () => {
  test('only new closes with neither merge_commit nor any close_reason need bd show', () => {
    const list = [success('gt-a', 1), conflict('gt-b', 2), rejected('gt-c', 3), rejected('gt-old', 0), mr('gt-o'), mr('gt-d', { closed: 4, beadReason: 'merged' })];
    assert.deepEqual(idsNeedingCloseReason(list, { closedAt: t(0), ids: ['gt-old'] }), ['gt-c']);
  });

  test('withCloseReasons fills the bead reason and never touches the times', () => {
    const resolved = rejected('gt-r', 3);
    const [filled] = withCloseReasons([resolved], new Map([['gt-r', 'merged after conflict resolution']]));
    assert.equal(filled!.closeReason, 'merged after conflict resolution');
    assert.equal(filled!.updatedAt, resolved.updatedAt);
    assert.equal(filled!.closedAt, undefined);
    const d = decideMerges('gastown', [filled!], { closedAt: t(0), ids: [] });
    assert.equal(d.merges[0]!.result, 'success');
  });
});

describe('the status field', () => {
  test('withMergeWatermark puts countedThrough into mergeQueue, keeping the queue figures; the CRD schema accepts it', () => {
    const status: RigStatus = { phase: 'Operational', mergeQueue: { pending: 2, inFlight: 1, blocked: 0, state: 'processing', health: 'healthy' } };
    const next = withMergeWatermark(status, { closedAt: '2026-04-01T12:00:00.5+02:00', ids: ['gt-a'] });
    assert.deepEqual(next.mergeQueue, { pending: 2, inFlight: 1, blocked: 0, state: 'processing', health: 'healthy', countedThrough: { closedAt: '2026-04-01T10:00:00.500Z', ids: ['gt-a'] } });
    assert.deepEqual(rigStatusSchema.parse(next), next);
    assert.deepEqual(storedWatermark(next), { closedAt: '2026-04-01T10:00:00.500Z', ids: ['gt-a'] });
  });

  test('with gt reporting no queue (empty), mergeQueue holds only the watermark', () => {
    const next = withMergeWatermark({ phase: 'Operational' }, { closedAt: '1970-01-01T00:00:00Z', ids: [] });
    assert.deepEqual(next.mergeQueue, { countedThrough: { closedAt: '1970-01-01T00:00:00.000Z', ids: [] } });
    assert.deepEqual(rigStatusSchema.parse(next), next);
  });

  test('no watermark (nothing read yet) leaves the status alone', () => {
    const status: RigStatus = { phase: 'Pending' };
    assert.equal(withMergeWatermark(status, undefined), status);
  });
});

// ---- The adapter ----

interface FakeTown {
  closed: MergeRequest[];
  beads: Bead[];
  fail?: GtError;
  readonly calls: string[];
}

function fakeClient(town: FakeTown): Pick<GtClient, 'mqList' | 'beadShow'> {
  return {
    mqList: (rig, opts) => {
      town.calls.push(`mq list ${rig} ${opts?.status ?? ''}`.trim());
      return town.fail ? Promise.reject(town.fail) : Promise.resolve(opts?.status === 'closed' ? [...town.closed] : []);
    },
    beadShow: (ids) => {
      town.calls.push(`bd show ${ids.join(' ')}`);
      const found = town.beads.filter((b) => ids.includes(b.id));
      return Promise.resolve({ found, missing: ids.filter((id) => !found.some((b) => b.id === id)) });
    },
  };
}

async function totals(metrics: ReturnType<typeof createMetrics>): Promise<Record<string, number | undefined>> {
  const s = parseScrape(await metrics.registry.metrics());
  const v = (result: string): number | undefined => s.value('gastown_refinery_merge_total', { rig: 'gastown', result });
  return { success: v('success'), conflict: v('conflict'), failure: v('failure'), conflicts: s.value('gastown_refinery_conflicts_total', { rig: 'gastown' }) };
}

/** One rig's schedule; `scheduledSpacingMs` 0 (no town-wide budget) unless a test is about the budget. */
function setup(town: FakeTown, scheduledSpacingMs = 0): { merges: RigMerges; metrics: ReturnType<typeof createMetrics>; clock: { ms: number; now(): number } } {
  const metrics = createMetrics({ defaultMetrics: false });
  const clock = { ms: 1_000_000, now(): number { return this.ms; } };
  const merges = new RigMerges({ client: fakeClient(town), metrics, clock, intervalMs: 60_000, minIntervalMs: 20_000, scheduledSpacingMs });
  return { merges, metrics, clock };
}

describe('RigMerges', () => {
  test('counts once across reconciles and a restart; bd show only for outcomes gt does not print', async () => {
    const town: FakeTown = { closed: [success('gt-old', 0)], beads: [], calls: [] };
    const p1 = setup(town);
    let stored = await p1.merges.observe({ rig: 'gastown', stored: undefined, canRead: true });
    assert.deepEqual(stored, { closedAt: t(0), ids: ['gt-old'] });
    assert.deepEqual(await totals(p1.metrics), { success: undefined, conflict: undefined, failure: undefined, conflicts: undefined });

    town.closed.push(success('gt-a', 1), conflict('gt-b', 2), rejected('gt-c', 3), rejected('gt-r', 4));
    town.beads.push({ ...rejected('gt-c', 3), closeReason: 'rejected: tests failed' }, { ...rejected('gt-r', 4), closeReason: 'merged after conflict resolution' });
    p1.clock.ms += 60_000;
    stored = await p1.merges.observe({ rig: 'gastown', stored, canRead: true });
    assert.deepEqual(stored, { closedAt: t(4), ids: ['gt-r'] });
    assert.deepEqual(await totals(p1.metrics), { success: 2, conflict: 1, failure: 1, conflicts: 1 });
    assert.deepEqual(town.calls, ['mq list gastown closed', 'mq list gastown closed', 'bd show gt-c gt-r']);

    // Restart: new registry and adapter; only the watermark in the Rig status survives.
    const p2 = setup(town);
    const fromStatus = storedWatermark(withMergeWatermark({}, stored));
    const after = await p2.merges.observe({ rig: 'gastown', stored: fromStatus, canRead: true });
    assert.equal(after, fromStatus, 'unchanged: the stored object, so the status is not rewritten');
    assert.deepEqual(await totals(p2.metrics), { success: undefined, conflict: undefined, failure: undefined, conflicts: undefined });
    assert.equal(town.calls.filter((c) => c.startsWith('bd show')).length, 1, 'nothing new, no bd show');
  });

  test('a stale cache (the status write not seen yet) does not count twice and reads nothing new', async () => {
    const town: FakeTown = { closed: [], beads: [], calls: [] };
    const { merges, metrics, clock } = setup(town);
    const baseline = await merges.observe({ rig: 'gastown', stored: undefined, canRead: true });
    town.closed.push(success('gt-a', 1));
    clock.ms += 60_000;
    const written = await merges.observe({ rig: 'gastown', stored: baseline, canRead: true });
    clock.ms += 60_000;
    assert.deepEqual(await merges.observe({ rig: 'gastown', stored: baseline, canRead: true }), written);
    assert.equal((await totals(metrics)).success, 1);
  });

  test('reads when due: first time, after intervalMs, or on a queue change but not within minIntervalMs', async () => {
    const town: FakeTown = { closed: [], beads: [], calls: [] };
    const { merges, clock } = setup(town);
    const observe = (queue?: { pending: number; inFlight: number; blocked: number }) => merges.observe({ rig: 'gastown', stored: undefined, queue, canRead: true });
    const reads = (): number => town.calls.length;
    await observe({ pending: 1, inFlight: 0, blocked: 0 });
    assert.equal(reads(), 1);
    clock.ms += 10_000;
    await observe({ pending: 0, inFlight: 1, blocked: 0 });
    assert.equal(reads(), 1, 'queue changed, but within minIntervalMs');
    clock.ms += 10_000;
    await observe({ pending: 0, inFlight: 1, blocked: 0 });
    assert.equal(reads(), 2, 'queue differs from the one at the last read and minIntervalMs passed');
    clock.ms += 30_000;
    await observe({ pending: 0, inFlight: 1, blocked: 0 });
    assert.equal(reads(), 2, 'same queue, intervalMs not reached');
    clock.ms += 30_000;
    await observe({ pending: 0, inFlight: 1, blocked: 0 });
    assert.equal(reads(), 3, 'intervalMs passed');
    clock.ms += 60_000;
    await merges.observe({ rig: 'gastown', stored: undefined, canRead: false });
    assert.equal(reads(), 3, 'nothing is read while the town read fails');
  });

  test('a failed read keeps the watermark, counts nothing, and is retried when due again', async () => {
    const town: FakeTown = { closed: [success('gt-a', 1)], beads: [], calls: [], fail: new GtError('Unavailable', 'database down', { command: 'gt mq list' }) };
    const { merges, metrics, clock } = setup(town);
    const stored: MergeWatermark = { closedAt: t(0), ids: [] };
    assert.equal(await merges.observe({ rig: 'gastown', stored, canRead: true }), stored);
    delete town.fail;
    clock.ms += 5_000;
    assert.equal(await merges.observe({ rig: 'gastown', stored, canRead: true }), stored, 'not due yet');
    clock.ms += 60_000;
    assert.deepEqual(await merges.observe({ rig: 'gastown', stored, canRead: true }), { closedAt: t(1), ids: ['gt-a'] });
    assert.equal((await totals(metrics)).success, 1);
  });

  test('a failed bd show delays counting instead of guessing the outcome', async () => {
    const town: FakeTown = { closed: [rejected('gt-c', 1)], beads: [], calls: [] };
    const metrics = createMetrics({ defaultMetrics: false });
    const clock = { ms: 0, now(): number { return this.ms; } };
    const client = fakeClient(town);
    let showFails = true;
    const merges = new RigMerges({
      client: { mqList: client.mqList, beadShow: (ids, o) => (showFails ? Promise.reject(new GtError('Unavailable', 'down', { command: 'bd show' })) : client.beadShow(ids, o)) },
      metrics, clock, intervalMs: 60_000,
    });
    const stored: MergeWatermark = { closedAt: t(0), ids: [] };
    assert.equal(await merges.observe({ rig: 'gastown', stored, canRead: true }), stored);
    assert.equal((await totals(metrics)).failure, undefined);
    showFails = false;
    town.beads.push({ ...rejected('gt-c', 1), closeReason: 'rejected: lint' });
    clock.ms += 60_000;
    await merges.observe({ rig: 'gastown', stored, canRead: true });
    assert.equal((await totals(metrics)).failure, 1);
  });

  test('forget: a re-created Rig starts from a baseline again', async () => {
    const town: FakeTown = { closed: [success('gt-a', 1)], beads: [], calls: [] };
    const { merges, metrics } = setup(town);
    await merges.observe({ rig: 'gastown', stored: { closedAt: t(0), ids: [] }, canRead: true });
    merges.forget('gastown');
    assert.deepEqual(await merges.observe({ rig: 'gastown', stored: undefined, canRead: true }), { closedAt: t(1), ids: ['gt-a'] });
    assert.equal((await totals(metrics)).success, 1);
  });
});

describe('RigMerges: the town-wide budget of scheduled reads', () => {
  const queue = (pending: number) => ({ pending, inFlight: 0, blocked: 0 });
  const readRigs = (town: FakeTown): string[] => town.calls.filter((c) => c.startsWith('mq list')).map((c) => c.split(' ')[2] ?? '');
  /** A watermark from the Rig status: the rig was counted before (a restart). */
  const counted: MergeWatermark = { closedAt: t(0), ids: [] };

  test('rigs never counted (no watermark in status) are all read at once: the baseline is not budgeted', async () => {
    const town: FakeTown = { closed: [success('gt-old', 0)], beads: [], calls: [] };
    const { merges } = setup(town, 10_000);
    for (const rig of ['r1', 'r2', 'r3']) {
      assert.deepEqual(await merges.observe({ rig, stored: undefined, queue: queue(0), canRead: true }), { closedAt: t(0), ids: ['gt-old'] });
    }
    assert.deepEqual(readRigs(town), ['r1', 'r2', 'r3']);
  });

  test('after a restart, first reads of many rigs: one per spacing, town-wide; every rig is read in turn', async () => {
    const town: FakeTown = { closed: [], beads: [], calls: [] };
    const { merges, clock } = setup(town, 10_000);
    const rigs = ['r1', 'r2', 'r3', 'r4'];
    const pass = async (): Promise<void> => {
      for (const rig of rigs) await merges.observe({ rig, stored: counted, queue: queue(0), canRead: true });
    };
    await pass();
    assert.deepEqual(readRigs(town), ['r1'], 'one slot at start');
    clock.ms += 5_000;
    await pass();
    assert.deepEqual(readRigs(town), ['r1'], 'half a spacing later: no slot yet');
    for (let i = 0; i < 3; i++) {
      clock.ms += 10_000;
      await pass();
    }
    assert.deepEqual(readRigs(town), ['r1', 'r2', 'r3', 'r4'], 'one more rig per spacing, none twice');
    clock.ms += 20_000;
    await pass();
    assert.deepEqual(readRigs(town).slice(4), [], 't = 55 s: nobody is due before intervalMs (60 s) after its read');
    clock.ms += 10_000;
    await pass();
    assert.deepEqual(readRigs(town).slice(4), ['r1'], 't = 65 s: r1 (read at 0 s) is due again, and takes the slot');
  });

  test('the safety net is budgeted: rigs due together are read one per spacing', async () => {
    const town: FakeTown = { closed: [], beads: [], calls: [] };
    const { merges, clock } = setup(town, 10_000);
    for (const rig of ['r1', 'r2']) await merges.observe({ rig, stored: undefined, queue: queue(0), canRead: true });
    assert.deepEqual(readRigs(town), ['r1', 'r2'], 'the baselines');
    clock.ms += 60_000;
    await merges.observe({ rig: 'r1', stored: counted, queue: queue(0), canRead: true });
    await merges.observe({ rig: 'r2', stored: counted, queue: queue(0), canRead: true });
    assert.deepEqual(readRigs(town), ['r1', 'r2', 'r1'], 'both due, one slot');
    clock.ms += 10_000;
    await merges.observe({ rig: 'r2', stored: counted, queue: queue(0), canRead: true });
    assert.deepEqual(readRigs(town), ['r1', 'r2', 'r1', 'r2']);
  });

  test('a queue change reads at once, budget or not, before the first read too', async () => {
    const town: FakeTown = { closed: [], beads: [], calls: [] };
    const { merges, clock } = setup(town, 10_000);
    await merges.observe({ rig: 'r1', stored: counted, queue: queue(0), canRead: true });
    await merges.observe({ rig: 'r2', stored: counted, queue: queue(0), canRead: true });
    assert.deepEqual(readRigs(town), ['r1'], 'r2 refused a slot');
    await merges.observe({ rig: 'r2', stored: counted, queue: queue(1), canRead: true });
    assert.deepEqual(readRigs(town), ['r1', 'r2'], "r2's queue moved since it was first seen: an activity read");
    clock.ms += 20_000;
    await merges.observe({ rig: 'r1', stored: counted, queue: queue(2), canRead: true });
    await merges.observe({ rig: 'r2', stored: counted, queue: queue(0), canRead: true });
    assert.deepEqual(readRigs(town), ['r1', 'r2', 'r1', 'r2'], 'queue changes after minIntervalMs read without a slot');
  });

  test('a refused read keeps the watermark (restart: counted once a slot comes)', async () => {
    const town: FakeTown = { closed: [success('gt-a', 1)], beads: [], calls: [] };
    const { merges, metrics, clock } = setup(town, 10_000);
    await merges.observe({ rig: 'other', stored: counted, canRead: true });
    assert.equal(await merges.observe({ rig: 'gastown', stored: counted, canRead: true }), counted, 'refused: the stored watermark as is');
    assert.equal((await totals(metrics)).success, undefined);
    clock.ms += 10_000;
    assert.deepEqual(await merges.observe({ rig: 'gastown', stored: counted, canRead: true }), { closedAt: t(1), ids: ['gt-a'] });
    assert.equal((await totals(metrics)).success, 1);
  });

  test('rigs asking together get the next slots reserved, are told when to come back, and keep their slot if late', async () => {
    const town: FakeTown = { closed: [], beads: [], calls: [] };
    const { merges, clock } = setup(town, 10_000);
    const ask = (rig: string) => merges.observe({ rig, stored: counted, queue: queue(0), canRead: true });
    for (const rig of ['r1', 'r2', 'r3', 'r4']) await ask(rig);
    assert.deepEqual(readRigs(town), ['r1'], 'one slot now');
    assert.deepEqual(['r1', 'r2', 'r3', 'r4'].map((r) => merges.waitingMs(r)), [undefined, 10_000, 20_000, 30_000], 'the next three slots, in the order they asked');
    clock.ms += 10_000;
    await ask('r2');
    assert.deepEqual(readRigs(town), ['r1', 'r2'], 'r2 at its slot');
    clock.ms += 15_000;
    await ask('r4');
    assert.deepEqual(readRigs(town), ['r1', 'r2'], 'r4 early: not yet');
    assert.equal(merges.waitingMs('r4'), 5_000);
    clock.ms += 15_000;
    await ask('r3');
    assert.deepEqual(readRigs(town), ['r1', 'r2', 'r3'], 'r3 late: its slot was kept');
    assert.equal(merges.waitingMs('r3'), undefined);
    await ask('r4');
    assert.deepEqual(readRigs(town), ['r1', 'r2', 'r3', 'r4']);
    await ask('r5');
    await ask('r6');
    assert.deepEqual(readRigs(town).slice(4), ['r5'], 't = 40 s: the slot after the four reserved ones');
    assert.equal(merges.waitingMs('r6'), 10_000, 'and the next newcomer waits a spacing');
  });
});

