// The API's zod schemas and decoders: valid objects pass with defaults applied, invalid specs
// are refused with errors that name the field, and the status helpers keep statuses bounded.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  API_GROUP_VERSION,
  CONDITION_REASON_PATTERN,
  CONDITION_TYPE_PATTERN,
  ConditionType,
  CONVOY_STATUS_BEAD_LIST_LIMIT,
  convoyBeadSummary,
  convoySchema,
  decodeConvoy,
  decodePolecat,
  decodeRig,
  gtRigName,
  InvalidResourceError,
  isBeadId,
  isConvoyId,
  isRigName,
  parseConvoy,
  parsePolecat,
  parseRig,
  Reason,
  rigStatusSchema,
} from '../../../src/api/index.ts';

const rig = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: API_GROUP_VERSION,
  kind: 'Rig',
  metadata: { name: 'gastown' },
  spec,
  ...extra,
});

const polecat = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: API_GROUP_VERSION,
  kind: 'Polecat',
  metadata: { name: 'fix-login', namespace: 'town' },
  spec,
  ...extra,
});

const convoy = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: API_GROUP_VERSION,
  kind: 'Convoy',
  metadata: { name: 'release', namespace: 'town' },
  spec,
  ...extra,
});

function issuePaths(result: ReturnType<typeof decodeRig> | ReturnType<typeof decodePolecat> | ReturnType<typeof decodeConvoy>): string[] {
  assert.equal(result.ok, false, 'expected the object to be refused');
  return result.ok ? [] : [...new Set(result.error.issues.map((i) => i.path))];
}

const condition = (type: string, extra: Record<string, unknown> = {}) => ({
  type,
  status: 'True',
  reason: 'Synced',
  message: '',
  lastTransitionTime: '2026-04-01T12:00:00Z',
  ...extra,
});

describe('Rig', () => {
  test('a valid rig decodes, with apiVersion and kind defaulted when a list omitted them', () => {
    const decoded = parseRig({ metadata: { name: 'gastown' }, spec: { localPath: '/home/me/gt/gastown', beadsPrefix: 'gt', gitURL: 'git@github.com:o/r.git' } });
    assert.equal(decoded.apiVersion, API_GROUP_VERSION);
    assert.equal(decoded.kind, 'Rig');
    assert.equal(decoded.spec.localPath, '/home/me/gt/gastown');
    assert.equal(gtRigName(decoded), 'gastown');
  });

  for (const localPath of ['/', '/home/me/gt/news_api', '/a/.../b', '/a/..b/c', '/a/./b', '/a/b/', '/srv/gt/rig with space']) {
    test(`localPath ${JSON.stringify(localPath)} is accepted`, () => {
      assert.equal(decodeRig(rig({ localPath })).ok, true);
    });
  }

  for (const [why, localPath] of [
    ['relative', 'gt/gastown'],
    ['empty', ''],
    ['.. in the middle', '/home/me/../etc'],
    ['.. at the end', '/home/me/..'],
    ['.. alone', '/..'],
    ['NUL', '/home/me\0/gt'],
    ['newline', '/home/me\n/gt'],
  ] as const) {
    test(`localPath refused: ${why}`, () => {
      assert.deepEqual(issuePaths(decodeRig(rig({ localPath }))), ['spec.localPath']);
    });
  }

  test('localPath is required', () => {
    assert.deepEqual(issuePaths(decodeRig(rig({}))), ['spec.localPath']);
  });

  for (const beadsPrefix of ['1gt', 'g_t', 'g t', 'abcdefghijklmnopqrstu', '']) {
    test(`beadsPrefix ${JSON.stringify(beadsPrefix)} is refused`, () => {
      assert.deepEqual(issuePaths(decodeRig(rig({ localPath: '/gt/r', beadsPrefix }))), ['spec.beadsPrefix']);
    });
  }

  test('gitURL with whitespace is refused', () => {
    assert.deepEqual(issuePaths(decodeRig(rig({ localPath: '/gt/r', gitURL: 'https://x y' }))), ['spec.gitURL']);
  });

  test('an object of another kind is refused', () => {
    assert.deepEqual(issuePaths(decodeRig({ ...rig({ localPath: '/gt/r' }), kind: 'Polecat' })), ['kind']);
  });

  test('the error names the object and the field', () => {
    const result = decodeRig(rig({ localPath: 'relative' }));
    assert.ok(!result.ok);
    assert.equal(result.error.kind, 'InvalidResource');
    assert.match(result.error.message, /^Rig "gastown" is invalid: spec\.localPath: must be an absolute path/);
    assert.throws(() => parseRig(rig({ localPath: 'relative' })), InvalidResourceError);
  });

  test('metadata fields the operator does not model are kept', () => {
    const managedFields = [{ manager: 'kubectl', operation: 'Apply' }];
    const decoded = parseRig(rig({ localPath: '/gt/r' }, { metadata: { name: 'r', managedFields, resourceVersion: 'abc' } }));
    assert.deepEqual(decoded.metadata.managedFields, managedFields);
    assert.equal(decoded.metadata.resourceVersion, 'abc');
  });

  test('status: phase is open, counts are non-negative, conditions are metav1.Conditions', () => {
    const ok = rigStatusSchema.safeParse({
      phase: 'SomePhaseFromANewerOperator',
      polecatCount: 3,
      mergeQueue: { pending: 1, inFlight: 0, blocked: 0, state: 'processing', health: 'healthy' },
      conditions: [condition('Ready'), condition('Synced', { status: 'False', reason: 'GTUnavailable', observedGeneration: 2 })],
      lastFailure: { time: '2026-04-01T12:00:00.123+02:00', reason: 'GTError', message: 'boom', retryCount: 2 },
    });
    assert.equal(ok.success, true, ok.error?.message);
    const bad = (status: Record<string, unknown>) => rigStatusSchema.safeParse(status).success;
    assert.equal(bad({ polecatCount: -1 }), false);
    assert.equal(bad({ polecatCount: 1.5 }), false);
    assert.equal(bad({ conditions: [condition('Ready', { status: 'Maybe' })] }), false);
    assert.equal(bad({ conditions: [condition('Ready', { reason: 'not camel case' })] }), false);
    assert.equal(bad({ conditions: [condition('Ready', { lastTransitionTime: 'yesterday' })] }), false);
    assert.equal(bad({ conditions: [condition('Ready'), condition('Ready')] }), false);
    assert.equal(bad({ lastFailure: { time: '2026-04-01T12:00:00Z', reason: 'GTError', message: 'x' } }), false);
  });
});

describe('Polecat', () => {
  test('desiredState defaults to Idle', () => {
    const decoded = parsePolecat(polecat({ rig: 'gastown' }));
    assert.equal(decoded.spec.desiredState, 'Idle');
    assert.equal(decoded.spec.beadID, undefined);
  });

  test('a working polecat with a bead decodes', () => {
    const decoded = parsePolecat(polecat({ rig: 'news_api', desiredState: 'Working', beadID: 'gt-abc12.1' }));
    assert.equal(decoded.spec.desiredState, 'Working');
    assert.equal(decoded.spec.beadID, 'gt-abc12.1');
  });

  test('desiredState outside the enum is refused', () => {
    assert.deepEqual(issuePaths(decodePolecat(polecat({ rig: 'gastown', desiredState: 'Running' }))), ['spec.desiredState']);
    assert.deepEqual(issuePaths(decodePolecat(polecat({ rig: 'gastown', desiredState: 'idle' }))), ['spec.desiredState']);
  });

  for (const rigName of ['my-rig', 'my.rig', 'my rig', 'a/b', '', '-x']) {
    test(`rig ${JSON.stringify(rigName)} is refused (gt rig names have no hyphens, dots or spaces)`, () => {
      assert.deepEqual(issuePaths(decodePolecat(polecat({ rig: rigName }))), ['spec.rig']);
    });
  }

  test('a bad bead ID is refused', () => {
    assert.deepEqual(issuePaths(decodePolecat(polecat({ rig: 'gastown', beadID: 'gt_abc12' }))), ['spec.beadID']);
  });

  test('a polecat without a namespace is refused (it is namespaced)', () => {
    assert.deepEqual(issuePaths(decodePolecat(polecat({ rig: 'gastown' }, { metadata: { name: 'x' } }))), ['metadata.namespace']);
  });

  test('the error key is namespace/name', () => {
    const result = decodePolecat(polecat({ rig: 'my-rig' }));
    assert.ok(!result.ok);
    assert.equal(result.error.objectKey, 'town/fix-login');
    assert.equal(result.error.resourceKind, 'Polecat');
  });
});

describe('bead IDs', () => {
  for (const id of ['gt-abc12', 'gt-abc12.1', 'gt-abc12.1.2', 'hq-cv-abcde', 'my-proj-x9k2', 'bd-a1b', 'BD-a1b2c3d4']) {
    test(`${id} is a bead ID`, () => assert.equal(isBeadId(id), true));
  }
  for (const id of ['abc12', 'gt-', 'gt-ab', 'gt_abc12', 'gt-ABCDE', 'gt-abc12.', 'gt-abc12.x', '-gt-abc12', 'gt-abc12 ', 'gt-abcdefghi', '--help', '1gt-abc12']) {
    test(`${JSON.stringify(id)} is not a bead ID`, () => assert.equal(isBeadId(id), false));
  }
  test('convoy IDs and rig names', () => {
    assert.equal(isConvoyId('hq-cv-a1b2c'), true);
    assert.equal(isConvoyId('hq-cv-a1b2'), false);
    assert.equal(isConvoyId('gt-cv-a1b2c'), false);
    assert.equal(isRigName('news_api'), true);
    assert.equal(isRigName('news-api'), false);
  });
});

describe('Convoy', () => {
  test('defaults: notifyOnComplete false, notifyAddress mayor/', () => {
    const decoded = parseConvoy(convoy({ trackedBeads: ['gt-abc12'] }));
    assert.equal(decoded.spec.notifyOnComplete, false);
    assert.equal(decoded.spec.notifyAddress, 'mayor/');
    assert.equal(decoded.spec.description, undefined);
  });

  test('an explicit notification address is kept', () => {
    const decoded = parseConvoy(convoy({ trackedBeads: ['gt-abc12'], notifyOnComplete: true, notifyAddress: 'gastown/witness' }));
    assert.equal(decoded.spec.notifyOnComplete, true);
    assert.equal(decoded.spec.notifyAddress, 'gastown/witness');
  });

  test('trackedBeads must have at least one bead', () => {
    assert.deepEqual(issuePaths(decodeConvoy(convoy({ trackedBeads: [] }))), ['spec.trackedBeads']);
    assert.deepEqual(issuePaths(decodeConvoy(convoy({}))), ['spec.trackedBeads']);
  });

  test('each tracked bead must be a bead ID, reported by index', () => {
    assert.deepEqual(issuePaths(decodeConvoy(convoy({ trackedBeads: ['gt-abc12', 'nope'] }))), ['spec.trackedBeads[1]']);
  });

  test('duplicate tracked beads are refused', () => {
    assert.deepEqual(issuePaths(decodeConvoy(convoy({ trackedBeads: ['gt-abc12', 'gt-abc12'] }))), ['spec.trackedBeads']);
  });

  test('a notification address that could pass for a flag is refused', () => {
    assert.deepEqual(issuePaths(decodeConvoy(convoy({ trackedBeads: ['gt-abc12'], notifyAddress: '--force' }))), ['spec.notifyAddress']);
  });

  test('status accepts bounded lists and refuses longer ones', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `gt-${String(i).padStart(5, '0')}`);
    const spec = { trackedBeads: ['gt-abc12'] };
    assert.equal(convoySchema.safeParse(convoy(spec, { status: { completedBeads: ids(CONVOY_STATUS_BEAD_LIST_LIMIT) } })).success, true);
    assert.equal(convoySchema.safeParse(convoy(spec, { status: { completedBeads: ids(CONVOY_STATUS_BEAD_LIST_LIMIT + 1) } })).success, false);
    assert.equal(convoySchema.safeParse(convoy(spec, { status: { progress: 'two of three' } })).success, false);
  });
});

describe('convoyBeadSummary', () => {
  test('counts, progress and sorted lists', () => {
    assert.deepEqual(convoyBeadSummary(['gt-bbbbb', 'gt-aaaaa'], ['gt-ccccc']), {
      progress: '2/3',
      totalBeads: 3,
      completedCount: 2,
      pendingCount: 1,
      completedBeads: ['gt-aaaaa', 'gt-bbbbb'],
      pendingBeads: ['gt-ccccc'],
      beadListsTruncated: false,
    });
  });

  test('huge convoys keep exact counts and bounded lists, and the result fits the schema', () => {
    const pending = Array.from({ length: 5000 }, (_, i) => `gt-${i.toString(36).padStart(5, '0')}`);
    const summary = convoyBeadSummary(['gt-zzzzz'], pending);
    assert.equal(summary.pendingCount, 5000);
    assert.equal(summary.pendingBeads.length, CONVOY_STATUS_BEAD_LIST_LIMIT);
    assert.equal(summary.completedBeads.length, 1);
    assert.equal(summary.beadListsTruncated, true);
    assert.equal(summary.progress, '1/5001');
    assert.equal(convoySchema.safeParse(convoy({ trackedBeads: ['gt-abc12'] }, { status: summary })).success, true);
  });

  test('the same beads in another order give an identical summary (no status churn)', () => {
    assert.deepEqual(convoyBeadSummary(['b-aaa', 'a-aaa'], ['d-aaa', 'c-aaa'], 1), convoyBeadSummary(['a-aaa', 'b-aaa'], ['c-aaa', 'd-aaa'], 1));
  });

  test('a limit above the schema bound is clamped to it', () => {
    const many = Array.from({ length: CONVOY_STATUS_BEAD_LIST_LIMIT + 10 }, (_, i) => `gt-${String(i).padStart(5, '0')}`);
    assert.equal(convoyBeadSummary(many, [], 10_000).completedBeads.length, CONVOY_STATUS_BEAD_LIST_LIMIT);
  });
});

describe('constants', () => {
  test('every reason is a valid condition reason', () => {
    for (const reason of Object.values(Reason)) assert.match(reason, CONDITION_REASON_PATTERN);
  });
  test('every condition type is a valid condition type', () => {
    for (const type of Object.values(ConditionType)) assert.match(type, CONDITION_TYPE_PATTERN);
  });
});
