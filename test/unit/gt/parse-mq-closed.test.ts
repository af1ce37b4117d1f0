// `gt mq list <rig> --status closed --json` as the real gt prints it: issues-table MRs through
// bd list (closed_at present) and wisp MRs from gt's own SQL (gastown internal/beads/beads.go
// ListMergeRequests: no closed_at, issue_type "", ephemeral true); gt's Issue struct has no
// close_reason in either.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseMqList } from '../../../src/gt/parse/bead.ts';

const WISP = {
  id: 'gt-wisp-k3v9q', title: 'Merge: polecat/nux/gt-abc12',
  description: 'branch: polecat/nux/gt-abc12\ntarget: main\nsource_issue: gt-abc12\nworker: nux\nrig: gastown\ncommit_sha: 0a1b2c\nmerge_commit: 9f8e7d\nclose_reason: merged',
  status: 'closed', priority: 2, issue_type: '', created_at: '2026-04-01T10:00:00Z', created_by: 'gastown/polecats/nux',
  updated_at: '2026-04-01T10:04:00Z', labels: ['gt:merge-request'], ephemeral: true,
};
const ISSUE_MR = {
  id: 'gt-mr-7x2p0', title: 'Merge: polecat/toast/gt-def34', description: 'branch: polecat/toast/gt-def34\ntarget: main\nrig: gastown',
  status: 'closed', priority: 1, issue_type: 'merge-request', created_at: '2026-04-01T09:00:00Z', updated_at: '2026-04-01T09:30:00Z',
  closed_at: '2026-04-01T09:30:00.123456789Z', labels: ['gt:merge-request'],
};

describe('gt mq list --status closed', () => {
  test('wisp and issues-table MRs, 2-space indented as gt prints them', () => {
    const [wisp, issue] = parseMqList(`${JSON.stringify([WISP, ISSUE_MR], null, 2)}\n`);
    assert.equal(wisp!.status.kind, 'closed');
    assert.equal(wisp!.closedAt, undefined, 'gt does not select closed_at for wisps');
    assert.equal(wisp!.updatedAt, '2026-04-01T10:04:00Z');
    assert.equal(wisp!.closeReason, undefined);
    assert.equal(wisp!.issueType, undefined, 'the empty issue_type of a wisp reads as absent');
    assert.deepEqual(wisp!.mergeRequest, {
      branch: 'polecat/nux/gt-abc12', target: 'main', sourceIssue: 'gt-abc12', worker: 'nux', rig: 'gastown',
      commitSha: '0a1b2c', mergeCommit: '9f8e7d', closeReason: 'merged',
    });
    assert.equal(issue!.closedAt, '2026-04-01T09:30:00.123456789Z');
    assert.equal(issue!.mergeRequest.mergeCommit, undefined);
  });

  test('times gt relays from SQL without a zone are read as the town host local time', () => {
    const [mr] = parseMqList(JSON.stringify([{ ...WISP, created_at: '2026-04-01 10:00:00', updated_at: '2026-04-01 10:04:00' }]));
    assert.equal((Date.parse(mr!.updatedAt!) - Date.parse(mr!.createdAt!)) / 1000, 240);
  });

  test('nothing closed prints null', () => {
    assert.deepEqual(parseMqList('null\n'), []);
  });
});
