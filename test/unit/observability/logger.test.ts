// Logs: JSON lines by default; pretty on a terminal with `auto`; --log-level parsing; and every
// line a reconcile writes carries controller, key and reconcileID (the runtime's child logger).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

const ANSI_ESCAPE = String.fromCharCode(27) + '[';
import { KubeConfig } from '@kubernetes/client-node';
import {
  createLogger, parseLogFormat, parseLogLevel, resolveLogFormat,
} from '../../../src/observability/logger.ts';
import { InformerCache } from '../../../src/runtime/cache.ts';
import { Controller } from '../../../src/runtime/controller.ts';
import { KubeClient, type ResourceKind } from '../../../src/runtime/k8s.ts';
import { eventually } from '../../helpers/eventually.ts';
import { LogCapture as Capture } from '../../helpers/log-capture.ts';

describe('createLogger', () => {
  test('json: one object per line with level label number, ISO time, base fields and child fields', () => {
    const out = new Capture();
    const log = createLogger({ destination: out, base: { component: 'test' } });
    log.child({ controller: 'rig' }).info({ rig: 'gastown' }, 'hello');
    log.debug('hidden at info');
    const [line, ...rest] = out.lines();
    assert.equal(rest.length, 0);
    assert.equal(line!.msg, 'hello');
    assert.equal(line!.level, 30);
    assert.equal(line!.component, 'test');
    assert.equal(line!.controller, 'rig');
    assert.equal(line!.rig, 'gastown');
    assert.match(String(line!.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('level applies; silent writes nothing', () => {
    const out = new Capture();
    createLogger({ destination: out, level: 'debug' }).debug('shown');
    createLogger({ destination: out, level: 'silent' }).error('dropped');
    assert.deepEqual(out.lines().map((l) => l.msg), ['shown']);
  });

  test('pretty: human-readable lines with the fields, no JSON, no colour off a terminal', () => {
    const out = new Capture();
    createLogger({ destination: out, format: 'pretty' }).child({ controller: 'polecat', key: 'ns/toast' }).warn('stuck');
    const text = out.text();
    assert.match(text, /WARN.*stuck/);
    assert.match(text, /controller: "polecat"/);
    assert.match(text, /key: "ns\/toast"/);
    assert.doesNotMatch(text, /^\{/);
    assert.ok(!text.includes(ANSI_ESCAPE), 'no colour codes');
  });

  test('auto: pretty (coloured) on a TTY, JSON otherwise', () => {
    assert.equal(resolveLogFormat('auto', true), 'pretty');
    assert.equal(resolveLogFormat('auto', false), 'json');
    assert.equal(resolveLogFormat('json', true), 'json');
    const tty = new Capture(true);
    createLogger({ destination: tty, format: 'auto' }).info('on a terminal');
    assert.ok(tty.text().includes(ANSI_ESCAPE), 'colour codes on a terminal');
    assert.match(tty.text(), /on a terminal/);
    const pipe = new Capture(false);
    createLogger({ destination: pipe, format: 'auto' }).info('to a pipe');
    assert.equal(pipe.lines()[0]!.msg, 'to a pipe');
  });

  test('--log-level and --log-format parsing', () => {
    assert.equal(parseLogLevel('DEBUG'), 'debug');
    assert.equal(parseLogLevel(' warn '), 'warn');
    assert.throws(() => parseLogLevel('verbose'), /log level must be one of fatal, error, warn, info, debug, trace, silent/);
    assert.equal(parseLogFormat('Pretty'), 'pretty');
    assert.throws(() => parseLogFormat('text'), /log format must be one of json, pretty, auto/);
  });
});

describe('reconcile log lines', () => {
  const widget: ResourceKind = { group: 'test.gastown.io', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };

  test('carry controller, key and reconcileID (one ID per run), from reconcile code and the runtime', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:9' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const out = new Capture();
    const logger = createLogger({ destination: out, level: 'debug' });
    let runs = 0;
    const controller = new Controller(
      {
        name: 'widget',
        for: widget,
        reconcile: (key, ctx) => {
          runs++;
          ctx.logger.info({ step: 'fetch' }, 'reconciling');
          return key === 'ns/bad' ? Promise.reject(new Error('gt down')) : Promise.resolve();
        },
      },
      { cache: new InformerCache({ client: new KubeClient(kc) }), logger },
    );
    const abort = new AbortController();
    const done = controller.run(abort.signal);
    controller.enqueue('ns/good');
    controller.enqueue('ns/bad');
    await eventually('both reconciles logged', () => runs >= 2 && out.lines().some((l) => l.msg === 'reconcile failed; requeued with backoff'), 5_000, 5);
    abort.abort();
    await done;

    const lines = out.lines();
    const fromReconcile = lines.filter((l) => l.msg === 'reconciling');
    assert.ok(fromReconcile.length >= 2);
    for (const l of fromReconcile) {
      assert.equal(l.controller, 'widget');
      assert.match(String(l.key), /^ns\/(good|bad)$/);
      assert.match(String(l.reconcileID), /^[0-9a-f-]{36}$/);
      assert.equal(l.step, 'fetch');
    }
    const good = lines.filter((l) => l.key === 'ns/good');
    assert.ok(good.some((l) => l.msg === 'reconciled'), 'the runtime logs the outcome with the same fields');
    assert.equal(new Set(good.map((l) => l.reconcileID)).size, 1, 'one reconcileID per run');
    const failed = lines.find((l) => l.msg === 'reconcile failed; requeued with backoff');
    assert.equal(failed?.controller, 'widget');
    assert.equal(failed?.key, 'ns/bad');
    assert.equal(typeof failed?.reconcileID, 'string');
    assert.notEqual(failed?.reconcileID, good[0]!.reconcileID);
  });
});
