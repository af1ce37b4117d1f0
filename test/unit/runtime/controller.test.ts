import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { InformerCache } from '../../../src/runtime/cache.ts';
import { FakeClock } from '../../../src/runtime/clock.ts';
import { Controller, TerminalError, type ReconcileContext, type ReconcileReport, type ReconcileResult } from '../../../src/runtime/controller.ts';
import { KubeApiError, KubeClient, type ResourceKind } from '../../../src/runtime/k8s.ts';
import { ExponentialFailureRateLimiter } from '../../../src/runtime/ratelimit.ts';
import type { FailureReporter, LastFailure } from '../../../src/runtime/status.ts';

const widget: ResourceKind = { group: 'test.gastown.io', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };

function offlineCache(): InformerCache {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'http://127.0.0.1:9' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new InformerCache({ client: new KubeClient(kc) });
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

interface Harness {
  clock: FakeClock;
  controller: Controller;
  calls: ReconcileContext[];
  reports: ReconcileReport[];
  failures: { key: string; failure?: LastFailure }[];
  stop: () => Promise<void>;
}

function harness(reconcile: (key: string, ctx: ReconcileContext) => Promise<ReconcileResult>): Harness {
  const clock = new FakeClock();
  const calls: ReconcileContext[] = [];
  const reports: ReconcileReport[] = [];
  const failures: { key: string; failure?: LastFailure }[] = [];
  const reporter: FailureReporter = {
    failed: (key, failure) => Promise.resolve(void failures.push({ key, failure })),
    succeeded: (key) => Promise.resolve(void failures.push({ key })),
  };
  const controller = new Controller(
    {
      name: 'widgets',
      for: widget,
      reconcile: (key, ctx) => {
        calls.push(ctx);
        return reconcile(key, ctx);
      },
      rateLimiter: () => new ExponentialFailureRateLimiter(5, 1000),
      failureReporter: reporter,
      onReconcile: (r) => reports.push(r),
    },
    { cache: offlineCache(), clock },
  );
  const abort = new AbortController();
  const done = controller.run(abort.signal);
  return {
    clock,
    controller,
    calls,
    reports,
    failures,
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}

describe('Controller outcomes', () => {
  test('errors requeue with growing backoff; success forgets it and clears lastFailure', async () => {
    let failuresLeft = 3;
    const h = harness(() => {
      if (failuresLeft-- > 0) return Promise.reject(new Error('gt down'));
      return Promise.resolve();
    });
    h.controller.enqueue('ns/a');
    await settle();
    assert.equal(h.calls.length, 1);
    for (const [delay, expectedCalls] of [[5, 2], [10, 3], [20, 4]] as const) {
      h.clock.advance(delay - 1);
      await settle();
      assert.equal(h.calls.length, expectedCalls - 1, `not before ${delay} ms`);
      h.clock.advance(1);
      await settle();
      assert.equal(h.calls.length, expectedCalls, `retried after ${delay} ms`);
    }
    assert.deepEqual(h.calls.map((c) => c.retryCount), [0, 1, 2, 3]);
    assert.equal(new Set(h.calls.map((c) => c.reconcileID)).size, 4, 'a reconcile ID per run');
    assert.deepEqual(h.reports.map((r) => r.result), ['error', 'error', 'error', 'success']);
    assert.equal(h.reports[0]!.errorType, 'Error');
    assert.equal(h.controller.queue.numRequeues('ns/a'), 0, 'success forgot the backoff');
    assert.deepEqual(h.failures.map((f) => f.failure?.retryCount), [1, 2, 3, undefined]);
    assert.equal(h.failures[0]!.failure!.message, 'gt down');
    await h.stop();
  });

  test('requeueAfter adds the key after that delay and resets backoff', async () => {
    const h = harness(() => Promise.resolve({ requeueAfterMs: 30_000 }));
    h.controller.enqueue('ns/a');
    await settle();
    assert.equal(h.calls.length, 1);
    h.clock.advance(29_999);
    await settle();
    assert.equal(h.calls.length, 1);
    h.clock.advance(1);
    await settle();
    assert.equal(h.calls.length, 2);
    assert.equal(h.reports[0]!.result, 'requeue');
    await h.stop();
  });

  test('a TerminalError is not retried; a 409 conflict is requeued and not reported as a failure', async () => {
    const h = harness((key) =>
      Promise.reject(key === 'ns/t' ? new TerminalError('spec is invalid') : new KubeApiError(409, 'Conflict', 'stale')),
    );
    h.controller.enqueue('ns/t');
    await settle();
    h.clock.advance(10_000);
    await settle();
    assert.equal(h.calls.filter((c) => c.key === 'ns/t').length, 1, 'terminal: no retry');
    assert.equal(h.reports[0]!.errorType, 'terminal');
    assert.equal(h.failures.length, 1, 'terminal failures are visible in status');

    h.controller.enqueue('ns/c');
    await settle();
    h.clock.advance(5);
    await settle();
    const conflicts = h.reports.filter((r) => r.errorType === 'conflict');
    assert.equal(conflicts.length, 2, 'conflict retried after 5 ms');
    assert.ok(conflicts.every((r) => r.result === 'requeue'));
    assert.equal(h.failures.length, 1, 'conflicts are not failures');
    await h.stop();
  });

  test('stop lets the in-flight reconcile finish and takes no new keys', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = harness((key) => (key === 'ns/slow' ? gate : Promise.resolve()));
    h.controller.enqueue('ns/slow');
    await settle();
    const stopping = h.stop();
    h.controller.enqueue('ns/other');
    let stopped = false;
    void stopping.then(() => (stopped = true));
    await settle();
    assert.equal(stopped, false, 'waits for the in-flight reconcile');
    release();
    await stopping;
    assert.deepEqual(h.calls.map((c) => c.key), ['ns/slow']);
    assert.equal(h.reports[0]!.result, 'success');
  });
});
