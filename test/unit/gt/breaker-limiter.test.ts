// The circuit breaker (with an injected clock) and the FIFO concurrency limiter.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker, type BreakerState } from '../../../src/gt/breaker.ts';
import { ConcurrencyLimiter } from '../../../src/gt/limiter.ts';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

function fail(b: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) b.settle(b.admit(), 'failure');
}

describe('CircuitBreaker', () => {
  test('opens after 5 consecutive failures, not before', () => {
    const b = new CircuitBreaker({ now: clock().now });
    fail(b, 4);
    assert.equal(b.state, 'closed');
    fail(b, 1);
    assert.equal(b.state, 'open');
    assert.deepEqual(b.admit(), { admitted: false });
  });

  test('a success or a neutral answer in between resets / does not break the run', () => {
    const b = new CircuitBreaker({ now: clock().now });
    fail(b, 4);
    b.settle(b.admit(), 'success');
    fail(b, 4);
    assert.equal(b.state, 'closed');
    b.settle(b.admit(), 'neutral');
    assert.equal(b.state, 'closed');
    fail(b, 1);
    assert.equal(b.state, 'open');
  });

  test('half-open after 30 s: one probe at a time; success closes', () => {
    const c = clock();
    const changes: string[] = [];
    const b = new CircuitBreaker({ now: c.now, onStateChange: (f: BreakerState, t: BreakerState) => changes.push(`${f}>${t}`) });
    fail(b, 5);
    c.advance(29_999);
    assert.equal(b.state, 'open');
    c.advance(1);
    assert.equal(b.state, 'half-open');
    const probe = b.admit();
    assert.deepEqual(probe, { admitted: true, probe: true });
    assert.deepEqual(b.admit(), { admitted: false }, 'a second call during the probe is refused');
    b.settle(probe, 'success');
    assert.equal(b.state, 'closed');
    assert.deepEqual(changes, ['closed>open', 'open>half-open', 'half-open>closed']);
  });

  test('a failed probe re-opens for a full period; a neutral probe frees the slot', () => {
    const c = clock();
    const b = new CircuitBreaker({ now: c.now, failureThreshold: 2, halfOpenAfterMs: 100 });
    fail(b, 2);
    c.advance(100);
    b.settle(b.admit(), 'failure');
    assert.equal(b.state, 'open');
    c.advance(99);
    assert.equal(b.state, 'open');
    c.advance(1);
    b.settle(b.admit(), 'neutral');
    assert.equal(b.state, 'half-open');
    assert.equal(b.admit().admitted, true, 'the next call probes');
  });

  test('rejects a nonsense threshold', () => {
    assert.throws(() => new CircuitBreaker({ failureThreshold: 0 }), RangeError);
  });
});

describe('ConcurrencyLimiter', () => {
  test('never more than the limit; FIFO; release hands the slot on', async () => {
    const l = new ConcurrencyLimiter(2);
    const order: number[] = [];
    const r1 = await l.acquire();
    const r2 = await l.acquire();
    const waits = [3, 4, 5].map((n) => l.acquire().then((release) => { order.push(n); return release; }));
    assert.equal(l.active, 2);
    assert.equal(l.waiting, 3);
    r1();
    r1(); // a second release of the same slot is ignored
    const r3 = await waits[0]!;
    assert.equal(l.active, 2);
    r2();
    r3();
    (await waits[1]!)();
    (await waits[2]!)();
    assert.deepEqual(order, [3, 4, 5]);
    assert.equal(l.active, 0);
  });

  test('an aborted waiter leaves the queue without taking a slot', async () => {
    const l = new ConcurrencyLimiter(1);
    const held = await l.acquire();
    const ac = new AbortController();
    const waiting = l.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(waiting, /stop/);
    assert.equal(l.waiting, 0);
    held();
    assert.equal(l.active, 0);
    await assert.rejects(l.acquire(AbortSignal.abort()), Error);
  });
});
