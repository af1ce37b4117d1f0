// What the three controllers share: the gt-error mapping, the status helpers, the kinds, and the
// agent address gt's hook/mail/sling use.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { API_GROUP, API_VERSION, CONVOY_KIND, POLECAT_KIND, Reason, RIG_KIND } from '../../../src/api/index.ts';
import { DEFAULT_RETRY_DELAYS, gtFailure, reasonForGtError } from '../../../src/controllers/shared/gt-failure.ts';
import { baseStatus, conditionOf, withCondition, withSynced, withSyncFailure, withoutCondition, type ViewStatus } from '../../../src/controllers/shared/status.ts';
import { polecatAddress, polecatKey } from '../../../src/controllers/town-sync/snapshot.ts';
import { GtError, type GtErrorKind } from '../../../src/gt/errors.ts';

const NOW = Date.UTC(2026, 3, 1, 12, 0, 0);

describe('gtFailure: one mapping of gt error kinds', () => {
  const delays = { transientMs: 1, unavailableMs: 2, cliErrorMs: 3, parseErrorMs: 4, notFoundMs: 5 };
  const table: [GtErrorKind, string, number | undefined][] = [
    ['Transient', Reason.GTUnavailable, 1],
    ['Unavailable', Reason.GTUnavailable, 2],
    ['CLIError', Reason.GTError, 3],
    ['ParseError', Reason.GTOutputInvalid, 4],
    ['NotFound', Reason.GTError, 5],
    ['InvalidArgument', Reason.GTError, undefined],
  ];
  for (const [kind, reason, requeue] of table) {
    test(`${kind} -> ${reason}, requeue ${String(requeue)}`, () => {
      const failure = gtFailure(new GtError(kind, 'x'.repeat(2_000), { command: 'gt x' }), delays);
      assert.deepEqual([failure.reason, failure.requeueAfterMs], [reason, requeue]);
      assert.equal(failure.message.length, 1024, 'bounded');
      assert.equal(reasonForGtError(kind), reason);
    });
  }

  test('the defaults (the values the Polecat and Convoy controllers used)', () => {
    assert.deepEqual(DEFAULT_RETRY_DELAYS, { transientMs: 5_000, unavailableMs: 30_000, cliErrorMs: 60_000, parseErrorMs: 60_000, notFoundMs: 60_000 });
  });
});

describe('status helpers', () => {
  test('baseStatus drops lastFailure (the failure reporter owns it) and stamps the generation', () => {
    const previous = { phase: 'Working', lastFailure: { message: 'boom' }, observedGeneration: 1 };
    assert.deepEqual(baseStatus(previous, 4), { phase: 'Working', observedGeneration: 4 });
    assert.deepEqual(baseStatus(undefined, undefined), { observedGeneration: 0 });
    assert.equal(previous.lastFailure.message, 'boom', 'input untouched');
  });

  test('conditions carry the generation; lastTransitionTime moves only when the status flips', () => {
    const a = withSynced<ViewStatus>({ observedGeneration: 3 }, NOW);
    assert.deepEqual(conditionOf(a, 'Synced'), { type: 'Synced', status: 'True', reason: Reason.Synced, message: 'gt read succeeded', observedGeneration: 3, lastTransitionTime: '2026-04-01T12:00:00Z' });
    const b = withSynced(a, NOW + 60_000);
    assert.equal(conditionOf(b, 'Synced')?.lastTransitionTime, '2026-04-01T12:00:00Z');
    const c = withSyncFailure(b, { reason: Reason.GTUnavailable, message: 'down', requeueAfterMs: 1 }, NOW + 120_000);
    assert.deepEqual([conditionOf(c, 'Synced')?.status, conditionOf(c, 'Synced')?.reason, conditionOf(c, 'Synced')?.lastTransitionTime], ['False', Reason.GTUnavailable, '2026-04-01T12:02:00Z']);
    const d = withoutCondition(withCondition(c, 'Stuck', 'True', Reason.GTStateStuck, 'stuck', NOW), 'Synced');
    assert.deepEqual(d.conditions?.map((x) => x.type), ['Stuck']);
  });
});

describe('kinds and addresses', () => {
  test('one ResourceKind per kind', () => {
    assert.deepEqual(RIG_KIND, { group: API_GROUP, version: API_VERSION, plural: 'rigs', kind: 'Rig', namespaced: false });
    assert.deepEqual(POLECAT_KIND, { group: API_GROUP, version: API_VERSION, plural: 'polecats', kind: 'Polecat', namespaced: true });
    assert.deepEqual(CONVOY_KIND, { group: API_GROUP, version: API_VERSION, plural: 'convoys', kind: 'Convoy', namespaced: true });
  });

  test('hook/mail targets are <rig>/polecats/<name> (gt matches the assignee exactly); snapshot keys are <rig>/<name>', () => {
    assert.equal(polecatAddress('gastown', 'nux'), 'gastown/polecats/nux');
    assert.equal(polecatKey('gastown', 'nux'), 'gastown/nux');
  });
});
