// The operator's HTTP endpoints over real sockets: /healthz and /readyz (controller-runtime
// style text bodies, 503 with reasons until ready), /metrics in the Prometheus text format,
// bind address parsing, and `0` disabling an endpoint.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { startHealthServer, type CheckResult } from '../../../src/observability/health.ts';
import { DEFAULT_HEALTH_ADDR, DEFAULT_METRICS_ADDR, parseListenAddress, type RunningServer } from '../../../src/observability/http-listen.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { startMetricsServer } from '../../../src/observability/metrics-server.ts';
import { parseScrape } from './prom-text.ts';

const servers: RunningServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function started(p: Promise<RunningServer | undefined>): Promise<RunningServer> {
  const s = await p;
  assert.ok(s, 'server started');
  servers.push(s);
  return s;
}

async function get(url: string, method = 'GET'): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url, { method });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

describe('parseListenAddress', () => {
  test('host:port, :port, [v6]:port, and 0 = disabled', () => {
    assert.deepEqual(parseListenAddress(':8080'), { host: undefined, port: 8080 });
    assert.deepEqual(parseListenAddress('0.0.0.0:8081'), { host: '0.0.0.0', port: 8081 });
    assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListenAddress('[::1]:9464'), { host: '::1', port: 9464 });
    assert.deepEqual(parseListenAddress('localhost:9464'), { host: 'localhost', port: 9464 });
    assert.equal(parseListenAddress('0'), undefined);
    assert.deepEqual(parseListenAddress(DEFAULT_METRICS_ADDR), { host: undefined, port: 8080 });
    assert.deepEqual(parseListenAddress(DEFAULT_HEALTH_ADDR), { host: undefined, port: 8081 });
  });

  test('anything else is a RangeError naming the flag', () => {
    for (const bad of ['8080', 'host', ':', ':99999', 'a:b', '::1:80', '', ' :80x']) {
      assert.throws(() => parseListenAddress(bad, '--metrics-addr'), (e: unknown) => e instanceof RangeError && e.message.startsWith('--metrics-addr'), bad);
    }
  });
});

describe('health server', () => {
  test('/healthz ok; /readyz 503 with reasons until ready, then ok; ?verbose; HEAD; 404; 405', async () => {
    let readiness: CheckResult = { ready: false, reasons: ['cache gastown.gastown.io/v1alpha1/rigs not synced', 'CRD convoys.gastown.gastown.io not established'] };
    const s = await started(startHealthServer({ addr: '127.0.0.1:0', ready: () => readiness }));
    assert.deepEqual(await get(`${s.url}/healthz`), { status: 200, body: 'ok', type: 'text/plain; charset=utf-8' });

    const notReady = await get(`${s.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(notReady.body, '[-]cache gastown.gastown.io/v1alpha1/rigs not synced\n[-]CRD convoys.gastown.gastown.io not established\nreadyz check failed\n');

    readiness = { ready: true, reasons: [] };
    assert.deepEqual(await get(`${s.url}/readyz`), { status: 200, body: 'ok', type: 'text/plain; charset=utf-8' });
    assert.equal((await get(`${s.url}/readyz?verbose`)).body, '[+]ready ok\nreadyz check passed\n');
    assert.equal((await get(`${s.url}/healthz?verbose=1`)).body, '[+]ping ok\nhealthz check passed\n');
    assert.deepEqual(await get(`${s.url}/readyz`, 'HEAD'), { status: 200, body: '', type: 'text/plain; charset=utf-8' });
    assert.equal((await get(`${s.url}/metrics`)).status, 404);
    assert.equal((await get(`${s.url}/readyz`, 'POST')).status, 405);
  });

  test('a failing liveness check and a throwing readiness check answer 503, not crash', async () => {
    const s = await started(startHealthServer({
      addr: '127.0.0.1:0',
      ready: () => {
        throw new Error('boom');
      },
      healthy: () => ({ ready: false, reasons: ['manager stopped'] }),
    }));
    assert.deepEqual(await get(`${s.url}/healthz`), { status: 503, body: '[-]manager stopped\nhealthz check failed\n', type: 'text/plain; charset=utf-8' });
    const r = await get(`${s.url}/readyz`);
    assert.equal(r.status, 503);
    assert.match(r.body, /^\[-\]check threw: boom\n/);
  });

  test('addr 0 disables the endpoint; a taken port rejects', async () => {
    assert.equal(await startHealthServer({ addr: '0', ready: () => ({ ready: true, reasons: [] }) }), undefined);
    const s = await started(startHealthServer({ addr: '127.0.0.1:0', ready: () => ({ ready: true, reasons: [] }) }));
    await assert.rejects(startHealthServer({ addr: `127.0.0.1:${s.port}`, ready: () => ({ ready: true, reasons: [] }) }), /EADDRINUSE/);
  });
});

describe('metrics server', () => {
  test('GET /metrics returns the registry in the Prometheus text format with its content type', async () => {
    const metrics = createMetrics();
    metrics.recordGtCall({ command: 'gt rig list', durationMs: 80, result: 'success' });
    metrics.setPhase('rig', { rig: 'gastown' }, 'Operational');
    const s = await started(startMetricsServer({ addr: '127.0.0.1:0', registry: metrics.registry }));
    const r = await get(`${s.url}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.type, metrics.registry.contentType);
    assert.match(r.type ?? '', /^text\/plain; version=0\.0\.4/);
    const scrape = parseScrape(r.body);
    assert.equal(scrape.value('gastown_gt_cli_calls_total', { command: 'gt rig list', result: 'success' }), 1);
    assert.equal(scrape.value('gastown_rig_phase', { rig: 'gastown', phase: 'Operational' }), 1);
    assert.ok(scrape.types.has('process_resident_memory_bytes'));
    assert.equal((await get(`${s.url}/`)).status, 404);
    assert.equal((await get(`${s.url}/metrics`, 'DELETE')).status, 405);
  });

  test('a failing collector answers 500 instead of a partial scrape', async () => {
    const registry = new Registry();
    registry.registerMetric({
      name: 'broken',
      get: () => Promise.reject(new Error('collector broke')),
      reset: () => undefined,
      get aggregator() {
        return 'sum' as const;
      },
    } as unknown as Parameters<Registry['registerMetric']>[0]);
    const s = await started(startMetricsServer({ addr: '127.0.0.1:0', registry }));
    const r = await get(`${s.url}/metrics`);
    assert.equal(r.status, 500);
    assert.match(r.body, /collector broke/);
  });

  test('addr 0 disables metrics', async () => {
    assert.equal(await startMetricsServer({ addr: '0', registry: new Registry() }), undefined);
  });
});
