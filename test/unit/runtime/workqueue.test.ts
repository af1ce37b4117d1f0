import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/runtime/clock.ts';
import {
  defaultControllerRateLimiter,
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
} from '../../../src/runtime/ratelimit.ts';
import { WorkQueue } from '../../../src/runtime/workqueue.ts';
import { eventually } from '../../helpers/eventually.ts';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('rate limiters', () => {
  test('per-key backoff doubles from 5 ms to the 1000 s cap and forget() resets it', () => {
    const rl = new ExponentialFailureRateLimiter();
    const delays = Array.from({ length: 20 }, () => rl.when('a'));
    assert.deepEqual(delays.slice(0, 5), [5, 10, 20, 40, 80]);
    assert.equal(delays[19], 1_000_000);
    assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]!));
    assert.equal(rl.when('b'), 5, 'keys back off independently');
    assert.equal(rl.numRequeues('a'), 20);
    rl.forget('a');
    assert.equal(rl.numRequeues('a'), 0);
    assert.equal(rl.when('a'), 5);
  });

  test('the cap holds even after very many failures', () => {
    const rl = new ExponentialFailureRateLimiter(5, 1_000_000);
    let last = 0;
    for (let i = 0; i < 5000; i++) last = rl.when('x');
    assert.equal(last, 1_000_000);
  });

  test('token bucket: burst passes, then qps paces, refilled by time', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucketRateLimiter(10, 3, clock);
    assert.deepEqual([bucket.when('a'), bucket.when('b'), bucket.when('c')], [0, 0, 0]);
    assert.equal(Math.round(bucket.when('d')), 100);
    assert.equal(Math.round(bucket.when('e')), 200);
    clock.advance(1000);
    // 1 s at 10 qps refills 10 tokens, capped at the burst of 3; the debt of 2 is paid first.
    assert.deepEqual([bucket.when('f'), bucket.when('g'), bucket.when('h')], [0, 0, 0]);
  });

  test('the default controller limiter takes the longer of backoff and bucket', () => {
    const clock = new FakeClock();
    const rl = defaultControllerRateLimiter({ clock, qps: 1, burst: 1 });
    assert.equal(rl.when('a'), 5);
    assert.equal(Math.round(rl.when('b')), 1000, 'bucket delay beats a 5 ms backoff');
    const max = new MaxOfRateLimiter(new ExponentialFailureRateLimiter(5, 100), new ExponentialFailureRateLimiter(1, 1000));
    assert.equal(max.when('k'), 5);
    assert.equal(max.numRequeues('k'), 1);
  });
});

describe('WorkQueue', () => {
  test('a key is queued once however often it is added', async () => {
    const q = new WorkQueue();
    for (let i = 0; i < 100; i++) {
      q.add('a');
      q.add('b');
    }
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  test('a key added while processing is handed out again only after done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 'not queued while in flight');
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await tick();
    assert.equal(second, undefined);
    q.done(key!);
    await tick();
    assert.equal(second, 'a');
    q.done('a');
    assert.equal(q.len(), 0, 'the repeated adds collapsed into one');
  });

  test('addAfter waits on the clock and keeps the earliest deadline', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 300);
    q.addAfter('a', 5000);
    assert.equal(q.delayed(), 1);
    clock.advance(299);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'a');
    assert.equal(clock.pendingTimers(), 0);
  });

  test('addRateLimited backs off per key and forget() resets the backoff', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ExponentialFailureRateLimiter(5, 1000) });
    const readyAfter = async (): Promise<number> => {
      q.addRateLimited('k');
      let waited = 0;
      while (q.len() === 0 && waited < 10_000) {
        clock.advance(1);
        waited++;
      }
      q.done((await q.get())!);
      return waited;
    };
    const first = [await readyAfter(), await readyAfter(), await readyAfter(), await readyAfter()];
    assert.deepEqual(first, [5, 10, 20, 40]);
    assert.equal(q.numRequeues('k'), 4);
    q.forget('k');
    assert.equal(await readyAfter(), 5);
  });

  test('shutdown wakes waiting getters, drops delayed keys and drain waits for in-flight work', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.add('busy');
    const busy = await q.get();
    q.addAfter('later', 1000);
    const waiting = q.get();
    q.add('queued');
    q.add('never');
    let drained = false;
    const draining = q.drain().then(() => (drained = true));
    assert.equal(await waiting, 'queued', 'a getter already waiting got the key added before shutdown');
    assert.equal(await q.get(), undefined, 'no keys handed out after shutdown');
    assert.equal(clock.pendingTimers(), 0, 'delayed keys were dropped');
    q.add('after');
    assert.equal(q.len(), 1, 'adds after shutdown are ignored (only "never" remains)');
    await tick();
    assert.equal(drained, false);
    q.done(busy!);
    q.done('queued');
    await draining;
    assert.equal(drained, true);
  });

  test('stress: many adds while slow workers run; no key is ever held by two workers', async () => {
    const q = new WorkQueue();
    const keys = Array.from({ length: 20 }, (_, i) => `ns/k${i}`);
    const inFlight = new Map<string, number>();
    const runs = new Map<string, number>();
    let maxPerKey = 0;
    let maxOverall = 0;
    let current = 0;
    let producing = true;
    const worker = async (): Promise<void> => {
      for (;;) {
        const key = await q.get();
        if (key === undefined) return;
        const n = (inFlight.get(key) ?? 0) + 1;
        inFlight.set(key, n);
        maxPerKey = Math.max(maxPerKey, n);
        maxOverall = Math.max(maxOverall, ++current);
        runs.set(key, (runs.get(key) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 1 + Math.floor(Math.random() * 3)));
        inFlight.set(key, n - 1);
        current--;
        q.done(key);
      }
    };
    const workers = Array.from({ length: 8 }, () => worker());
    let adds = 0;
    const producer = (async () => {
      const until = Date.now() + 400;
      while (Date.now() < until) {
        for (let i = 0; i < 50; i++) {
          q.add(keys[Math.floor(Math.random() * keys.length)]!);
          adds++;
        }
        await tick();
      }
      producing = false;
    })();
    await producer;
    assert.equal(producing, false);
    await eventually('the queue to empty', () => q.len() === 0 && q.inFlight() === 0, 10_000, 5);
    await q.drain();
    await Promise.all(workers);
    const totalRuns = [...runs.values()].reduce((a, b) => a + b, 0);
    assert.equal(maxPerKey, 1, 'a key was reconciled by two workers at once');
    assert.ok(maxOverall > 1, 'workers did run in parallel');
    assert.ok(totalRuns < adds / 5, `adds were deduplicated (${totalRuns} runs for ${adds} adds)`);
    assert.ok(keys.every((k) => (runs.get(k) ?? 0) > 0));
  });
});
