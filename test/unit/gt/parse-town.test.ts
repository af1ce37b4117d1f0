// Parsers of town/rig reads against output in the real gt format (docs/gt-contract.md).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ContractViolation } from '../../../src/gt/parse/json.ts';
import { parseRefineryStatus, parseRigList, parseTownStatus, parseWitnessStatus } from '../../../src/gt/parse/town.ts';

describe('parseRigList', () => {
  test('reads the snake_case array, keeping unknown status values raw', () => {
    const out = JSON.stringify([
      { name: 'gastown', beads_prefix: 'gt', status: 'operational', witness: 'running', refinery: 'stopped', polecats: 3, crew: 1 },
      { name: 'broken', beads_prefix: '', status: 'error', witness: '', refinery: '', polecats: 0, crew: 0 },
      { name: 'future', beads_prefix: 'fu', status: 'hibernating', witness: 'running', refinery: 'running', polecats: 0, crew: 0, extra: true },
    ], null, 2);
    const rigs = parseRigList(out);
    assert.deepEqual(rigs[0], {
      name: 'gastown', sessionPrefix: 'gt', status: { kind: 'operational', raw: 'operational' },
      witness: { kind: 'running', raw: 'running' }, refinery: { kind: 'stopped', raw: 'stopped' },
      polecatCount: 3, crewCount: 1,
    });
    assert.deepEqual(rigs[1]!.witness, { kind: 'unknown', raw: '' });
    assert.deepEqual(rigs[2]!.status, { kind: 'unknown', raw: 'hibernating' });
    assert.equal('extra' in rigs[2]!, false);
  });

  test('the plain `No rigs configured.` reply (printed even with --json) is empty', () => {
    assert.deepEqual(parseRigList('No rigs configured.\n'), []);
    // What gt prints when rigs.json lists no rig (rig.go runRigList).
    assert.deepEqual(parseRigList('No rigs configured.\n\nAdd one with: gt rig add <name> <git-url>\n'), []);
  });

  test('JSON after warning lines on stdout', () => {
    const out = 'warning: gt binary is stale\nwarning: version check failed\n[\n  {"name": "a", "status": "parked", "witness": "stopped", "refinery": "stopped", "polecats": 0, "crew": 0}\n]\n';
    assert.equal(parseRigList(out)[0]!.status.kind, 'parked');
  });

  test('garbage and truncated JSON are contract violations with an excerpt', () => {
    assert.throws(() => parseRigList('}}garbage{{'), ContractViolation);
    assert.throws(() => parseRigList('[{"name": "a", "sta'), (err: unknown) =>
      err instanceof ContractViolation && err.excerpt.startsWith('[{"name"'));
    assert.throws(() => parseRigList('[{"status": "parked"}]'), /name/);
  });
});

const STATUS = {
  name: 'mytown',
  location: '/home/me/gt',
  overseer: { name: 'me', source: 'git', unread_mail: 0 },
  agents: [{ name: 'mayor', address: 'mayor/', session: 'hq-mayor', role: 'coordinator', running: true, acp: false, has_work: false, unread_mail: 2 }],
  rigs: [
    {
      name: 'gastown', polecats: ['nux', 'toast'], polecat_count: 2, crews: null, crew_count: 0,
      has_witness: true, has_refinery: true,
      hooks: [{ agent: 'gastown/nux', role: 'polecat', has_work: true, molecule: 'gt-abc12', title: 'Fix it' }],
      agents: [{ name: 'nux', address: 'gastown/polecats/nux', session: 'gt-nux', role: 'polecat', running: true, has_work: true, hook_bead: 'gt-abc12', state: 'working', unread_mail: 0 }],
      mq: { pending: 1, in_flight: 0, blocked: 2, state: 'idle', health: 'not_a_health' },
    },
    { name: 'empty', polecats: null, polecat_count: 0, crews: null, crew_count: 0, has_witness: false, has_refinery: false },
  ],
  summary: { rig_count: 2, polecat_count: 2, crew_count: 0, witness_count: 1, refinery_count: 1, active_hooks: 1 },
};

describe('parseTownStatus', () => {
  test('maps rigs, agents, hooks, mq and summary to camelCase; null lists read as []', () => {
    const s = parseTownStatus(JSON.stringify(STATUS, null, 2));
    assert.equal(s.name, 'mytown');
    assert.equal(s.agents[0]!.unreadMail, 2);
    const [gastown, empty] = s.rigs;
    assert.deepEqual(gastown!.polecats, ['nux', 'toast']);
    assert.deepEqual(gastown!.crews, []);
    assert.deepEqual(gastown!.hooks[0], { agent: 'gastown/nux', role: 'polecat', hasWork: true, molecule: 'gt-abc12', title: 'Fix it' });
    assert.equal(gastown!.agents[0]!.hookBead, 'gt-abc12');
    assert.deepEqual(gastown!.mq, {
      pending: 1, inFlight: 0, blocked: 2, state: { kind: 'idle', raw: 'idle' }, health: { kind: 'unknown', raw: 'not_a_health' },
    });
    assert.deepEqual(empty!.polecats, []);
    assert.deepEqual(empty!.hooks, []);
    assert.equal(empty!.mq, undefined, '--fast output has no mq');
    assert.deepEqual(s.summary, { rigCount: 2, polecatCount: 2, crewCount: 0, witnessCount: 1, refineryCount: 1, activeHooks: 1 });
  });

  test('the full gt v1.0.x shape: overseer/dolt/tmux/daemon blocks, agent extras, mq omitted, hooks without work', () => {
    const real = {
      name: 't', location: '/town',
      overseer: { name: 'Ann', source: 'git', unread_mail: 0 },
      daemon: { running: true, pid: 42 },
      dolt: { running: true, pid: 7, port: 3307, data_dir: '/town/.dolt' },
      tmux: { socket: 't', socket_path: '/tmp/tmux-1/t', running: true, session_count: 5 },
      agents: [{ name: 'mayor', address: 'mayor/', session: 'hq-mayor', role: 'coordinator', running: true, acp: false, has_work: false, unread_mail: 1, first_subject: 'hi', agent_alias: 'claude', agent_info: 'claude/opus' }],
      rigs: [{
        name: 'gastown', polecats: ['nux'], polecat_count: 1, crews: null, crew_count: 0, has_witness: true, has_refinery: true,
        hooks: [{ agent: 'gastown/nux', role: 'polecat', has_work: false }, { agent: 'gastown/witness', role: 'witness', has_work: false }],
        agents: [
          { name: 'witness', address: 'gastown/witness', session: 'gt-witness', role: 'witness', running: false, acp: false, has_work: false, unread_mail: 0 },
          { name: 'nux', address: 'gastown/nux', session: 'gt-nux', role: 'polecat', running: true, acp: false, has_work: true, work_title: 'Fix', hook_bead: 'gt-abc12', state: 'working', notification_level: 'normal', unread_mail: 0 },
        ],
      }],
      summary: { rig_count: 1, polecat_count: 1, crew_count: 0, witness_count: 1, refinery_count: 1, active_hooks: 0 },
    };
    const s = parseTownStatus(`${JSON.stringify(real, null, 2)}\n`);
    const [rig] = s.rigs;
    assert.equal(rig!.hasWitness, true);
    assert.equal(rig!.agents.find((a) => a.role === 'witness')!.running, false);
    assert.equal(rig!.agents.find((a) => a.name === 'nux')!.hookBead, 'gt-abc12');
    assert.equal(rig!.mq, undefined);
    assert.equal(s.summary.activeHooks, 0);
  });
});

describe('witness and refinery status', () => {
  test('witness: monitored_polecats omitted reads as []', () => {
    assert.deepEqual(parseWitnessStatus('{"running": true, "rig_name": "gastown", "session": "gt-witness"}'), {
      running: true, rigName: 'gastown', session: 'gt-witness', monitoredPolecats: [],
    });
  });
  test('refinery: queue_length', () => {
    assert.deepEqual(parseRefineryStatus('{"running": false, "rig_name": "gastown", "queue_length": 4}'), {
      running: false, rigName: 'gastown', session: undefined, queueLength: 4,
    });
  });
});
