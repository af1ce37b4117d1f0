import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConditionType, gtRigName, parseRig, Reason, RigPhase, type Rig, type RigStatus } from '../../../src/api/index.ts';
import { GT_ERROR_KINDS } from '../../../src/gt/errors.ts';
import { decideRig, normaliseGitUrl, type PathCheck } from '../../../src/controllers/rig/decide.ts';
import { reasonForGtError } from '../../../src/controllers/shared/gt-failure.ts';
import type { TownData, TownSnapshot } from '../../../src/controllers/town-sync/snapshot.ts';
import { convoy, dataOf, gtError, known, polecat, rig, runtime, type FakeTown } from './town-sync-fixtures.ts';
import type { AgentRuntime, Rig as GtRig } from '../../../src/gt/types.ts';
import { observedFigures } from '../../../src/controllers/rig/decide.ts';

const NOW = Date.UTC(2026, 3, 1, 12, 0, 0);

function rigObject(spec: Partial<Rig['spec']> = {}, status?: RigStatus): Rig {
  return parseRig({
    metadata: { name: 'gastown', generation: 3, resourceVersion: '7' },
    spec: { localPath: '/town/gastown', ...spec },
    ...(status ? { status } : {}),
  });
}

function townWith(state = 'operational', configs?: TownData['rigConfigs']): TownSnapshot {
  const t: FakeTown = {
    rigs: [rig('gastown', state, 'gt'), rig('beads', 'operational', 'bd')],
    polecats: [polecat('gastown', 'nux', 'gt-abc12'), polecat('gastown', 'toast'), polecat('beads', 'rictus')],
    convoys: [convoy('hq-cv-aaaaa', ['gt-abc12', 'bd-xyz98']), convoy('hq-cv-bbbbb', ['bd-qqq11']), convoy('hq-cv-ccccc', ['gt-zzz77'])],
    beads: new Map(),
  };
  const data = dataOf(t, NOW);
  return { ok: true, ...(configs ? { ...data, rigConfigs: configs } : data) };
}

const failed = (kind: (typeof GT_ERROR_KINDS)[number]): TownSnapshot => ({
  ok: false, observedAt: NOW, error: gtError(kind, `${kind}: boom`), previous: townWith() as TownData,
});

const DIR: PathCheck = { kind: 'directory' };
const cond = (s: RigStatus, type: string) => s.conditions?.find((c) => c.type === type);

function decide(rigObj: Rig, town: TownSnapshot, path: PathCheck = DIR) {
  return decideRig({ rig: rigObj, gtName: gtRigName(rigObj), path, town, now: NOW });
}

describe('decideRig', () => {
  const table: { name: string; rig?: Rig; town: TownSnapshot; path?: PathCheck; phase: string; ready: [string, string]; degraded: [string, string]; synced: [string, string] }[] = [
    { name: 'operational', town: townWith(), phase: RigPhase.Operational, ready: ['True', Reason.RigOperational], degraded: ['False', Reason.Synced], synced: ['True', Reason.Synced] },
    { name: 'parked (gt rig park)', town: townWith('parked'), phase: RigPhase.Parked, ready: ['False', Reason.RigParked], degraded: ['False', Reason.Synced], synced: ['True', Reason.Synced] },
    { name: 'docked', town: townWith('docked'), phase: RigPhase.Docked, ready: ['False', Reason.RigDocked], degraded: ['False', Reason.Synced], synced: ['True', Reason.Synced] },
    { name: 'gt state error', town: townWith('error'), phase: RigPhase.Degraded, ready: ['False', Reason.GTError], degraded: ['True', Reason.GTError], synced: ['True', Reason.Synced] },
    { name: 'a newer gt state', town: townWith('hibernating'), phase: RigPhase.Unknown, ready: ['Unknown', Reason.RigStateUnknown], degraded: ['False', Reason.Synced], synced: ['True', Reason.Synced] },
    { name: 'path missing', town: townWith(), path: { kind: 'missing' }, phase: RigPhase.Degraded, ready: ['False', Reason.PathNotFound], degraded: ['True', Reason.PathNotFound], synced: ['True', Reason.Synced] },
    { name: 'path is a file', town: townWith(), path: { kind: 'not-directory' }, phase: RigPhase.Degraded, ready: ['False', Reason.PathNotDirectory], degraded: ['True', Reason.PathNotDirectory], synced: ['True', Reason.Synced] },
    { name: 'path unreadable', town: townWith(), path: { kind: 'error', message: 'EACCES' }, phase: RigPhase.Degraded, ready: ['False', Reason.PathNotFound], degraded: ['True', Reason.PathNotFound], synced: ['True', Reason.Synced] },
    { name: 'rig not in town', rig: parseRig({ metadata: { name: 'ghost' }, spec: { localPath: '/town/ghost' } }), town: townWith(), phase: RigPhase.Degraded, ready: ['False', Reason.RigNotInTown], degraded: ['True', Reason.RigNotInTown], synced: ['True', Reason.Synced] },
    {
      name: 'beads prefix mismatch', rig: rigObject({ beadsPrefix: 'xx' }), town: townWith('operational', new Map([['gastown', { beadsPrefix: 'gt' }]])),
      phase: RigPhase.Operational, ready: ['False', Reason.SpecMismatch], degraded: ['True', Reason.SpecMismatch], synced: ['True', Reason.Synced],
    },
    {
      name: 'git URL mismatch', rig: rigObject({ gitURL: 'https://github.com/x/other' }), town: townWith('operational', new Map([['gastown', { gitURL: 'https://github.com/x/gastown.git' }]])),
      phase: RigPhase.Operational, ready: ['False', Reason.SpecMismatch], degraded: ['True', Reason.SpecMismatch], synced: ['True', Reason.Synced],
    },
    {
      name: 'matching spec (URL spelled differently)', rig: rigObject({ gitURL: 'https://github.com/x/gastown/', beadsPrefix: 'gt' }),
      town: townWith('operational', new Map([['gastown', { gitURL: 'https://github.com/x/gastown.git', beadsPrefix: 'gt' }]])),
      phase: RigPhase.Operational, ready: ['True', Reason.RigOperational], degraded: ['False', Reason.Synced], synced: ['True', Reason.Synced],
    },
    {
      name: 'path problem wins over a spec mismatch', rig: rigObject({ beadsPrefix: 'xx' }), path: { kind: 'missing' },
      town: townWith('operational', new Map([['gastown', { beadsPrefix: 'gt' }]])),
      phase: RigPhase.Degraded, ready: ['False', Reason.PathNotFound], degraded: ['True', Reason.PathNotFound], synced: ['True', Reason.Synced],
    },
  ];
  for (const row of table) {
    test(row.name, () => {
      const { status } = decide(row.rig ?? rigObject(), row.town, row.path);
      assert.equal(status.phase, row.phase);
      assert.deepEqual([cond(status, ConditionType.Ready)?.status, cond(status, ConditionType.Ready)?.reason], row.ready);
      assert.deepEqual([cond(status, ConditionType.Degraded)?.status, cond(status, ConditionType.Degraded)?.reason], row.degraded);
      assert.deepEqual([cond(status, ConditionType.Synced)?.status, cond(status, ConditionType.Synced)?.reason], row.synced);
      assert.equal(status.observedGeneration, row.rig ? row.rig.metadata.generation : 3);
    });
  }

  test('the path is named in the PathNotFound message', () => {
    const { status } = decide(rigObject(), townWith(), { kind: 'missing' });
    assert.match(cond(status, ConditionType.Ready)!.message, /\/town\/gastown/);
  });

  test('figures from the snapshot: state, polecats, convoys of the rig, witness, refinery, merge queue', () => {
    const { status } = decide(rigObject(), townWith('parked'));
    assert.equal(status.operationalState, 'parked');
    assert.equal(status.polecatCount, 2);
    assert.equal(status.activeConvoys, 2, 'convoys tracking a gt- bead (session prefix, no registry)');
    assert.equal(status.witnessRunning, true);
    assert.equal(status.refineryRunning, true);
    assert.equal(status.operationalStateKnown, true);
    assert.deepEqual(status.mergeQueue, { pending: 2, inFlight: 1, blocked: 0, state: 'processing', stateKnown: true, health: 'healthy', healthKnown: true });
  });

  test('a newer gt state and merge queue values: raw kept, marked unknown', () => {
    const snap = townWith('hibernating');
    assert.ok(snap.ok);
    const rt = snap.rigRuntime.get('gastown');
    assert.ok(rt?.mq);
    const draining = { ...rt, mq: { ...rt.mq, state: { kind: 'unknown' as const, raw: 'draining' } } };
    const { status } = decide(rigObject(), { ...snap, rigRuntime: new Map([...snap.rigRuntime, ['gastown', draining]]) });
    assert.deepEqual([status.operationalState, status.operationalStateKnown], ['hibernating', false]);
    assert.deepEqual([status.mergeQueue?.state, status.mergeQueue?.stateKnown, status.mergeQueue?.health, status.mergeQueue?.healthKnown], ['draining', false, 'healthy', true]);
  });

  for (const kind of GT_ERROR_KINDS) {
    test(`gt failure ${kind}: Degraded with ${reasonForGtError(kind)}, last figures kept`, () => {
      const before = decide(rigObject(), townWith()).status;
      const { status, events } = decide(rigObject({}, before), failed(kind));
      const reason = reasonForGtError(kind);
      assert.equal(status.phase, RigPhase.Degraded);
      assert.deepEqual([cond(status, ConditionType.Synced)?.status, cond(status, ConditionType.Synced)?.reason], ['False', reason]);
      assert.deepEqual([cond(status, ConditionType.Degraded)?.status, cond(status, ConditionType.Degraded)?.reason], ['True', reason]);
      assert.equal(status.polecatCount, 2, 'stale figures stay, marked by Synced=False');
      assert.deepEqual(events.map((e) => [e.type, e.reason]), [['Warning', reason]]);
    });
  }

  test('error kinds map to the API reasons', () => {
    assert.equal(reasonForGtError('Unavailable'), Reason.GTUnavailable);
    assert.equal(reasonForGtError('Transient'), Reason.GTUnavailable);
    assert.equal(reasonForGtError('CLIError'), Reason.GTError);
    assert.equal(reasonForGtError('NotFound'), Reason.GTError);
    assert.equal(reasonForGtError('InvalidArgument'), Reason.GTError);
    assert.equal(reasonForGtError('ParseError'), Reason.GTOutputInvalid);
  });

  test('a rig that leaves the town loses its figures', () => {
    const before = decide(rigObject(), townWith()).status;
    const gone: TownSnapshot = { ...(townWith() as TownData), ok: true, rigs: new Map() };
    const { status } = decide(rigObject({}, before), gone);
    assert.equal(status.polecatCount, undefined);
    assert.equal(cond(status, ConditionType.Ready)?.reason, Reason.RigNotInTown);
  });

  test('steady state: same status, no events, lastTransitionTime kept', () => {
    const first = decide(rigObject(), townWith());
    assert.deepEqual(first.events.map((e) => [e.type, e.reason]), [['Normal', Reason.RigOperational]]);
    const later = decideRig({ rig: rigObject({}, first.status), gtName: 'gastown', path: DIR, town: townWith(), now: NOW + 60_000 });
    assert.deepEqual(later.status, first.status);
    assert.deepEqual(later.events, []);
  });

  test('recovery from a gt failure records a Normal event', () => {
    const down = decide(rigObject(), failed('Unavailable')).status;
    const { status, events } = decide(rigObject({}, down), townWith());
    assert.equal(status.phase, RigPhase.Operational);
    assert.deepEqual(events.map((e) => [e.type, e.reason]), [['Normal', Reason.RigOperational]]);
  });

  test('git URLs compare without .git and trailing slashes', () => {
    assert.equal(normaliseGitUrl('https://x/y.git/'), normaliseGitUrl('https://x/y'));
  });
});

describe('witness / refinery running (gt rig list, else gt status agents; never has_witness)', () => {
  const svc = (raw: string): GtRig['witness'] => (raw === 'running' || raw === 'stopped' ? known(raw) : { kind: 'unknown', raw });
  const agent = (role: string, running: boolean): AgentRuntime => ({
    name: role, address: `gastown/${role}`, session: `gt-gastown-${role}`, role, running, hasWork: false, unreadMail: 0,
  });
  // [case, rig list witness, rig list refinery, has_witness/has_refinery, agents, witnessRunning, refineryRunning]
  const table: [string, string, string, boolean, AgentRuntime[], boolean | undefined, boolean | undefined][] = [
    ['rig list says running', 'running', 'running', true, [], true, true],
    ['rig list says stopped although the witness dir and refinery clone exist', 'stopped', 'stopped', true, [], false, false],
    ['rig list says stopped, a stale agent entry says running: rig list wins', 'stopped', 'running', true, [agent('witness', true), agent('refinery', false)], false, true],
    ['error entry ("") falls back to the agents', '', '', true, [agent('witness', true), agent('refinery', false)], true, false],
    ['error entry, no agents: unknown, not has_witness', '', '', true, [], undefined, undefined],
    ['error entry, no directories, agent running', '', '', false, [agent('witness', true), agent('refinery', true)], true, true],
    ['a polecat agent is not the witness', '', '', true, [agent('polecat', true)], undefined, undefined],
  ];
  for (const [name, witness, refinery, has, agents, wantWitness, wantRefinery] of table) {
    test(name, () => {
      const listed: GtRig = { ...rig('gastown'), witness: svc(witness), refinery: svc(refinery) };
      const rt = { ...runtime('gastown'), hasWitness: has, hasRefinery: has, agents };
      const figures = observedFigures({ rig: listed, runtime: rt, activeConvoys: 0 });
      assert.equal(figures.witnessRunning, wantWitness);
      assert.equal(figures.refineryRunning, wantRefinery);
    });
  }
});
