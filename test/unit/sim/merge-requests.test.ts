// The simulator's merge requests: created as gt creates them (wisps with the refinery's
// description lines) and finished the way the refinery, the conflict-resolution formula and
// `gt mq reject` finish them, in gt's FormatMRFields line order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addRigMergeRequest, finishMergeRequest, openMergeRequests, rigMergeRequests, setMrFields,
} from '../../../sim/src/domain.ts';
import { seededRng } from '../../../sim/src/ids.ts';
import { emptyState, type SimState } from '../../../sim/src/model.ts';

function town(): SimState {
  const state = emptyState('t');
  for (const [name, prefix] of [['gastown', 'gt'], ['beads', 'bd']] as const) {
    state.rigs[name] = { name, prefix, gitUrl: '', addedAt: '', status: 'operational', witnessRunning: true, refineryRunning: true, crew: [] };
  }
  return state;
}

describe('setMrFields (gt SetMRFields)', () => {
  test('replaces MR lines in gt order, drops empty values and retry_count 0, keeps other lines after', () => {
    const before = 'branch: b\ntarget: main\nsource_issue: \nworker: nux\nrig: gastown\ncommit_sha: abc\nretry_count: 0\nnotes here';
    assert.equal(
      setMrFields(before, { close_reason: 'merged', merge_commit: 'fff' }),
      'branch: b\ntarget: main\nworker: nux\nrig: gastown\ncommit_sha: abc\nmerge_commit: fff\nclose_reason: merged\nnotes here',
    );
  });
});

describe('merge requests', () => {
  test('created as open wisps of the rig, in its prefix, labelled gt:merge-request', () => {
    const state = town();
    const mr = addRigMergeRequest(state, 'gastown', { branch: 'polecat/nux/gt-abc12', worker: 'nux', sourceIssue: 'gt-abc12' }, seededRng(1));
    assert.match(mr.id, /^gt-/);
    assert.equal(mr.status, 'open');
    assert.equal(mr.ephemeral, true);
    assert.equal(mr.issueType, 'merge-request');
    assert.deepEqual(mr.labels, ['gt:merge-request']);
    assert.match(mr.description, /^branch: polecat\/nux\/gt-abc12\ntarget: main\nsource_issue: gt-abc12\nworker: nux\nrig: gastown\ncommit_sha: [0-9a-f]{40}\n/);
    assert.deepEqual(rigMergeRequests(state, state.rigs['gastown']!).map((b) => b.id), [mr.id]);
    assert.deepEqual(rigMergeRequests(state, state.rigs['beads']!), []);
  });

  const cases = [
    ['success', 'merged', /\nmerge_commit: [0-9a-f]{40}\nclose_reason: merged$/],
    ['resolved', 'merged after conflict resolution', /\ncommit_sha: [0-9a-f]{40}\nretry_count: 0$/],
    ['conflict', 'conflict: merge conflict rebasing polecat/x onto main', /\ncommit_sha: [0-9a-f]{40}\nclose_reason: conflict$/],
    ['failure', 'rejected: tests failed on the merged result', /\ncommit_sha: [0-9a-f]{40}\nretry_count: 0$/],
  ] as const;
  for (const [outcome, reason, description] of cases) {
    test(`${outcome}: closed with bd reason "${reason}" and the description the refinery leaves`, () => {
      const state = town();
      const mr = addRigMergeRequest(state, 'gastown', { branch: 'polecat/x', worker: 'x' }, seededRng(2));
      finishMergeRequest(mr, outcome, seededRng(3));
      assert.equal(mr.status, 'closed');
      assert.equal(mr.closeReason, reason);
      assert.ok(mr.closedAt !== undefined && mr.updatedAt === mr.closedAt);
      assert.match(mr.description, description);
      assert.deepEqual(openMergeRequests(state, state.rigs['gastown']!), []);
      assert.equal(rigMergeRequests(state, state.rigs['gastown']!).length, 1);
    });
  }

  test('an explicit close reason overrides the default', () => {
    const state = town();
    const mr = addRigMergeRequest(state, 'gastown', { branch: 'polecat/x', worker: 'x' }, seededRng(2));
    finishMergeRequest(mr, 'failure', seededRng(3), 'Branch no longer exists');
    assert.equal(mr.closeReason, 'Branch no longer exists');
  });
});
