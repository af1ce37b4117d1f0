// bd show (bare and enveloped, partial and none found), mq list, hook status, convoy JSON.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isBeadShowNoMatch, parseBeadShow, parseMergeRequestFields, parseMqList } from '../../../src/gt/parse/bead.ts';
import { parseConvoyList, parseConvoyStatus } from '../../../src/gt/parse/convoy.ts';
import { parseHookStatus } from '../../../src/gt/parse/hook.ts';
import { ContractViolation } from '../../../src/gt/parse/json.ts';

const ISSUE = {
  id: 'gt-abc12', title: 'Fix the thing', description: 'desc', status: 'in_progress', priority: 0,
  issue_type: 'task', assignee: 'gastown/polecats/nux', owner: 'me', created_at: '2026-04-30T09:02:38.5Z',
  updated_at: '2026-04-30T10:00:00+02:00', labels: null,
  dependencies: [{ id: 'gt-def34', title: 'Dep', status: 'closed', priority: 1, issue_type: 'task', dependency_type: 'blocks' }],
  schema_version: 1, compaction_level: 0,
};

describe('parseBeadShow', () => {
  test('a bare array; ids bd did not return are missing', () => {
    const r = parseBeadShow(JSON.stringify([ISSUE], null, 2), ['gt-abc12', 'gt-zzz99']);
    assert.equal(r.found.length, 1);
    const bead = r.found[0]!;
    assert.deepEqual(bead.status, { kind: 'in_progress', raw: 'in_progress' });
    assert.equal(bead.priority, 0);
    assert.equal(bead.issueType, 'task');
    assert.equal(bead.createdAt, '2026-04-30T09:02:38.5Z');
    assert.deepEqual(bead.labels, []);
    assert.deepEqual(bead.dependencies, [{ id: 'gt-def34', type: undefined, dependencyType: 'blocks', status: { kind: 'closed', raw: 'closed' } }]);
    assert.deepEqual(r.missing, ['gt-zzz99']);
  });

  test('the {"schema_version","data"} envelope is accepted', () => {
    const r = parseBeadShow(JSON.stringify({ schema_version: 1, data: [{ ...ISSUE, status: 'custom_state' }] }), ['gt-abc12']);
    assert.deepEqual(r.found[0]!.status, { kind: 'unknown', raw: 'custom_state' });
    assert.deepEqual(r.missing, []);
  });

  test('"no issues found" (exit 1 reply) reads as all missing, bare or enveloped', () => {
    const bare = '{\n  "error": "no issues found matching the provided IDs",\n  "schema_version": 1\n}\n';
    assert.equal(isBeadShowNoMatch(bare), true);
    assert.deepEqual(parseBeadShow(bare, ['gt-a1', 'gt-b2']), { found: [], missing: ['gt-a1', 'gt-b2'] });
    const env = JSON.stringify({ schema_version: 1, data: { error: 'no issues found matching the provided IDs' } });
    assert.equal(isBeadShowNoMatch(env), true);
    assert.equal(isBeadShowNoMatch('{"error": "database is locked"}'), false);
    assert.equal(isBeadShowNoMatch('not json'), false);
  });

  test('bd times must be RFC 3339', () => {
    assert.throws(() => parseBeadShow(JSON.stringify([{ ...ISSUE, created_at: '2026-04-30 09:02:38' }]), ['gt-abc12']), ContractViolation);
  });
});

describe('merge requests', () => {
  test('description key: value lines are parsed; unknown keys ignored', () => {
    assert.deepEqual(parseMergeRequestFields('branch: polecat/nux\ntarget: main\nsource_issue: gt-abc12\nworker: nux\n' +
      'rig: gastown\ncommit_sha: 0123abc\nretry_count: 2\nconvoy_id: hq-cv-abcde\nfoo: bar\nmerge_commit:\n'), {
      branch: 'polecat/nux', target: 'main', sourceIssue: 'gt-abc12', worker: 'nux', rig: 'gastown',
      commitSha: '0123abc', retryCount: 2, convoyId: 'hq-cv-abcde',
    });
  });

  test('gt mq list as gt prints it: its own Issue struct (no owner, description always)', () => {
    const stdout = JSON.stringify([{
      id: 'gt-mr001', title: 'Merge: polecat/nux', description: 'branch: polecat/nux\ntarget: main\nsource_issue: gt-abc12\nworker: nux\nrig: gastown', status: 'open',
      priority: 2, issue_type: 'merge-request', created_at: '2026-04-01T10:00:00Z', created_by: 'overseer', updated_at: '2026-04-01T10:00:00Z', labels: ['gt:merge-request'],
    }], null, 2);
    const [mr] = parseMqList(`${stdout}\n`);
    assert.equal(mr!.owner, undefined);
    assert.deepEqual(mr!.labels, ['gt:merge-request']);
    assert.equal(mr!.mergeRequest.sourceIssue, 'gt-abc12');
    assert.equal(mr!.mergeRequest.worker, 'nux');
  });

  test('gt mq list: beads with parsed fields; null is []', () => {
    const mr = { ...ISSUE, id: 'gt-mr001', issue_type: 'merge-request', status: 'closed', description: 'branch: b\nmerge_commit: ffee00\nclose_reason: merged' };
    const [item] = parseMqList(JSON.stringify([mr]));
    assert.equal(item!.mergeRequest.mergeCommit, 'ffee00');
    assert.equal(item!.status.kind, 'closed');
    assert.deepEqual(parseMqList('null'), []);
  });
});

describe('hook status', () => {
  test('pinned bead and progress', () => {
    const h = parseHookStatus(JSON.stringify({
      target: 'gastown/polecats/nux', role: 'polecat', agent_bead_id: 'gt-gastown-polecat-nux', has_work: true,
      pinned_bead: ISSUE, attached_molecule: 'gt-mol01', is_wisp: false,
      progress: { root_id: 'gt-mol01', root_title: 'm', total_steps: 4, done_steps: 1, in_progress_steps: 1, ready_steps: null, blocked_steps: [], percent_complete: 25, complete: false },
    }));
    assert.equal(h.hasWork, true);
    assert.equal(h.pinnedBead?.id, 'gt-abc12');
    assert.deepEqual(h.hookedBead, { id: 'gt-abc12', title: 'Fix the thing', status: { kind: 'in_progress', raw: 'in_progress' } });
    assert.equal(h.progress?.percentComplete, 25);
  });
  test('real `gt hook status --json` output (MoleculeStatusInfo, 2-space indent, gt re-encoded bead)', () => {
    const stdout = [
      '{',
      '  "target": "gastown/polecats/furiosa",',
      '  "role": "",',
      '  "agent_bead_id": "gt-gastown-polecat-furiosa",',
      '  "has_work": true,',
      '  "pinned_bead": {',
      '    "id": "gt-m0izy",',
      '    "title": "Rename stale branches",',
      '    "description": "",',
      '    "status": "hooked",',
      '    "priority": 0,',
      '    "issue_type": "task",',
      '    "created_at": "2026-04-23T17:09:19.744Z",',
      '    "created_by": "overseer",',
      '    "updated_at": "2026-04-23T17:09:19.745Z",',
      '    "assignee": "gastown/polecats/furiosa"',
      '  },',
      '  "is_wisp": false,',
      '  "next_action": "Attach a molecule to start work: gt mol attach <bead-id> <molecule-id>"',
      '}',
      '',
    ].join('\n');
    const h = parseHookStatus(stdout);
    assert.equal(h.target, 'gastown/polecats/furiosa');
    assert.equal(h.role, '');
    assert.equal(h.agentBeadId, 'gt-gastown-polecat-furiosa');
    assert.equal(h.hasWork, true);
    assert.deepEqual(h.hookedBead, { id: 'gt-m0izy', title: 'Rename stale branches', status: { kind: 'hooked', raw: 'hooked' } });
    assert.equal(h.pinnedBead?.assignee, 'gastown/polecats/furiosa');
    assert.equal(h.nextAction, 'Attach a molecule to start work: gt mol attach <bead-id> <molecule-id>');
    const empty = parseHookStatus('{\n  "target": "gastown/furiosa",\n  "role": "",\n  "has_work": false,\n  "is_wisp": false,\n  "next_action": "Check inbox for work assignments: gt mail inbox"\n}\n');
    assert.equal(empty.hasWork, false);
    assert.equal(empty.hookedBead, undefined);
  });
  test('the compact `gt hook show` shape is another command and is rejected', () => {
    assert.throws(() => parseHookStatus('{"agent":"gastown/polecats/nux","bead_id":"gt-abc12","title":"Fix","status":"hooked"}\n'), ContractViolation);
  });
  test('an object without has_work is rejected rather than read as an empty hook', () => {
    assert.throws(() => parseHookStatus('{"target": "x", "role": "polecat"}'), ContractViolation);
  });
  test('empty hook', () => {
    const h = parseHookStatus('{"target": "gastown/polecats/nux", "role": "polecat", "has_work": false, "is_wisp": false}');
    assert.equal(h.hasWork, false);
    assert.equal(h.pinnedBead, undefined);
  });
});

const TRACKED = [
  { id: 'gt-abc12', title: 'A', status: 'closed', dependency_type: 'tracks', issue_type: 'task' },
  { id: 'bd-xyz99', title: 'B', status: 'hooked', dependency_type: 'tracks', issue_type: 'bug', blocked: true,
    assignee: 'beads/polecats/toast', worker: 'beads/toast', worker_age: '5m' },
];

describe('convoys', () => {
  test('convoy status', () => {
    const c = parseConvoyStatus(JSON.stringify({
      id: 'hq-cv-abcde', title: 'Work: A', status: 'staged_ready', owned: false, lifecycle: 'auto',
      tracked: TRACKED, completed: 1, total: 2,
    }, null, 2));
    assert.deepEqual(c.status, { kind: 'staged_ready', raw: 'staged_ready' });
    assert.equal(c.tracked[1]!.blocked, true);
    assert.equal(c.tracked[1]!.workerAge, '5m');
    assert.deepEqual(c.tracked[0]!.labels, []);
    assert.equal(c.completed, 1);
  });

  test('tracked: null reads as []; unknown convoy status kept raw', () => {
    const c = parseConvoyStatus('{"id":"hq-cv-abcde","title":"t","status":"landing","owned":true,"lifecycle":"owned","tracked":null,"completed":0,"total":0}');
    assert.deepEqual(c.tracked, []);
    assert.deepEqual(c.status, { kind: 'unknown', raw: 'landing' });
  });

  test('convoy list, [] and `No active convoys.`', () => {
    const l = parseConvoyList(JSON.stringify([{ id: 'hq-cv-abcde', title: 't', status: 'open', created_at: '2026-04-30T09:02:38Z', tracked: TRACKED, completed: 1, total: 2 }]));
    assert.equal(l[0]!.createdAt, '2026-04-30T09:02:38Z');
    assert.deepEqual(parseConvoyList('[]'), []);
    assert.deepEqual(parseConvoyList('No active convoys.\n'), []);
  });
});
