// The simulated gt's read commands against the contract: JSON shapes with snake_case keys,
// exact texts and exit codes, through the real executables.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as control from '../../../sim/src/control.ts';
import { gt, makeTown, onVersion, parseJson } from './harness.ts';
import type { TestTown } from './harness.ts';

const SNAKE = /^[a-z0-9_]+$/;
function assertSnakeKeys(value: unknown): void {
  if (Array.isArray(value)) value.forEach(assertSnakeKeys);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      assert.match(k, SNAKE, `key ${k}`);
      assertSnakeKeys(v);
    }
  }
}

describe('gt read commands', () => {
  let town: TestTown;
  before(async () => {
    town = await makeTown();
  });
  after(() => town.cleanup());

  test('rig list --json lists rigs with counts', async () => {
    const r = await gt(town.root, ['rig', 'list', '--json']);
    assert.equal(r.code, 0);
    const rigs = parseJson<Array<Record<string, unknown>>>(r.stdout);
    assert.deepEqual(rigs.map((x) => x['name']), ['beads', 'gastown']);
    assert.deepEqual(Object.keys(rigs[0]!), ['name', 'beads_prefix', 'status', 'witness', 'refinery', 'polecats', 'crew']);
    assert.equal(rigs[1]!['status'], 'operational');
    assert.equal(rigs[1]!['polecats'], 2);
    assert.match(r.stdout, /^\[\n {2}\{\n {4}"name"/);
  });

  test('status --json has the town shape; --fast drops mq and hooks', async () => {
    const full = parseJson<Record<string, unknown>>((await gt(town.root, ['status', '--json'])).stdout);
    assertSnakeKeys(full);
    const rig = (full['rigs'] as Array<Record<string, unknown>>)[0]!;
    // gastown status.go RigStatus field order; mq is omitted while the queue is empty.
    assert.deepEqual(Object.keys(rig), ['name', 'polecats', 'polecat_count', 'crews', 'crew_count', 'has_witness', 'has_refinery', 'hooks', 'agents']);
    assert.equal(rig['crews'], null);
    // hooks[] come from `<role> Handoff` beads (none here): sling work shows under agents[].
    assert.deepEqual((rig['hooks'] as unknown[]).at(-1), { agent: 'beads/refinery', role: 'refinery', has_work: false });
    assert.equal((full['summary'] as Record<string, number>)['active_hooks'], 0);
    const agents = rig['agents'] as Array<Record<string, unknown>>;
    assert.deepEqual(agents.map((a) => a['session']), ['bd-witness', 'bd-refinery', 'bd-furiosa', 'bd-nux']);
    assert.deepEqual(Object.keys(agents[2]!), ['name', 'address', 'session', 'role', 'running', 'acp', 'has_work', 'work_title', 'hook_bead', 'state', 'unread_mail']);
    const fast = parseJson<Record<string, unknown>>((await gt(town.root, ['status', '--json', '--fast'])).stdout);
    const fastRig = (fast['rigs'] as Array<Record<string, unknown>>)[0]!;
    assert.ok(!('mq' in fastRig) && !('hooks' in fastRig));
  });

  test('status --json: has_witness is structural, running is per agent; mq appears with open MRs', async () => {
    await control.setRigStatus(town.root, 'beads', 'parked');
    const parked = parseJson<{ rigs: Array<Record<string, unknown>>; summary: Record<string, number> }>((await gt(town.root, ['status', '--json'])).stdout);
    const rig = parked.rigs.find((r) => r['name'] === 'beads')!;
    assert.equal(rig['has_witness'], true);
    assert.equal(parked.summary['witness_count'], 2);
    const witness = (rig['agents'] as Array<Record<string, unknown>>).find((a) => a['name'] === 'witness')!;
    assert.equal(witness['running'], false);
    await control.setRigStatus(town.root, 'beads', 'operational');
    await control.makeDirty(town.root, 'beads', 'furiosa', { openMr: true });
    const withMr = parseJson<{ rigs: Array<Record<string, unknown>> }>((await gt(town.root, ['status', '--json'])).stdout);
    assert.deepEqual(withMr.rigs.find((r) => r['name'] === 'beads')!['mq'], { pending: 1, in_flight: 0, blocked: 0, state: 'idle', health: 'healthy' });
    await control.makeDirty(town.root, 'beads', 'furiosa', { openMr: false });
  });

  test('polecat list rewrites states and needs a rig', async () => {
    await control.killSession(town.root, 'gastown', 'furiosa');
    const r = await gt(town.root, ['polecat', 'list', 'gastown', '--json']);
    const items = parseJson<Array<Record<string, unknown>>>(r.stdout);
    assert.equal(items.find((p) => p['name'] === 'furiosa')!['state'], 'stalled');
    const raw = parseJson<Record<string, unknown>>((await gt(town.root, ['polecat', 'status', 'gastown/furiosa', '--json'])).stdout);
    assert.equal(raw['state'], 'working');
    const missing = await gt(town.root, ['polecat', 'list', '--json']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.split('\n')[0], 'Error: rig name required (or use --all)');
    assert.match(missing.stderr, /Usage:/);
    const unknown = await gt(town.root, ['polecat', 'list', 'nope', '--json']);
    assert.equal(unknown.stderr.split('\n')[0], "Error: rig 'nope' not found");
  });

  test('polecat status prints zone-less local times while a session runs', async () => {
    const r = await gt(town.root, ['polecat', 'status', 'beads/furiosa', '--json']);
    const body = parseJson<Record<string, unknown>>(r.stdout);
    assert.match(String(body['created_at']), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.equal(body['session_running'], true);
    assert.equal(body['clone_path'], join(town.root, 'beads', 'polecats', 'furiosa', 'beads'));
    const nf = await gt(town.root, ['polecat', 'status', 'beads/ghost', '--json']);
    assert.equal(nf.code, 1);
    assert.equal(nf.stderr.split('\n')[0], "Error: polecat 'ghost' not found in rig 'beads'");
  });

  test('git-state follows the worktree; check-recovery the agent bead and the merge queue', async () => {
    await control.makeDirty(town.root, 'beads', 'nux', { unpushedCommits: 2, uncommittedFiles: ['a.go'] });
    const gs = parseJson<Record<string, unknown>>((await gt(town.root, ['polecat', 'git-state', 'beads/nux', '--json'])).stdout);
    assert.deepEqual(gs, { clean: false, uncommitted_files: ['a.go'], unpushed_commits: 2, stash_count: 0 });
    // gt v1.0's shape (v1.2's workstate fields and PENDING_MR: versions.test.ts).
    const check = async (name: string): Promise<Record<string, unknown>> =>
      parseJson<Record<string, unknown>>((await gt(town.root, ['polecat', 'check-recovery', `beads/${name}`, '--json'], onVersion('1.0'))).stdout);
    // A working polecat never ran gt done: no self-report on its agent bead -> "" (v1.0 prints no
    // blockers: they came with v1.2's workstate, docs/gt-versions.md).
    const working = await check('furiosa');
    assert.deepEqual(Object.keys(working), ['rig', 'polecat', 'cleanup_status', 'needs_recovery', 'verdict', 'branch', 'issue']);
    assert.equal(working['cleanup_status'], '');
    assert.equal(working['verdict'], 'NEEDS_RECOVERY');
    // nux self-reported clean (gt done) but has commits on its branch that never reached the queue.
    assert.deepEqual(await check('nux'), {
      rig: 'beads', polecat: 'nux', cleanup_status: 'clean', needs_recovery: true, verdict: 'NEEDS_MQ_SUBMIT', branch: 'polecat/nux',
      mq_status: 'not_submitted',
    });
    // Idle after gt done with nothing ahead of the integration branch: nothing to submit.
    await control.makeDirty(town.root, 'beads', 'nux', { unpushedCommits: 0, uncommittedFiles: [] });
    assert.deepEqual(await check('nux'), {
      rig: 'beads', polecat: 'nux', cleanup_status: 'clean', needs_recovery: false, verdict: 'SAFE_TO_NUKE', branch: 'polecat/nux', mq_status: 'not_required',
    });
    await control.makeDirty(town.root, 'beads', 'nux', { cleanupStatus: 'has_unpushed' });
    assert.equal((await check('nux'))['verdict'], 'NEEDS_RECOVERY');
    await control.makeDirty(town.root, 'beads', 'nux', { cleanupStatus: 'clean' });
    // furiosa's hooked work: pushed but never submitted -> NEEDS_MQ_SUBMIT.
    await control.makeDirty(town.root, 'beads', 'furiosa', { cleanupStatus: 'clean', needsMqSubmit: true });
    assert.deepEqual([(await check('furiosa'))['verdict'], (await check('furiosa'))['mq_status']], ['NEEDS_MQ_SUBMIT', 'not_submitted']);
    // An open MR of the branch (active MR): not safe; merged (closed): submitted, safe.
    await control.makeDirty(town.root, 'beads', 'furiosa', { needsMqSubmit: false, openMr: true });
    assert.equal((await check('furiosa'))['verdict'], 'NEEDS_RECOVERY');
    await control.makeDirty(town.root, 'beads', 'furiosa', { openMr: false });
    const safe = await check('furiosa');
    assert.deepEqual([safe['verdict'], safe['needs_recovery'], safe['mq_status'], safe['issue']], ['SAFE_TO_NUKE', false, 'submitted', working['issue']]);
    await control.makeDirty(town.root, 'beads', 'furiosa', { cleanupStatus: null });
  });

  test('polecat status always names the session; a zombie is not found', async () => {
    const idle = parseJson<Record<string, unknown>>((await gt(town.root, ['polecat', 'status', 'gastown/nux', '--json'])).stdout);
    assert.equal(idle['session_running'], false);
    assert.equal(idle['session_id'], 'gt-nux');
    assert.equal('created_at' in idle, false);
    await control.setPolecatState(town.root, 'gastown', 'nux', 'zombie');
    for (const sub of ['status', 'git-state', 'check-recovery']) {
      const r = await gt(town.root, ['polecat', sub, 'gastown/nux', '--json']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.split('\n')[0], "Error: polecat 'nux' not found in rig 'gastown'");
    }
    const list = parseJson<Array<Record<string, unknown>>>((await gt(town.root, ['polecat', 'list', 'gastown', '--json'])).stdout);
    assert.deepEqual(list.at(-1), { rig: 'gastown', name: 'nux', state: 'zombie', session_running: true, zombie: true, session_name: 'gt-nux' });
    await gt(town.root, ['polecat', 'nuke', 'gastown/nux', '--force']);
  });

  test('nuke refuses dirty polecats, is idempotent, and removes the worktree', async () => {
    await control.makeDirty(town.root, 'beads', 'nux', { cleanupStatus: 'has_stash' });
    const refused = await gt(town.root, ['polecat', 'nuke', 'beads/nux']);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /^Error: Cannot nuke the following polecats:\n\n {2}beads\/nux:\n {4}- has stashed changes\n/);
    assert.equal(refused.stderr.split('\n')[0], 'Error: blocked: 1 polecat(s) have active work');
    const dry = await gt(town.root, ['polecat', 'nuke', 'beads/nux', '--dry-run']);
    assert.equal(dry.code, 0);
    assert.match(dry.stdout, /^Would nuke beads\/nux:\n {2}- Kill session: gt-beads-nux\n/);
    assert.match(dry.stdout, /Close agent bead: bd-beads-polecat-nux\n\n {2}Safety checks:\n {4}- Git state: dirty \(has_stash\)\n/);
    const unknown = await gt(town.root, ['polecat', 'nuke', 'beads/furiosa']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stdout, / {2}beads\/furiosa:\n {4}- cleanup status unknown\n {4}- has work on hook \(bd-/);
    const forced = await gt(town.root, ['polecat', 'nuke', 'beads/nux', '--force']);
    assert.equal(forced.code, 0);
    assert.equal(existsSync(join(town.root, 'beads', 'polecats', 'nux')), false);
    // gt does not check that the polecat exists: every step finds nothing, exit 0.
    const again = await gt(town.root, ['polecat', 'nuke', 'beads/nux']);
    assert.equal(again.code, 0);
    assert.equal(again.stdout, 'Nuking beads/nux...\n  ○ worktree already gone\n  ○ agent bead not found or already cleaned\n\n✓ Nuked 1 polecat(s).\n');
  });

  test('hook status prints MoleculeStatusInfo, indented, target matched verbatim', async () => {
    const r = await gt(town.root, ['hook', 'status', 'gastown/polecats/furiosa', '--json']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\{\n {2}"target": "gastown\/polecats\/furiosa",\n {2}"role": "",\n {2}"agent_bead_id": "gt-gastown-polecat-furiosa",\n {2}"has_work": true,\n {2}"pinned_bead": \{\n/);
    const body = parseJson<Record<string, unknown>>(r.stdout);
    assert.deepEqual(Object.keys(body), ['target', 'role', 'agent_bead_id', 'has_work', 'pinned_bead', 'is_wisp', 'next_action']);
    const pinned = body['pinned_bead'] as Record<string, unknown>;
    assert.equal(pinned['status'], 'hooked');
    assert.equal(pinned['assignee'], 'gastown/polecats/furiosa');
    assert.equal(body['next_action'], 'Attach a molecule to start work: gt mol attach <bead-id> <molecule-id>');
    // `<rig>/<name>` is not the assignee gt wrote: nothing found.
    const short = parseJson<Record<string, unknown>>((await gt(town.root, ['hook', 'status', 'gastown/furiosa', '--json'])).stdout);
    assert.deepEqual(short, {
      target: 'gastown/furiosa', role: '', agent_bead_id: 'gt-gastown-polecat-furiosa', has_work: false, is_wisp: false,
      next_action: 'Check inbox for work assignments: gt mail inbox',
    });
  });

  test('witness, refinery and mq report per rig', async () => {
    const w = parseJson<Record<string, unknown>>((await gt(town.root, ['witness', 'status', 'gastown', '--json'])).stdout);
    assert.deepEqual(w, { running: true, rig_name: 'gastown', session: 'gt-witness', monitored_polecats: ['furiosa'] });
    const noArg = await gt(town.root, ['witness', 'status', '--json']);
    assert.equal(noArg.stderr.split('\n')[0], 'Error: accepts 1 arg(s), received 0');
    const rf = parseJson<Record<string, unknown>>((await gt(town.root, ['refinery', 'status', 'gastown', '--json'])).stdout);
    assert.deepEqual(rf, { running: true, rig_name: 'gastown', session: 'gt-refinery', queue_length: 0 });
    assert.equal((await gt(town.root, ['mq', 'list', 'gastown', '--json'])).stdout, 'null\n');
    await control.makeDirty(town.root, 'gastown', 'furiosa', { openMr: true });
    const mrs = parseJson<Array<Record<string, unknown>>>((await gt(town.root, ['mq', 'list', 'gastown', '--json'])).stdout);
    assert.equal(mrs.length, 1);
    // gastown internal/beads Issue, not bd's JSON: description always, no owner/close_reason.
    // MRs are wisps, read by gt's own SQL: issue_type "", no closed_at, ephemeral last.
    assert.deepEqual(Object.keys(mrs[0]!), ['id', 'title', 'description', 'status', 'priority', 'issue_type', 'created_at', 'created_by', 'updated_at', 'labels', 'ephemeral']);
    assert.equal(mrs[0]!['issue_type'], '');
    assert.equal(mrs[0]!['ephemeral'], true);
    assert.deepEqual(mrs[0]!['labels'], ['gt:merge-request']);
    assert.match(String(mrs[0]!['description']), /^branch: polecat\/furiosa\/gt-\w+\ntarget: main\n/);
  });

  test('rig status is text; park shows in rig list; unknown rig fails', async () => {
    const s = await gt(town.root, ['rig', 'status', 'gastown']);
    assert.match(s.stdout, /^gastown\n {2}Status: OPERATIONAL\n/);
    const p = await gt(town.root, ['rig', 'park', 'gastown']);
    assert.match(p.stdout, /✓ Rig gastown parked \(local only\)/);
    const rigs = parseJson<Array<Record<string, unknown>>>((await gt(town.root, ['rig', 'list', '--json'])).stdout);
    assert.equal(rigs.find((r) => r['name'] === 'gastown')!['status'], 'parked');
    await gt(town.root, ['rig', 'unpark', 'gastown']);
    const nf = await gt(town.root, ['rig', 'status', 'nope']);
    assert.equal(nf.code, 1);
    assert.equal(nf.stderr.split('\n')[0], "Error: rig 'nope' not found");
  });

  test('unknown commands and town discovery errors', async () => {
    const u = await gt(town.root, ['frobnicate']);
    assert.equal(u.code, 1);
    assert.equal(u.stderr.split('\n')[0], 'Error: unknown command "frobnicate" for "gt"');
    const outside = await gt(town.root, ['rig', 'list', '--json'], { cwd: '/', env: { GT_TOWN_ROOT: '' } });
    assert.equal(outside.code, 1);
    assert.match(outside.stderr, /^Error: not in a Gas Town workspace: /);
  });
});

describe('gt rig list in an empty town', () => {
  let town: TestTown;
  before(async () => {
    town = await makeTown({ rigs: [], convoys: 0 });
  });
  after(() => town.cleanup());

  test('prints the plain text even with --json', async () => {
    const r = await gt(town.root, ['rig', 'list', '--json']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'No rigs configured.\n\nAdd one with: gt rig add <name> <git-url>\n');
    const c = await gt(town.root, ['convoy', 'status', '--json']);
    assert.equal(c.stdout.split('\n')[0], 'No active convoys.');
  });
});
