// The simulator on both gt releases it speaks (GT_SIM_VERSION=1.0|1.2): every place where gt
// v1.2 / bd v1.1 print or behave differently, once per version, through the real executables.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as control from '../../../sim/src/control.ts';
import { GT_VERSIONS, bd, gt, makeTown, onVersion, parseJson } from './harness.ts';
import type { TestTown } from './harness.ts';

const NOTICE = 'NOTE: bd --json output format will change in v2.0.';
const NO_MATCH = 'no issues found matching the provided IDs';

type Obj = Record<string, unknown>;

describe('gt and bd per release (GT_SIM_VERSION)', () => {
  let town: TestTown;
  before(async () => {
    town = await makeTown({ convoys: 1 });
  });
  after(() => town.cleanup());

  for (const version of GT_VERSIONS) {
    const current = version === '1.2';
    const on = (opts = {}): ReturnType<typeof onVersion> => onVersion(version, opts);

    test(`bd --json: an array for one id; schema_version and the deprecation notice only from bd v1.1 [gt ${version}]`, async () => {
      const id = Object.keys(control.readTown(town.root).beads).find((b) => b.startsWith('gt-'))!;
      const one = await bd(town.root, ['show', id, '--json'], on());
      assert.equal(one.code, 0);
      const items = parseJson<Obj[]>(one.stdout);
      assert.deepEqual(items.map((i) => [i['id'], 'schema_version' in i]), [[id, false]], 'arrays pass through untouched');
      assert.equal(one.stderr.includes(NOTICE), current);
      const none = await bd(town.root, ['show', 'gt-zzzzz', '--json'], on());
      assert.equal(none.code, 1);
      assert.deepEqual(parseJson(none.stdout), current ? { error: NO_MATCH, schema_version: 1 } : { error: NO_MATCH });
      const created = parseJson<Obj>((await bd(town.root, ['create', `made on ${version}`, '--json'], on())).stdout);
      assert.equal(created['schema_version'], current ? 1 : undefined);
    });

    test(`new convoys are tasks labelled gt:convoy on v1.2, type convoy on v1.0; both kinds are listed [gt ${version}]`, async () => {
      const bead = await control.addBead(town.root, { rig: 'gastown', title: `tracked on ${version}` });
      const created = await gt(town.root, ['convoy', 'create', `Batch ${version}`, bead, '--owned'], on());
      assert.equal(created.code, 0, created.stderr);
      const id = /Created convoy 🚚 (hq-cv-[0-9a-z]{5})/.exec(created.stdout)![1]!;
      const [shown] = parseJson<Obj[]>((await bd(town.root, ['show', id, '--json'], on())).stdout);
      assert.deepEqual([shown!['issue_type'], shown!['labels']], current ? ['task', ['gt:convoy', 'gt:owned']] : ['convoy', ['gt:owned']]);
      const status = parseJson<Obj>((await gt(town.root, ['convoy', 'status', id, '--json'], on())).stdout);
      assert.deepEqual([status['owned'], status['total']], [true, 1]);
      // The town's own convoy (made at creation, v1.2 by default) and both new ones: gt reads both kinds.
      const listed = parseJson<Obj[]>((await gt(town.root, ['convoy', 'list', '--json'], on())).stdout).map((c) => c['title']);
      assert.ok(listed.includes('Batch 1') && listed.includes(`Batch ${version}`), JSON.stringify(listed));
    });

    test(`polecat list and check-recovery: workstate fields, review-needed and PENDING_MR on v1.2 [gt ${version}]`, async () => {
      await control.setPolecatState(town.root, 'beads', 'nux', 'review-needed');
      const items = parseJson<Obj[]>((await gt(town.root, ['polecat', 'list', 'beads', '--json'], on())).stdout);
      const nux = items.find((p) => p['name'] === 'nux')!;
      assert.equal(nux['state'], 'review-needed');
      if (current) {
        assert.deepEqual(Object.keys(nux), [
          'rig', 'name', 'state', 'cleanup_status', 'branch', 'verdict', 'reason', 'reusable', 'safe_to_nuke', 'needs_recovery', 'needs_mq_submit',
          'mq_status', 'counts_toward_capacity', 'session_running',
        ]);
        assert.deepEqual([nux['verdict'], nux['safe_to_nuke'], nux['needs_mq_submit'], nux['mq_status']], ['SAFE_TO_NUKE', true, false, 'not_required']);
        const furiosa = items.find((p) => p['name'] === 'furiosa')!;
        assert.deepEqual([furiosa['verdict'], furiosa['blockers']], ['NEEDS_RECOVERY', ['cleanup_status=<missing>']]);
      } else {
        assert.deepEqual(Object.keys(nux), ['rig', 'name', 'state', 'session_running']);
      }
      // No self-reported cleanup status: v1.2 names the refusing predicate, v1.0 has no `blockers`.
      const missing = parseJson<Obj>((await gt(town.root, ['polecat', 'check-recovery', 'beads/furiosa', '--json'], on())).stdout);
      assert.deepEqual([missing['verdict'], missing['blockers']], ['NEEDS_RECOVERY', current ? ['cleanup_status=<missing>'] : undefined]);
      // A clean polecat whose merge request is still open.
      await control.makeDirty(town.root, 'beads', 'furiosa', { cleanupStatus: 'clean', openMr: true });
      const mr = control.readTown(town.root).polecats['beads/furiosa']!.dirt.openMr;
      const flags = current ? ['--json', '--reconcile-cleanup'] : ['--json'];
      const rec = parseJson<Obj>((await gt(town.root, ['polecat', 'check-recovery', 'beads/furiosa', ...flags], on())).stdout);
      if (current) {
        assert.deepEqual(
          [rec['verdict'], rec['needs_recovery'], rec['safe_to_nuke'], rec['active_mr'], rec['counts_toward_capacity']],
          ['PENDING_MR', false, false, mr, true],
        );
      } else {
        assert.deepEqual([rec['verdict'], 'safe_to_nuke' in rec, 'active_mr' in rec], ['NEEDS_RECOVERY', false, false]);
        const refused = await gt(town.root, ['polecat', 'check-recovery', 'beads/furiosa', '--reconcile-cleanup'], on());
        assert.equal(refused.stderr.split('\n')[0], 'Error: unknown flag: --reconcile-cleanup');
      }
      await control.makeDirty(town.root, 'beads', 'furiosa', { openMr: false, cleanupStatus: null });
      await control.setPolecatState(town.root, 'beads', 'nux', 'idle');
    });

    test(`a clean gt done retires the polecat on v1.2 only; sling --branch/--pr and mail --human are v1.2 flags [gt ${version}]`, async () => {
      const bead = await control.addBead(town.root, { rig: 'gastown', title: `done on ${version}` });
      const withBranch = await gt(town.root, ['sling', bead, 'gastown', '--no-convoy', '--branch', 'feature/resume'], on());
      if (!current) assert.equal(withBranch.stderr.split('\n')[0], 'Error: unknown flag: --branch');
      const slung = current ? withBranch : await gt(town.root, ['sling', bead, 'gastown', '--no-convoy'], on());
      assert.equal(slung.code, 0, slung.stderr);
      const name = new RegExp(`Slinging ${bead} to gastown/polecats/(\\w+)`).exec(slung.stdout)![1]!;
      const worktree = join(town.root, 'gastown', 'polecats', name, 'gastown');
      assert.equal(control.readTown(town.root).polecats[`gastown/${name}`]!.branch, current ? 'feature/resume' : `polecat/${name}/${bead}`);
      const done = await gt(town.root, ['done'], on({ cwd: worktree }));
      assert.equal(done.code, 0, done.stderr);
      const listed = parseJson<Obj[]>((await gt(town.root, ['polecat', 'list', 'gastown', '--json'], on())).stdout).find((p) => p['name'] === name);
      assert.deepEqual(listed === undefined ? undefined : [listed['state'], listed['issue']], current ? undefined : ['idle', undefined]);
      assert.equal(existsSync(worktree), !current);
      const [closed] = parseJson<Obj[]>((await bd(town.root, ['show', bead, '--json'], on())).stdout);
      assert.equal(closed!['status'], 'closed');
      const human = await gt(town.root, ['mail', 'send', '--human', '-s', 'Hello', '-m', 'From the sim'], on());
      assert.equal(current ? human.stdout : human.stderr.split('\n')[0], current ? '✓ Message sent to overseer\n' : 'Error: unknown flag: --human');
      if (current) {
        const next = await control.addBead(town.root, { rig: 'gastown', title: 'resume a PR' });
        const pr = await gt(town.root, ['sling', next, 'gastown', '--no-convoy', '--pr', '42'], on());
        const holder = new RegExp(`Slinging ${next} to gastown/polecats/(\\w+)`).exec(pr.stdout)![1]!;
        assert.equal(control.readTown(town.root).polecats[`gastown/${holder}`]!.branch, 'pr/42');
      }
    });
  }
});
