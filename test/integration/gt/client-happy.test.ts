// Every GtClient method against the town simulator, through the real runner and real
// processes: the parsed values must match what the simulated town holds. The reads run against
// a town of each gt release the operator supports (v1.0 and v1.2), the writes against v1.2.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readCalls, readTown } from '../../../sim/src/control.ts';
import { GT_VERSIONS } from '../../../sim/src/version.ts';
import { isGtError, type GtClient } from '../../../src/gt/index.ts';
import { simTown, type SimTown } from './sim-town.ts';

let town: SimTown;
let gt: GtClient;

before(async () => {
  town = await simTown();
  gt = town.client();
});
after(() => town.cleanup());

for (const version of GT_VERSIONS) describe(`reads [gt ${version}]`, () => {
  let town: SimTown;
  let gt: GtClient;
  before(async () => {
    town = await simTown({ seed: 7, gtVersion: version });
    gt = town.client();
  });
  after(() => town.cleanup());

  test('rig list and town status agree with the town', async () => {
    const rigs = await gt.rigList();
    assert.deepEqual(rigs.map((r) => r.name).sort(), ['beads', 'gastown']);
    assert.ok(rigs.every((r) => r.status.kind === 'operational' && r.polecatCount === 2));
    const status = await gt.townStatus();
    assert.equal(status.summary.rigCount, 2);
    const gastown = status.rigs.find((r) => r.name === 'gastown');
    assert.deepEqual([...gastown!.polecats].sort(), ['furiosa', 'nux']);
    // gt omits `mq` while the queue is empty; has_witness is the witness directory, not a running witness.
    assert.equal(gastown!.mq, undefined);
    assert.equal(gastown!.hasWitness, true);
    const witness = gastown!.agents.find((a) => a.role === 'witness')!;
    assert.equal(witness.session, 'gt-witness');
    assert.equal(witness.running, true);
    const furiosa = gastown!.agents.find((a) => a.name === 'furiosa')!;
    assert.equal(furiosa.hasWork, true);
    assert.equal(furiosa.session, 'gt-furiosa');
    const fast = await gt.townStatus({ fast: true });
    assert.equal(fast.rigs.find((r) => r.name === 'gastown')!.mq, undefined);
  });

  test('witness, refinery, merge queue', async () => {
    assert.equal((await gt.witnessStatus('gastown')).rigName, 'gastown');
    assert.equal((await gt.refineryStatus('gastown')).running, true);
    assert.ok(Array.isArray(await gt.mqList('gastown')));
  });

  test('polecats: list, list --all, status, git-state, check-recovery, hook', async () => {
    const all = await gt.polecatListAll();
    assert.equal(all.length, 4);
    const one = await gt.polecatList('gastown');
    assert.deepEqual(one, all.filter((p) => p.rig === 'gastown'));
    const working = one.find((p) => p.state.kind === 'working')!;
    const status = await gt.polecatStatus('gastown', working.name);
    assert.equal(status.issue, working.issue);
    assert.match(status.createdAt ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    assert.equal((await gt.polecatGitState('gastown', working.name)).clean, true);
    const check = await gt.polecatCheckRecovery('gastown', working.name);
    assert.ok(check.verdict.kind !== 'unknown');
    // gt v1.2's workstate fields are read where printed, absent on v1.0.
    assert.deepEqual([check.safeToNuke, check.needsMqSubmit], version === '1.2' ? [false, false] : [undefined, undefined]);
    const idle = one.find((p) => p.state.kind === 'idle')!;
    assert.deepEqual([idle.safeToNuke, idle.verdict?.kind], version === '1.2' ? [true, 'SAFE_TO_NUKE'] : [undefined, undefined]);
    const hook = await gt.hookStatus(`gastown/polecats/${working.name}`);
    assert.equal(hook.hasWork, true);
    assert.equal(hook.hookedBead?.id, working.issue);
    assert.equal(hook.pinnedBead?.assignee, `gastown/polecats/${working.name}`);
    assert.equal(hook.agentBeadId, `gt-gastown-polecat-${working.name}`);
    assert.equal(hook.role, '');
  });

  test('convoys (typed convoy on v1.0, task + gt:convoy on v1.2) and beads: one bd call for many ids', async () => {
    const [convoy] = await gt.convoyList();
    assert.ok(convoy);
    const [bead] = (await gt.beadShow([convoy.id])).found;
    assert.deepEqual([bead?.issueType, bead?.labels], version === '1.2' ? ['task', ['gt:convoy']] : ['convoy', []]);
    const status = await gt.convoyStatus(convoy.id);
    assert.equal(status.total, status.tracked.length);
    assert.ok((await gt.convoyList({ all: true })).some((c) => c.id === convoy.id));
    const ids = status.tracked.map((t) => t.id);
    const before = readCalls(town.root).length;
    const shown = await gt.beadShow([...ids, 'gt-zzzzz']);
    assert.deepEqual(shown.found.map((b) => b.id).sort(), [...ids].sort());
    assert.deepEqual(shown.missing, ['gt-zzzzz']);
    assert.deepEqual(await gt.beadShow(['gt-zzzzz', 'bd-yyyyy']), { found: [], missing: ['gt-zzzzz', 'bd-yyyyy'] });
    const calls = readCalls(town.root).slice(before);
    assert.deepEqual(calls.map((c) => c.bin), ['bd', 'bd']);
  });
});

describe('writes', () => {
  test('sling returns the real polecat name, then is an idempotent no-op', async () => {
    const state = readTown(town.root);
    const open = Object.values(state.beads).find((b) => b.id.startsWith('gt-') && b.status === 'open' && b.issueType === 'task')!;
    const first = await gt.sling(open.id, 'gastown');
    assert.ok(first.outcome === 'spawned' || first.outcome === 'reused', first.outcome);
    const polecats = await gt.polecatList('gastown');
    assert.ok(polecats.some((p) => p.name === first.polecatName && p.issue === open.id));
    const again = await gt.sling(open.id, 'gastown');
    assert.ok(again.outcome === 'already');
    assert.equal(again.polecatName, first.polecatName);
  });

  test('convoy create / add / check / close', async () => {
    const beads = Object.values(readTown(town.root).beads).filter((b) => b.id.startsWith('bd-') && b.issueType === 'task').map((b) => b.id);
    const { id } = await gt.convoyCreate('Integration batch', beads.slice(0, 2), { notify: true });
    assert.match(id, /^hq-cv-[0-9a-z]{5}$/);
    assert.equal((await gt.convoyStatus(id)).total, 2);
    const added = await gt.convoyAdd(id, [beads[2]!]);
    assert.equal(added.added, 1);
    assert.deepEqual((await gt.convoyCheck(id)).closed, []);
    assert.equal((await gt.convoyClose(id, { force: true })).outcome, 'closed');
    assert.equal((await gt.convoyClose(id)).outcome, 'already-closed');
  });

  test('mail send, nuke refusal with reasons, forced nuke, idempotent nuke', async () => {
    assert.deepEqual(await gt.mailSend('mayor/', 'Integration', 'hello; $HOME'), { address: 'mayor/' });
    const busy = (await gt.polecatList('beads')).find((p) => p.state.kind === 'working')!;
    const refused = await gt.polecatNuke('beads', busy.name).then(() => assert.fail('nuke of a busy polecat succeeded'), (e: unknown) => e);
    assert.ok(isGtError(refused) && refused.kind === 'CLIError');
    assert.equal(refused.blocked[0]?.target, `beads/${busy.name}`);
    assert.ok(refused.blocked[0]?.reasons.some((r) => r.startsWith('has work on hook')));
    assert.deepEqual(await gt.polecatNuke('beads', busy.name, { force: true }), { target: `beads/${busy.name}`, nuked: true });
    assert.ok(!(await gt.polecatList('beads')).some((p) => p.name === busy.name));
    assert.equal((await gt.polecatNuke('beads', busy.name)).nuked, true, 'nuke is idempotent');
  });

  test('not-found errors carry the contract texts', async () => {
    const nf = await gt.polecatStatus('gastown', 'nobody').catch((e: unknown) => e);
    assert.ok(isGtError(nf) && nf.kind === 'NotFound' && !nf.possiblyTransient);
    assert.equal(nf.stderr, "Error: polecat 'nobody' not found in rig 'gastown'");
    const rig = await gt.witnessStatus('norig').catch((e: unknown) => e);
    assert.ok(isGtError(rig) && rig.kind === 'NotFound');
  });
});
