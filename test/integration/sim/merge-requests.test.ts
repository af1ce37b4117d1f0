// Merge requests through the simulated executables: `gt mq list --status` as gastown's
// mq_list.go filters it, the wisp shape gt prints for them (no closed_at, no close_reason),
// `bd show` with the full bead (closed_at, close_reason), and the gt-sim control commands.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as control from '../../../sim/src/control.ts';
import { bd, gt, makeTown, parseJson, runBin } from './harness.ts';
import type { TestTown } from './harness.ts';

type Json = Record<string, unknown>;

describe('merge requests in the simulated town', () => {
  let town: TestTown;
  const ids: Record<string, string> = {};
  before(async () => {
    town = await makeTown();
    ids['open'] = await control.mergeRequest(town.root, 'gastown');
    ids['success'] = await control.mergeRequest(town.root, 'gastown', { outcome: 'success', queuedSeconds: 90 });
    ids['conflict'] = await control.mergeRequest(town.root, 'gastown', { outcome: 'conflict', polecat: 'furiosa' });
    ids['failure'] = await control.mergeRequest(town.root, 'gastown', { outcome: 'failure' });
    ids['other-rig'] = await control.mergeRequest(town.root, 'beads', { outcome: 'success' });
  });
  after(() => town.cleanup());

  const list = async (...extra: string[]): Promise<Json[] | null> => {
    const r = await gt(town.root, ['mq', 'list', 'gastown', '--json', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return parseJson<Json[] | null>(r.stdout);
  };

  test('without --status only open MRs; --status closed the finished ones of this rig; all both', async () => {
    assert.deepEqual((await list())?.map((m) => m['id']), [ids['open']]);
    const closed = await list('--status', 'closed');
    assert.deepEqual(closed?.map((m) => m['id']).sort(), [ids['success'], ids['conflict'], ids['failure']].sort());
    assert.equal((await list('--status=all'))?.length, 4);
    assert.equal(await list('--status', 'in_progress'), null, 'an empty result is null, as gt encodes a nil slice');
  });

  test('closed MRs print as gt reads wisps: no closed_at, no close_reason, ephemeral; the description tells the outcome', async () => {
    const closed = (await list('--status', 'closed')) ?? [];
    for (const mr of closed) {
      assert.deepEqual(Object.keys(mr), ['id', 'title', 'description', 'status', 'priority', 'issue_type', 'created_at', 'created_by', 'updated_at', 'labels', 'ephemeral']);
      assert.equal(mr['status'], 'closed');
    }
    const byId = new Map(closed.map((m) => [m['id'], String(m['description'])]));
    assert.match(byId.get(ids['success'])!, /\nmerge_commit: [0-9a-f]{40}\nclose_reason: merged$/);
    assert.match(byId.get(ids['conflict'])!, /\nclose_reason: conflict$/);
    assert.match(byId.get(ids['conflict'])!, /^branch: polecat\/furiosa\//);
    assert.doesNotMatch(byId.get(ids['failure'])!, /close_reason|merge_commit/);
    const success = closed.find((m) => m['id'] === ids['success'])!;
    const queued = (Date.parse(String(success['updated_at'])) - Date.parse(String(success['created_at']))) / 1000;
    assert.ok(queued >= 89 && queued < 120, `queued ${queued}s`);
  });

  test('bd show gives the full bead: closed_at and the close reason', async () => {
    const r = await bd(town.root, ['show', ids['failure']!, ids['conflict']!, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const beads = parseJson<Json[]>(r.stdout);
    const failure = beads.find((b) => b['id'] === ids['failure'])!;
    assert.equal(failure['close_reason'], 'rejected: tests failed on the merged result');
    assert.equal(typeof failure['closed_at'], 'string');
    assert.match(String(beads.find((b) => b['id'] === ids['conflict'])!['close_reason']), /^conflict: merge conflict/);
  });

  test('gt-sim merge-request and finish-mr', async () => {
    const created = await runBin('gt-sim', town.root, ['merge-request', 'gastown', '--town', town.root]);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    assert.match(id, /^gt-/);
    const bad = await runBin('gt-sim', town.root, ['finish-mr', id, '--outcome', 'maybe', '--town', town.root]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--outcome must be one of success, resolved, conflict, failure/);
    const finished = await runBin('gt-sim', town.root, ['finish-mr', id, '--outcome', 'resolved', '--town', town.root]);
    assert.equal(finished.code, 0, finished.stderr);
    const shown = parseJson<Json[]>((await bd(town.root, ['show', id, '--json'])).stdout);
    assert.equal(shown[0]!['close_reason'], 'merged after conflict resolution');
    await assert.rejects(control.finishMergeRequest(town.root, id, 'success'), /already closed/);
  });
});
