// Nuke safety in Pod execution: the polecat's pushed branches are read from the rig's bare
// repository (loose and packed refs, only `polecat/<name>-*`), and the Polecat decision blocks a
// nuke gt would allow when the pod's work never reached it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decidePolecat, DEFAULT_POLECAT_CONFIG } from '../../../src/controllers/polecat/decide.ts';
import { pushedPolecatBranches, rigBareRepo } from '../../../src/execution/pushed-branches.ts';
import { NOW, cond, item, polecat, recovery, town } from '../controllers/polecat-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'pushed-branches-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function git(args: string[], cwd: string): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
}

describe('pushedPolecatBranches', () => {
  test('finds polecat/<name>-* branches, loose and packed, and nothing else', async () => {
    const repo = rigBareRepo(dir, 'gastown');
    mkdirSync(join(dir, 'gastown'));
    git(['init', '--quiet', '--bare', '--initial-branch=main', repo], dir);
    const work = join(dir, 'work');
    git(['clone', '--quiet', repo, work], dir);
    git(['commit', '--quiet', '--allow-empty', '-m', 'work'], work);
    for (const ref of ['main', 'polecat/nux-abc', 'polecat/nuxx-def', 'polecat/toast-1']) git(['push', '--quiet', 'origin', `HEAD:refs/heads/${ref}`], work);
    git(['pack-refs', '--all'], repo);
    git(['push', '--quiet', 'origin', 'HEAD:refs/heads/polecat/nux-later'], work);
    assert.deepEqual(await pushedPolecatBranches(dir, 'gastown', 'nux'), { ok: true, repo, branches: ['polecat/nux-abc', 'polecat/nux-later'] });
    assert.deepEqual(await pushedPolecatBranches(dir, 'gastown', 'slit'), { ok: true, repo, branches: [] });
    const missing = await pushedPolecatBranches(dir, 'nope', 'nux');
    assert.equal(missing.ok, false);
  });
});

describe('nuke safety with Pod execution', () => {
  const status = { phase: 'Working' as const, gtName: 'nux', beadID: 'gt-abc12' };
  const terminating = polecat({ spec: { desiredState: 'Terminated' }, status });
  const snapshot = town({ polecats: [item('nux', 'idle', { issue: 'gt-abc12' })] });
  const session = { namespace: 'gt', podName: 'gt-gastown-nux-1', certificate: true, pod: undefined };
  const safe = { ok: true as const, value: recovery('SAFE_TO_NUKE', 'clean') };
  const decide = (pushed: { ok: true; repo: string; branches: string[] }, check = safe) =>
    decidePolecat({ polecat: terminating, deleting: false, snapshot, session, recovery: check, pushed }, NOW, DEFAULT_POLECAT_CONFIG);

  test('gt says clean (it looks at the host worktree) but no branch reached the bare repository: blocked, UnpushedCommits', () => {
    const d = decide({ ok: true, repo: '/town/gastown/.repo.git', branches: [] });
    assert.deepEqual(d.actions, []);
    assert.deepEqual(cond(d.status, 'CleanupBlocked'), { status: 'True', reason: 'UnpushedCommits' });
    assert.match(d.events[0]?.message ?? '', /no branch polecat\/nux-\* in \/town\/gastown\/\.repo\.git/);
  });

  test('the branch is in the bare repository: gt\'s verdict decides (nuke)', () => {
    const d = decide({ ok: true, repo: '/r', branches: ['polecat/nux-abc'] });
    assert.deepEqual(d.actions, [{ type: 'nuke', rig: 'gastown', name: 'nux', force: false }]);
  });

  test('gt verified the merge queue (the refinery may have deleted the branch): nuke', () => {
    const submitted = { ok: true as const, value: { ...recovery('SAFE_TO_NUKE', 'clean'), mqStatus: 'submitted' } };
    assert.equal(decide({ ok: true, repo: '/r', branches: [] }, submitted).actions[0]?.type, 'nuke');
  });

  test('a Local rig is judged by gt alone', () => {
    const d = decidePolecat({ polecat: terminating, deleting: false, snapshot, recovery: safe }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.equal(d.actions[0]?.type, 'nuke');
  });
});
