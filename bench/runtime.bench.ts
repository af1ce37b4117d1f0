// Runtime benchmarks: they measure, they do not assert.
//  1. work-queue throughput: distinct keys per second through a Controller with a no-op
//     reconcile and 4 workers (the whole loop: queue, dedup, reconcile context, logger child);
//  2. informer cache memory per 1,000 objects, against the embedded API server.
// Run: npm exec -- node --expose-gc bench/runtime.bench.ts   (prints a Markdown table)
import { KubeConfig } from '@kubernetes/client-node';
import { startTestApiServer } from '../test/helpers/apiserver.ts';
import { InformerCache } from '../src/runtime/cache.ts';
import { Controller } from '../src/runtime/controller.ts';
import { Informer } from '../src/runtime/informer.ts';
import { KubeClient, type KubeObject } from '../src/runtime/k8s.ts';
import { WorkQueue } from '../src/runtime/workqueue.ts';
import { eventually } from '../test/helpers/eventually.ts';
import { installCrd, widgetKind } from '../test/integration/runtime/helpers.ts';
import { kubeConfigAt } from '../test/integration/runtime/proxy.ts';

const gc = (globalThis as { gc?: () => void }).gc;

function offlineCache(): InformerCache {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'http://127.0.0.1:9', skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new InformerCache({ client: new KubeClient(kc) });
}

async function controllerThroughput(keys: number, workers: number): Promise<number> {
  let done = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const controller = new Controller(
    {
      name: 'bench',
      for: widgetKind,
      workers,
      reconcile: () => Promise.resolve(),
      onReconcile: () => {
        if (++done === keys) resolveAll();
      },
    },
    { cache: offlineCache() },
  );
  const abort = new AbortController();
  const running = controller.run(abort.signal);
  const t0 = performance.now();
  for (let i = 0; i < keys; i++) controller.enqueue(`ns/key-${i}`);
  await all;
  const seconds = (performance.now() - t0) / 1000;
  abort.abort();
  await running;
  return keys / seconds;
}

async function rawQueueThroughput(keys: number, workers: number): Promise<number> {
  const q = new WorkQueue();
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const k = await q.get();
      if (k === undefined) return;
      q.done(k);
      done++;
    }
  };
  const ws = Array.from({ length: workers }, () => worker());
  const t0 = performance.now();
  for (let i = 0; i < keys; i++) q.add(`ns/key-${i}`);
  while (done < keys) await new Promise((r) => setImmediate(r));
  const seconds = (performance.now() - t0) / 1000;
  await q.drain();
  await Promise.all(ws);
  return keys / seconds;
}

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** A Polecat-sized object: labels, a spec and a status with conditions. */
function sampleObject(i: number): KubeObject & Record<string, unknown> {
  return {
    metadata: { name: `polecat-${i}`, namespace: 'default', labels: { 'gastown.gastown.io/rig': `rig-${i % 10}`, app: 'gastown' } },
    spec: { rig: `rig-${i % 10}`, desiredState: 'Working', beadID: `gt-${(1000 + i).toString(36)}` },
  };
}

async function cacheMemory(objects: number): Promise<{ perThousandKiB: number; syncMs: number }> {
  const api = await startTestApiServer({ tls: false });
  try {
    const client = new KubeClient(kubeConfigAt(api.url, api.token));
    await installCrd(client.kubeConfig);
    await eventually('kind', async () => (await client.list(widgetKind)).items);
    const batch = 50;
    for (let i = 0; i < objects; i += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, objects - i) }, (_, j) => client.create(widgetKind, sampleObject(i + j))));
    }
    const before = heapUsed();
    const informer = new Informer<KubeObject>({ client, kind: widgetKind });
    const abort = new AbortController();
    const t0 = performance.now();
    const running = informer.run(abort.signal);
    await informer.waitForSync();
    const syncMs = performance.now() - t0;
    const after = heapUsed();
    abort.abort();
    await running;
    return { perThousandKiB: ((after - before) / objects) * 1000 / 1024, syncMs };
  } finally {
    await api.close();
  }
}

const KEYS = 200_000;
await controllerThroughput(20_000, 4); // warm-up
const ctrl = await controllerThroughput(KEYS, 4);
const raw = await rawQueueThroughput(KEYS, 4);
const mem = await cacheMemory(5_000);

console.log(`# runtime benchmarks

Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, gc exposed: ${gc ? 'yes' : 'no (run with --expose-gc)'}

| measure | value |
|---|---|
| controller loop, no-op reconcile, 4 workers (${KEYS.toLocaleString('en')} distinct keys) | ${Math.round(ctrl).toLocaleString('en')} keys/s |
| bare WorkQueue add/get/done, 4 workers | ${Math.round(raw).toLocaleString('en')} keys/s |
| informer cache heap per 1,000 objects (5,000 Polecat-sized objects) | ${Math.round(mem.perThousandKiB).toLocaleString('en')} KiB |
| initial list + sync of 5,000 objects (paged by 500) | ${Math.round(mem.syncMs)} ms |
`);
