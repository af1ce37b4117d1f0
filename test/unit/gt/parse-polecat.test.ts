// Polecat parsers and gt's zone-less timestamps.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ContractViolation } from '../../../src/gt/parse/json.ts';
import { parseGitState, parsePolecatList, parsePolecatStatus, parseRecoveryCheck } from '../../../src/gt/parse/polecat.ts';
import { formatWithOffset, gtLocalTimeToIso, rfc3339 } from '../../../src/gt/parse/time.ts';

describe('parsePolecatList', () => {
  test('reads list items; new states (review-needed, gt v1.2) are kept raw; newer fields optional', () => {
    const out = JSON.stringify([
      { rig: 'gastown', name: 'nux', state: 'working', issue: 'gt-abc12', session_running: true, session_name: 'gt-gastown-nux' },
      { rig: 'gastown', name: 'toast', state: 'review-needed', session_running: false, zombie: true,
        cleanup_status: 'has_unpushed', verdict: 'PENDING_MR', safe_to_nuke: false, branch: 'polecat/toast',
        needs_mq_submit: false, active_mr: 'gt-wisp-m1', blockers: ['active_mr=gt-wisp-m1'], reusable: false, counts_toward_capacity: true },
      { rig: 'gastown', name: 'slit', state: 'on-vacation', session_running: false },
    ], null, 2);
    const [nux, toast, slit] = parsePolecatList(out);
    assert.deepEqual(nux, {
      rig: 'gastown', name: 'nux', state: { kind: 'working', raw: 'working' }, issue: 'gt-abc12',
      sessionRunning: true, zombie: undefined, sessionName: 'gt-gastown-nux', cleanupStatus: undefined,
      branch: undefined, verdict: undefined, safeToNuke: undefined, needsMqSubmit: undefined, activeMr: undefined, blockers: undefined,
    });
    assert.deepEqual(toast!.state, { kind: 'unknown', raw: 'review-needed' });
    assert.deepEqual([toast!.safeToNuke, toast!.needsMqSubmit, toast!.activeMr, toast!.blockers], [false, false, 'gt-wisp-m1', ['active_mr=gt-wisp-m1']]);
    assert.deepEqual(slit!.state, { kind: 'unknown', raw: 'on-vacation' });
    assert.deepEqual(toast!.cleanupStatus, { kind: 'has_unpushed', raw: 'has_unpushed' });
    assert.deepEqual(toast!.verdict, { kind: 'PENDING_MR', raw: 'PENDING_MR' });
    assert.equal(toast!.zombie, true);
  });

  test('empty list is [] (and a Go nil slice `null` too)', () => {
    assert.deepEqual(parsePolecatList('[]\n'), []);
    assert.deepEqual(parsePolecatList('null\n'), []);
  });

  test('a stderr-style warning printed on stdout before the JSON is skipped', () => {
    const out = 'warning: failed to list polecats in other: rig broken\n[{"rig":"a","name":"b","state":"idle","session_running":false}]';
    assert.equal(parsePolecatList(out)[0]!.name, 'b');
  });
});

describe('parsePolecatStatus', () => {
  test('zone-less local times become ISO-8601 with the local offset', () => {
    const out = JSON.stringify({
      rig: 'gastown', name: 'nux', state: 'stalled', clone_path: '/t/gastown/polecats/nux/gastown',
      branch: 'polecat/nux', session_running: false, created_at: '2026-04-30 09:02:38', last_activity: '',
    });
    const s = parsePolecatStatus(out);
    assert.equal(s.state.kind, 'stalled');
    assert.equal(s.clonePath, '/t/gastown/polecats/nux/gastown');
    assert.equal(s.createdAt, formatWithOffset(new Date(2026, 3, 30, 9, 2, 38)));
    assert.match(s.createdAt, /^2026-04-30T09:02:38[+-]\d{2}:\d{2}$/);
    assert.equal(Date.parse(s.createdAt), new Date(2026, 3, 30, 9, 2, 38).getTime());
    assert.equal(s.lastActivity, undefined);
  });

  test('a timestamp in neither gt nor RFC 3339 format is a contract violation', () => {
    const out = JSON.stringify({ rig: 'r', name: 'n', state: 'idle', clone_path: '', branch: '', session_running: false, created_at: '30/04/2026' });
    assert.throws(() => parsePolecatStatus(out), ContractViolation);
  });
});

describe('time helpers', () => {
  test('gtLocalTimeToIso rejects impossible dates and other formats', () => {
    assert.equal(gtLocalTimeToIso('2026-02-30 10:00:00'), undefined);
    assert.equal(gtLocalTimeToIso('2026-02-03T10:00:00Z'), undefined);
  });
  test('rfc3339 keeps fractional seconds and offsets as printed', () => {
    assert.equal(rfc3339('2026-04-30T09:02:38.123456789+02:00'), '2026-04-30T09:02:38.123456789+02:00');
    assert.equal(rfc3339('2026-04-30T09:02:38Z'), '2026-04-30T09:02:38Z');
    assert.equal(rfc3339('2026-04-30 09:02:38'), undefined);
  });
});

describe('git-state and check-recovery', () => {
  test('git-state', () => {
    assert.deepEqual(parseGitState('{"clean": false, "uncommitted_files": ["a.go"], "unpushed_commits": 2, "stash_count": 0}'), {
      clean: false, uncommittedFiles: ['a.go'], unpushedCommits: 2, stashCount: 0,
    });
  });

  test('check-recovery: verdicts are open; "" cleanup status is unknown', () => {
    const r = parseRecoveryCheck(JSON.stringify({
      rig: 'gastown', polecat: 'nux', cleanup_status: '', needs_recovery: true, verdict: 'SOMETHING_NEW', mq_status: 'not_required',
    }));
    assert.deepEqual(r.verdict, { kind: 'unknown', raw: 'SOMETHING_NEW' });
    assert.deepEqual(r.cleanupStatus, { kind: 'unknown', raw: '' });
    assert.equal(r.mqStatus, 'not_required');
    const safe = parseRecoveryCheck('{"rig":"g","polecat":"n","cleanup_status":"clean","needs_recovery":false,"verdict":"SAFE_TO_NUKE"}');
    assert.equal(safe.verdict.kind, 'SAFE_TO_NUKE');
  });

  test('check-recovery as gt v1.0.x prints it: mq_status is submitted / not_submitted / unknown, no blockers', () => {
    const stdout = '{\n  "rig": "beads",\n  "polecat": "nux",\n  "cleanup_status": "clean",\n  "needs_recovery": true,\n  "verdict": "NEEDS_MQ_SUBMIT",\n  "branch": "polecat/nux",\n  "mq_status": "not_submitted"\n}\n';
    const r = parseRecoveryCheck(stdout);
    assert.equal(r.verdict.kind, 'NEEDS_MQ_SUBMIT');
    assert.equal(r.needsRecovery, true);
    assert.equal(r.mqStatus, 'not_submitted');
    assert.equal(r.issue, undefined);
    assert.deepEqual(r.blockers, []);
  });

  test('check-recovery as current gt prints it: not_required, blockers, the workstate flags it reads and fields it ignores', () => {
    const notRequired = parseRecoveryCheck(JSON.stringify({
      rig: 'gastown', polecat: 'nux', cleanup_status: 'clean', needs_recovery: false, verdict: 'SAFE_TO_NUKE', reason: 'reusable', reusable: true,
      safe_to_nuke: true, needs_mq_submit: false, counts_toward_capacity: false, reuse_status: 'idle-preserved', branch: 'polecat/nux',
      mq_status: 'not_required', cleanup_status_source: 'recorded', git_state_source: 'live',
    }));
    assert.deepEqual(notRequired, {
      rig: 'gastown', polecat: 'nux', cleanupStatus: { kind: 'clean', raw: 'clean' }, needsRecovery: false, verdict: { kind: 'SAFE_TO_NUKE', raw: 'SAFE_TO_NUKE' },
      branch: 'polecat/nux', issue: undefined, mqStatus: 'not_required', blockers: [],
      safeToNuke: true, needsMqSubmit: false, reason: 'reusable', activeMr: undefined,
    });
    const unknown = parseRecoveryCheck('{"rig":"g","polecat":"n","cleanup_status":"clean","needs_recovery":true,"verdict":"NEEDS_RECOVERY","branch":"polecat/n","mq_status":"unknown","blockers":["mq_status=unknown"]}');
    assert.equal(unknown.mqStatus, 'unknown');
    assert.deepEqual(unknown.blockers, ['mq_status=unknown']);
    assert.deepEqual(parseRecoveryCheck('{"rig":"g","polecat":"n","cleanup_status":"clean","needs_recovery":false,"verdict":"SAFE_TO_NUKE","blockers":null}').blockers, []);
    // A value no gt printed yet stays an open string, and a verdict nobody knows stays unknown.
    const future = parseRecoveryCheck('{"rig":"g","polecat":"n","cleanup_status":"clean","needs_recovery":false,"verdict":"WORKING","mq_status":"deferred"}');
    assert.equal(future.mqStatus, 'deferred');
    assert.deepEqual(future.verdict, { kind: 'unknown', raw: 'WORKING' });
    assert.throws(() => parseRecoveryCheck('{"rig":"g","polecat":"n","cleanup_status":"clean","needs_recovery":true,"verdict":"NEEDS_RECOVERY","blockers":"mq_status=unknown"}'), ContractViolation);
  });

  test('zombie list entries: state zombie, session running, no issue', () => {
    const [z] = parsePolecatList('[\n  {\n    "rig": "gastown",\n    "name": "nux",\n    "state": "zombie",\n    "session_running": true,\n    "zombie": true,\n    "session_name": "gt-nux"\n  }\n]\n');
    assert.equal(z!.state.kind, 'zombie');
    assert.equal(z!.zombie, true);
    assert.equal(z!.sessionName, 'gt-nux');
    assert.equal(z!.issue, undefined);
  });

  test('check-recovery without a verdict is rejected, never read as safe', () => {
    assert.throws(() => parseRecoveryCheck('{"rig":"g","polecat":"n","cleanup_status":"clean","needs_recovery":false}'), ContractViolation);
  });
});
