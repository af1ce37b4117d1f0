// classifyPolecat: one row per situation the Polecat controller can be in, with the probes each
// asks for (probesNeeded). A row names its input fields; the table must cover every kind.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Annotation, Label, TRUE_VALUE } from '../../../src/api/index.ts';
import { DEFAULT_POLECAT_CONFIG } from '../../../src/controllers/polecat/decide.ts';
import { classifyPolecat, probesNeeded, type PolecatView, type SituationKind } from '../../../src/controllers/polecat/situation.ts';
import type { TownSnapshot } from '../../../src/controllers/town-sync/snapshot.ts';
import type { MergeRequest } from '../../../src/gt/types.ts';
import { NOW, bead, failedTown, gtError, iso, item, polecat, town } from './polecat-fixtures.ts';

interface Row {
  readonly name: string;
  readonly polecat: ReturnType<typeof polecat>;
  readonly deleting?: boolean;
  readonly snapshot?: TownSnapshot | 'none';
  readonly slingInFlight?: PolecatView['slingInFlight'];
  readonly session?: PolecatView['session'];
  readonly kind: SituationKind;
  readonly mergeRequests?: PolecatView['mergeRequests'];
  readonly recovery?: string;
  readonly activity?: string;
  /** The rig whose merge requests the situation asks for (`gt mq list <rig>`). */
  readonly mqList?: string;
}

const working = { phase: 'Working' as const, gtName: 'nux', beadID: 'gt-abc12' };
const nuxWorking = town({ polecats: [item('nux', 'working', { issue: 'gt-abc12' })] });
const orphan = { [Annotation.OnDelete]: 'orphan' };
const closedBead = town({ beads: [bead('gt-abc12', 'closed')] });
const openBead = town({ beads: [bead('gt-abc12', 'hooked')] });
const retiredStatus = { ...working, phase: 'Idle' as const, conditions: [{ type: 'Ready', status: 'True' as const, reason: 'Completed', message: 'done', lastTransitionTime: iso(NOW - 60_000) }] };
const mr = (sourceIssue: string): MergeRequest => ({ ...bead('gt-wisp-mr1', 'open'), mergeRequest: { branch: 'polecat/nux/gt-abc12', sourceIssue } });
const force = { [Annotation.ForceTerminate]: TRUE_VALUE };

const rows: readonly Row[] = [
  { name: 'deleting, on-delete orphan', polecat: polecat({ status: working, annotations: orphan }), deleting: true, snapshot: 'none', kind: 'release-orphan' },
  { name: 'deleting, orphan and force, live polecat', polecat: polecat({ status: working, annotations: { ...orphan, ...force } }), deleting: true, kind: 'delete-conflict' },
  { name: 'no snapshot yet', polecat: polecat(), snapshot: 'none', kind: 'awaiting-town' },
  { name: 'the town read failed', polecat: polecat({ status: working }), snapshot: failedTown(gtError('Unavailable')), kind: 'town-failed' },
  { name: 'terminating, already Terminated', polecat: polecat({ spec: { desiredState: 'Terminated' }, status: { ...working, phase: 'Terminated' } }), kind: 'ended' },
  { name: 'terminating a followed polecat', polecat: polecat({ spec: { desiredState: 'Terminated' }, status: working }), snapshot: nuxWorking, kind: 'terminating', recovery: 'gastown/nux' },
  { name: 'deleting, no name recorded, a polecat holds our bead', polecat: polecat(), deleting: true, snapshot: nuxWorking, kind: 'terminating', recovery: 'gastown/nux' },
  { name: 'terminating, nothing was ever slung', polecat: polecat({ spec: { desiredState: 'Terminated' } }), kind: 'nothing-to-nuke' },
  { name: 'dispatching, our sling is newer than the snapshot', polecat: polecat(), slingInFlight: { beadID: 'gt-abc12', at: NOW - 100 }, kind: 'sling-unseen' },
  { name: 'dispatching, gt scheduled our sling', polecat: polecat(), slingInFlight: { beadID: 'gt-abc12', at: NOW - 100, scheduled: true }, kind: 'sling-scheduled' },
  { name: 'dispatching, a polecat of the rig holds the bead', polecat: polecat(), snapshot: nuxWorking, kind: 'adopting' },
  { name: 'Working with a bead nobody holds', polecat: polecat(), kind: 'dispatching' },
  { name: 'the followed polecat is not listed, its bead closed (gt v1.2 retired it)', polecat: polecat({ status: working }), snapshot: closedBead, kind: 'retired' },
  { name: 'not listed, bead open, a merge request carries it', polecat: polecat({ status: working }), snapshot: openBead, mergeRequests: { ok: true, value: [mr('gt-abc12')] }, kind: 'retired' },
  { name: 'the followed polecat is not listed, no bead recorded: nothing to ask', polecat: polecat({ spec: { desiredState: 'Idle', beadID: undefined }, status: { phase: 'Idle', gtName: 'nux' } }), kind: 'gone' },
  { name: 'the followed polecat is not listed, bead open: ask for the merge requests', polecat: polecat({ status: working }), snapshot: openBead, kind: 'gone', mqList: 'gastown' },
  { name: 'not listed, bead open, no merge request of it', polecat: polecat({ status: working }), snapshot: openBead, mergeRequests: { ok: true, value: [mr('gt-other1')] }, kind: 'gone', mqList: 'gastown' },
  { name: 'retired (Idle/Completed), the name listed again for other work', polecat: polecat({ status: retiredStatus }), snapshot: town({ polecats: [item('nux', 'working', { issue: 'gt-zzz99' })] }), kind: 'finished' },
  { name: 'terminating a retired view', polecat: polecat({ spec: { desiredState: 'Terminated' }, status: retiredStatus }), snapshot: nuxWorking, kind: 'ended' },
  { name: 'gt reused the followed polecat for another bead', polecat: polecat({ status: { ...working, dispatchedBeadID: 'gt-abc12' } }), snapshot: town({ polecats: [item('nux', 'working', { issue: 'gt-zzz99' })] }), kind: 'reassigned' },
  {
    name: 'following, its session pod was OOMKilled', polecat: polecat({ status: { ...working, lastActivity: iso(NOW - 60_000) } }), snapshot: nuxWorking, kind: 'session-failed',
    session: { namespace: 'gt', podName: 'gt-gastown-nux-1', certificate: true, pod: { metadata: { name: 'gt-gastown-nux-1' }, status: { phase: 'Failed', containerStatuses: [{ name: 'agent', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] } } },
  },
  {
    name: 'following, its session pod not made yet', polecat: polecat({ status: { ...working, lastActivity: iso(NOW - 60_000) } }), snapshot: nuxWorking, kind: 'following',
    session: { namespace: 'gt', podName: 'gt-gastown-nux-1', certificate: false, pod: undefined },
  },
  { name: 'following, silent too long', polecat: polecat({ status: working }), snapshot: nuxWorking, kind: 'following', activity: 'gastown/nux' },
  { name: 'following, recent activity', polecat: polecat({ status: { ...working, lastActivity: iso(NOW - 60_000) } }), snapshot: nuxWorking, kind: 'following' },
  { name: 'following a discovered polecat by its labels', polecat: polecat({ spec: { desiredState: 'Idle', beadID: undefined }, labels: { [Label.Discovered]: TRUE_VALUE, [Label.Polecat]: 'nux' } }), snapshot: town({ polecats: [item('nux', 'idle')] }), kind: 'following' },
  { name: 'scheduled sling recorded, not placed yet', polecat: polecat({ status: { phase: 'Pending', beadID: 'gt-abc12', dispatchedBeadID: 'gt-abc12' } }), kind: 'awaiting-scheduled' },
  { name: 'Terminated, nothing wanted', polecat: polecat({ spec: { desiredState: 'Idle', beadID: undefined }, status: { ...working, phase: 'Terminated' } }), kind: 'finished' },
  { name: 'Idle, no polecat', polecat: polecat({ spec: { desiredState: 'Idle', beadID: undefined } }), kind: 'pending' },
];

// A Record over the union: a new kind without an entry here fails the typecheck.
const ALL_KINDS: Record<SituationKind, true> = {
  'release-orphan': true, 'delete-conflict': true, 'awaiting-town': true, 'town-failed': true, ended: true, terminating: true, 'nothing-to-nuke': true,
  'sling-unseen': true, 'sling-scheduled': true, adopting: true, dispatching: true, retired: true, gone: true, reassigned: true, following: true, 'session-failed': true,
  'awaiting-scheduled': true, finished: true, pending: true,
};

const ref = (r: { rig: string; name: string } | undefined): string | undefined => (r === undefined ? undefined : `${r.rig}/${r.name}`);

describe('classifyPolecat', () => {
  for (const row of rows) {
    test(`${row.name} -> ${row.kind}`, () => {
      const snapshot = row.snapshot === 'none' ? undefined : (row.snapshot ?? town());
      const view: PolecatView = {
        polecat: row.polecat, deleting: row.deleting ?? false, snapshot,
        ...(row.slingInFlight ? { slingInFlight: row.slingInFlight } : {}), ...(row.mergeRequests ? { mergeRequests: row.mergeRequests } : {}),
        ...(row.session ? { session: row.session } : {}),
      };
      const situation = classifyPolecat(view);
      assert.equal(situation.kind, row.kind);
      const needed = probesNeeded(situation, row.polecat.status?.lastActivity, NOW, DEFAULT_POLECAT_CONFIG.escalation.stuckAfterMs);
      assert.equal(ref(needed.recovery), row.recovery, 'check-recovery target');
      assert.equal(ref(needed.activity), row.activity, 'polecat status target');
      assert.equal(needed.mergeRequests, row.mqList, 'gt mq list rig');
    });
  }

  test('the table covers every situation', () => {
    assert.deepEqual(new Set(rows.map((r) => r.kind)), new Set(Object.keys(ALL_KINDS)));
  });
});
