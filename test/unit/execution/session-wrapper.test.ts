// The session wrapper's pure parts: who it speaks for (gt's env, refusals before any pod), the
// polecat's branch from its worktree, and how it reads a session pod's status.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { defaultRigViewName, readBranch, sessionIdentity, validBranch } from '../../../src/execution/session-identity.ts';
import { sessionPodName } from '../../../src/execution/session-pod.ts';
import { attachFailure } from '../../../src/execution/session-attach.ts';
import { isFinished, podProgress } from '../../../src/execution/session-pods.ts';

describe('session identity', () => {
  test('a polecat session: rig, polecat, CN and pod name', () => {
    const r = sessionIdentity({ GT_RIG: 'news_api', GT_POLECAT: 'Toast', GT_ROLE: 'news_api/polecats/Toast', GT_ROOT: '/home/me/gt' });
    assert.ok(r.ok);
    assert.deepEqual(r.value, { rig: 'news_api', polecat: 'Toast', cn: 'gt-news_api-Toast', podName: sessionPodName('news_api', 'Toast'), townRoot: '/home/me/gt' });
  });

  for (const [name, env, kind, pattern] of [
    ['no GT_POLECAT (a witness session)', { GT_RIG: 'gastown', GT_ROLE: 'gastown/witness' }, 'NotAPolecatSession', /GT_ROLE=gastown\/witness/],
    ['another role than the polecat', { GT_RIG: 'gastown', GT_POLECAT: 'toast', GT_ROLE: 'gastown/crew/toast' }, 'NotAPolecatSession', /only polecat sessions/],
    ['a rig name with -', { GT_RIG: 'news-api', GT_POLECAT: 'toast' }, 'InvalidIdentity', /rig name "news-api".*no session pod was created/],
    ['a polecat name with a space', { GT_RIG: 'gastown', GT_POLECAT: 'to ast' }, 'InvalidIdentity', /polecat name "to ast"/],
  ] as const) {
    test(`refused: ${name}`, () => {
      const r = sessionIdentity(env);
      assert.ok(!r.ok);
      assert.equal(r.error.kind, kind);
      assert.match(r.error.message, pattern);
    });
  }

  test('the default Rig view name is the rig name as a DNS label', () => {
    assert.equal(defaultRigViewName('news_api'), 'news-api');
    assert.equal(defaultRigViewName('Gastown'), 'gastown');
  });
});

describe('the polecat branch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'session-branch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('from a .git directory and from a linked worktree\'s gitdir file', () => {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    writeFileSync(join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    assert.deepEqual(readBranch(repo), { ok: true, value: 'main' });
    const worktree = join(dir, 'polecats', 'toast');
    const gitDir = join(repo, '.git', 'worktrees', 'toast');
    mkdirSync(worktree, { recursive: true });
    mkdirSync(gitDir, { recursive: true });
    writeFileSync(join(gitDir, 'HEAD'), 'ref: refs/heads/polecat/toast-mkx1\n');
    writeFileSync(join(worktree, '.git'), `gitdir: ${gitDir}\n`);
    assert.deepEqual(readBranch(worktree), { ok: true, value: 'polecat/toast-mkx1' });
  });

  test('refused: not a worktree, a detached HEAD, a name git would not take', () => {
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    const r1 = readBranch(plain);
    assert.ok(!r1.ok);
    assert.match(r1.error.message, /not a git worktree; pass --branch/);
    const detached = join(dir, 'detached');
    mkdirSync(join(detached, '.git'), { recursive: true });
    writeFileSync(join(detached, '.git', 'HEAD'), '3f1c2a9e0b\n');
    const r2 = readBranch(detached);
    assert.ok(!r2.ok);
    assert.match(r2.error.message, /HEAD is detached/);
    for (const bad of ['-x', 'a..b', 'a b', 'x.lock', 'a/', '']) assert.equal(validBranch(bad).ok, false, bad);
    assert.equal(validBranch('polecat/toast-1').ok, true);
  });
});

describe('session pod progress', () => {
  const pod = (status: V1Pod['status'], deleting = false): V1Pod => ({ metadata: { name: 'p', ...(deleting ? { deletionTimestamp: new Date() } : {}) }, status });

  test('running, terminated (the agent\'s exit code), and waiting with the most telling reason', () => {
    assert.deepEqual(podProgress(pod({ phase: 'Running', containerStatuses: [{ name: 'agent', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] })), { kind: 'running' });
    assert.deepEqual(
      podProgress(pod({ phase: 'Failed', containerStatuses: [{ name: 'agent', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] })),
      { kind: 'terminated', exitCode: 137, reason: 'OOMKilled' },
    );
    const initWaiting = podProgress(pod({
      phase: 'Pending',
      initContainerStatuses: [{ name: 'clone', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'no such image' } } }],
      containerStatuses: [{ name: 'agent', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    }));
    assert.deepEqual(initWaiting, { kind: 'waiting', reason: 'ImagePullBackOff', message: 'no such image' });
    assert.deepEqual(
      podProgress(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] })),
      { kind: 'waiting', reason: 'Unschedulable', message: '0/3 nodes are available' },
    );
  });

  test('a pod that failed before the agent ran, and what counts as finished', () => {
    const failed = pod({ phase: 'Failed', reason: 'FailedMount', message: 'secret "x-cert" not found' });
    assert.deepEqual(podProgress(failed), { kind: 'failed', reason: 'FailedMount', message: 'secret "x-cert" not found' });
    assert.equal(isFinished(failed), true);
    assert.equal(isFinished(pod({ phase: 'Running', containerStatuses: [{ name: 'agent', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] })), false);
    assert.equal(isFinished(pod({ phase: 'Running' }, true)), true, 'a pod being deleted is not attached to again');
    assert.equal(isFinished(pod({ phase: 'Pending' })), false);
  });
});

test('a failed attach says what went wrong, whatever client-node rejected with', () => {
  // client-node rejects with the WebSocket's error event, not an Error.
  assert.equal(attachFailure({ type: 'error', message: 'Unexpected server response: 400', target: {} }), 'Unexpected server response: 400');
  assert.equal(attachFailure(new Error('socket hang up')), 'socket hang up');
  assert.equal(attachFailure('closed'), 'closed');
});
