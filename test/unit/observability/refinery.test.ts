// Refinery merge outcomes from merge-request beads, and counting each merge exactly once:
// across reconciles, across a stale cache, and across an operator restart (the watermark
// stored in the Rig's status is the only thing that survives).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../../../src/observability/metrics.ts';
import {
  countNewMerges, createMergeCounter, EPOCH_WATERMARK, laterWatermark, mergeOutcome,
  type MergeRequestLike, type MergeWatermark,
} from '../../../src/observability/refinery.ts';
import { parseScrape } from './prom-text.ts';

interface MrSpec {
  id: string;
  status?: string;
  created?: string;
  closed?: string;
  mergeCommit?: string;
  closeReason?: string;
  descReason?: string;
}

function mr(s: MrSpec): MergeRequestLike {
  const status = s.status ?? (s.closed ? 'closed' : 'open');
  return {
    id: s.id,
    status: { kind: status === 'closed' || status === 'open' || status === 'in_progress' ? status : 'unknown', raw: status },
    createdAt: s.created ?? '2026-04-01T10:00:00Z',
    ...(s.closed ? { closedAt: s.closed } : {}),
    ...(s.closeReason ? { closeReason: s.closeReason } : {}),
    mergeRequest: {
      ...(s.mergeCommit ? { mergeCommit: s.mergeCommit } : {}),
      ...(s.descReason ? { closeReason: s.descReason } : {}),
    },
  };
}

describe('mergeOutcome', () => {
  const cases: [string, MrSpec, string | undefined][] = [
    ['open: no outcome', { id: 'gt-1' }, undefined],
    ['in progress: no outcome', { id: 'gt-1', status: 'in_progress' }, undefined],
    ['closed with merge_commit: success', { id: 'gt-1', closed: '2026-04-01T10:05:00Z', mergeCommit: 'abc123' }, 'success'],
    ['merge_commit wins over a reason mentioning conflicts', { id: 'gt-1', closed: '2026-04-01T10:05:00Z', mergeCommit: 'abc', closeReason: 'merged after resolving conflict' }, 'success'],
    ['conflict in the bead close_reason', { id: 'gt-1', closed: '2026-04-01T10:05:00Z', closeReason: 'Merge conflict in src/a.go' }, 'conflict'],
    ['conflict in the description close_reason', { id: 'gt-1', closed: '2026-04-01T10:05:00Z', descReason: 'CONFLICTS with main' }, 'conflict'],
    ['other close: failure', { id: 'gt-1', closed: '2026-04-01T10:05:00Z', closeReason: 'tests failed' }, 'failure'],
    ['blank merge_commit is not a merge', { id: 'gt-1', closed: '2026-04-01T10:05:00Z', mergeCommit: '  ' }, 'failure'],
    ['closed "merged" without merge_commit (bd close --reason merged): success', { id: 'gt-1', closed: '2026-04-01T10:05:00Z', closeReason: 'merged' }, 'success'],
    ['the conflict-resolution formula\'s close: success, not conflict', { id: 'gt-1', closed: '2026-04-01T10:05:00Z', closeReason: 'merged after conflict resolution' }, 'success'],
    ['gt mq reject: failure', { id: 'gt-1', closed: '2026-04-01T10:05:00Z', closeReason: 'rejected: does not build' }, 'failure'],
    ['a rejection over a conflict: conflict', { id: 'gt-1', closed: '2026-04-01T10:05:00Z', closeReason: 'rejected: unresolvable merge conflict' }, 'conflict'],
    ['"merged" inside a sentence is not a merge', { id: 'gt-1', closed: '2026-04-01T10:05:00Z', closeReason: 'superseded: already merged elsewhere' }, 'failure'],
  ];
  for (const [name, spec, want] of cases) {
    test(name, () => assert.equal(mergeOutcome(mr(spec))?.result, want));
  }

  test('duration is created_at to closed_at; missing or inverted times give none', () => {
    assert.equal(mergeOutcome(mr({ id: 'a', created: '2026-04-01T10:00:00Z', closed: '2026-04-01T10:02:30.5Z', mergeCommit: 'x' }))?.durationSeconds, 150.5);
    const noCreated = { ...mr({ id: 'b', closed: '2026-04-01T10:00:00Z', mergeCommit: 'x' }), createdAt: undefined };
    assert.equal(mergeOutcome(noCreated)?.durationSeconds, undefined);
    assert.equal(mergeOutcome(mr({ id: 'c', created: '2026-04-01T11:00:00Z', closed: '2026-04-01T10:00:00Z', mergeCommit: 'x' }))?.durationSeconds, undefined);
  });

  test('a wisp listed by gt has no closed_at: updated_at is its close time', () => {
    const wisp = { ...mr({ id: 'gt-w', status: 'closed', mergeCommit: 'x', created: '2026-04-01T10:00:00Z' }), updatedAt: '2026-04-01T10:01:00Z' };
    assert.deepEqual(mergeOutcome(wisp), { id: 'gt-w', result: 'success', closedAt: '2026-04-01T10:01:00Z', durationSeconds: 60 });
  });

  test('a closed bead without any usable time has no outcome (it cannot be ordered)', () => {
    assert.equal(mergeOutcome({ ...mr({ id: 'a', status: 'closed' }), closedAt: 'yesterday' }), undefined);
  });
});

describe('countNewMerges', () => {
  const a = mr({ id: 'gt-a', closed: '2026-04-01T10:01:00Z', mergeCommit: '1' });
  const b = mr({ id: 'gt-b', closed: '2026-04-01T10:02:00Z', closeReason: 'conflict' });
  const c = mr({ id: 'gt-c', closed: '2026-04-01T10:02:00Z', mergeCommit: '3' });
  const d = mr({ id: 'gt-d', closed: '2026-04-01T10:03:00Z', closeReason: 'rejected' });
  const open = mr({ id: 'gt-o' });

  test('first observation counts nothing and sets the watermark at the latest close', () => {
    const r = countNewMerges([c, a, open, b], undefined);
    assert.deepEqual(r.merges, []);
    assert.deepEqual(r.newWatermark, { closedAt: '2026-04-01T10:02:00Z', ids: ['gt-b', 'gt-c'] });
  });

  test('first observation of a rig with no closed merge starts at the epoch, so the first merge counts', () => {
    const first = countNewMerges([open], undefined);
    assert.deepEqual(first, { merges: [], newWatermark: EPOCH_WATERMARK });
    const next = countNewMerges([open, a], first.newWatermark);
    assert.deepEqual(next.merges.map((m) => m.id), ['gt-a']);
  });

  test('counts closes after the watermark and those at its instant it has not seen, oldest first', () => {
    const mark: MergeWatermark = { closedAt: '2026-04-01T10:02:00Z', ids: ['gt-b'] };
    const r = countNewMerges([d, c, b, a], mark);
    assert.deepEqual(r.merges.map((m) => [m.id, m.result]), [['gt-c', 'success'], ['gt-d', 'failure']]);
    assert.deepEqual(r.newWatermark, { closedAt: '2026-04-01T10:03:00Z', ids: ['gt-d'] });
  });

  test('nothing new: the same watermark object comes back (no status churn)', () => {
    const mark: MergeWatermark = { closedAt: '2026-04-01T10:03:00Z', ids: ['gt-d'] };
    const r = countNewMerges([a, b, c, d, open], mark);
    assert.deepEqual(r.merges, []);
    assert.equal(r.newWatermark, mark);
  });

  test('a later close at the watermark instant extends its ids', () => {
    const r = countNewMerges([b, c], { closedAt: '2026-04-01T10:02:00Z', ids: ['gt-b'] });
    assert.deepEqual(r.newWatermark, { closedAt: '2026-04-01T10:02:00Z', ids: ['gt-b', 'gt-c'] });
  });

  test('time spellings of one instant compare equal (offsets, fractions)', () => {
    const r = countNewMerges([mr({ id: 'gt-x', closed: '2026-04-01T12:02:00.000+02:00', mergeCommit: '1' })], { closedAt: '2026-04-01T10:02:00Z', ids: ['gt-x'] });
    assert.deepEqual(r.merges, []);
  });

  test('a re-opened merge request closed again counts again', () => {
    const mark: MergeWatermark = { closedAt: '2026-04-01T10:01:00Z', ids: ['gt-a'] };
    const again = mr({ id: 'gt-a', closed: '2026-04-01T11:00:00Z', mergeCommit: '9' });
    assert.deepEqual(countNewMerges([again], mark).merges.map((m) => m.id), ['gt-a']);
  });

  test('the id list stays bounded', () => {
    const many = Array.from({ length: 120 }, (_, i) => mr({ id: `gt-${String(i).padStart(3, '0')}`, closed: '2026-04-01T10:00:00Z', mergeCommit: 'x' }));
    const r = countNewMerges(many, EPOCH_WATERMARK);
    assert.equal(r.merges.length, 120);
    assert.equal(r.newWatermark.ids.length, 50);
  });

  test('laterWatermark picks the newer one and merges ids at one instant', () => {
    const x: MergeWatermark = { closedAt: '2026-04-01T10:00:00Z', ids: ['a'] };
    const y: MergeWatermark = { closedAt: '2026-04-01T10:00:01Z', ids: ['b'] };
    assert.equal(laterWatermark(x, y), y);
    assert.equal(laterWatermark(undefined, x), x);
    assert.deepEqual(laterWatermark(x, { closedAt: x.closedAt, ids: ['c'] }), { closedAt: x.closedAt, ids: ['a', 'c'] });
  });
});

describe('createMergeCounter: each merge counted once', () => {
  const t = (min: number): string => new Date(Date.UTC(2026, 3, 1, 10, min)).toISOString();
  const merged = (id: string, min: number): MergeRequestLike => mr({ id, created: t(0), closed: t(min), mergeCommit: `c-${id}` });
  const conflicted = (id: string, min: number): MergeRequestLike => mr({ id, created: t(0), closed: t(min), closeReason: 'merge conflict' });

  async function totals(m: ReturnType<typeof createMetrics>): Promise<Record<string, number | undefined>> {
    const s = parseScrape(await m.registry.metrics());
    return {
      success: s.value('gastown_refinery_merge_total', { rig: 'gastown', result: 'success' }),
      conflict: s.value('gastown_refinery_merge_total', { rig: 'gastown', result: 'conflict' }),
      conflicts: s.value('gastown_refinery_conflicts_total', { rig: 'gastown' }),
      durations: s.value('gastown_refinery_merge_duration_seconds_count', { rig: 'gastown' }),
    };
  }

  test('across reconciles, a stale cache, and a restart that keeps only the stored watermark', async () => {
    // Process 1: the rig is first seen with one old merge (baseline), then merges happen.
    const m1 = createMetrics({ defaultMetrics: false });
    const counter1 = createMergeCounter(m1);
    let status: MergeWatermark | undefined;
    status = counter1.observe('gastown', [merged('gt-old', 1)], status);
    assert.deepEqual(await totals(m1), { success: undefined, conflict: undefined, conflicts: undefined, durations: undefined });

    const list1 = [merged('gt-old', 1), merged('gt-a', 5), conflicted('gt-b', 6)];
    const written = counter1.observe('gastown', list1, status);
    // The status write has not reached the cache yet: the next reconcile still reads `status`.
    const again = counter1.observe('gastown', list1, status);
    assert.deepEqual(again, written);
    status = written;
    assert.equal(counter1.observe('gastown', list1, status), status, 'unchanged watermark is the stored object');
    assert.deepEqual(await totals(m1), { success: 1, conflict: 1, conflicts: 1, durations: 1 });

    // Restart: new registry, new counter, only the Rig status survives.
    const m2 = createMetrics({ defaultMetrics: false });
    const counter2 = createMergeCounter(m2);
    const list2 = [...list1, merged('gt-c', 6), merged('gt-d', 9)];
    status = counter2.observe('gastown', list2, status);
    assert.deepEqual(await totals(m2), { success: 2, conflict: undefined, conflicts: undefined, durations: 2 });
    assert.deepEqual(status, { closedAt: t(9), ids: ['gt-d'] });
    counter2.observe('gastown', list2, status);
    assert.deepEqual(await totals(m2), { success: 2, conflict: undefined, conflicts: undefined, durations: 2 });
  });

  test('forget drops the in-process watermark of a deleted rig', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const counter = createMergeCounter(m);
    const stored = counter.observe('gastown', [], undefined);
    counter.observe('gastown', [merged('gt-a', 5)], stored);
    counter.forget('gastown');
    // A re-created Rig starts without status: a baseline again, nothing counted twice.
    counter.observe('gastown', [merged('gt-a', 5)], undefined);
    assert.equal((await totals(m)).success, 1);
  });
});
