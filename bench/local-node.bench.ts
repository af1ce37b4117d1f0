// The local node's streams, measured through @kubernetes/client-node against the embedded API
// server (HTTPS, WebSocket v5/v4): exec round trip (start to exit status of `true`), the
// stdin -> stdout echo latency inside one exec of `cat`, and log streaming throughput (a pod
// writing 64 MiB, read back with pods/log and with follow). It measures; it asserts nothing.
// Run: npm run bench:local-node -> bench/results/local-node.md
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CoreV1Api, Exec, Log } from '@kubernetes/client-node';
import { eventually } from '../test/helpers/eventually.ts';
import { startTestApiServer } from '../test/helpers/apiserver.ts';

const dir = mkdtempSync(join(tmpdir(), 'local-node-bench-'));
const api = await startTestApiServer({ localNode: { dir } });
const core = api.kubeConfig.makeApiClient(CoreV1Api);
const exec = new Exec(api.kubeConfig);

class Sink extends Writable {
  bytes = 0;
  text = '';
  keepText = true;
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.bytes += chunk.length;
    if (this.keepText) this.text += chunk.toString();
    cb();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? NaN;

async function running(name: string): Promise<void> {
  await eventually(name, async () => ((await core.readNamespacedPod({ namespace: 'default', name })).status?.containerStatuses?.[0]?.state?.running ? true : undefined), 30_000, 50);
}

await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'target' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '600'] }] } } });
await running('target');

const execTimes: number[] = [];
for (let i = 0; i < 30; i++) {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    exec.exec('default', 'target', 'c', ['true'], new Sink(), new Sink(), null, false, () => resolve()).catch(reject);
  });
  execTimes.push(performance.now() - t0);
}

const echoTimes: number[] = [];
{
  const out = new Sink();
  const stdin = new PassThrough();
  const ws = await exec.exec('default', 'target', 'c', ['cat'], out, new Sink(), stdin, false);
  for (let i = 0; i < 100; i++) {
    const want = `ping-${i}\n`;
    const t0 = performance.now();
    stdin.write(want);
    await eventually('echo', () => (out.text.endsWith(want) ? true : undefined), 5_000, 0);
    echoTimes.push(performance.now() - t0);
  }
  ws.close();
}

const LOG_BYTES = 64 * 1024 * 1024;
await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'writer' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `sleep 1; head -c ${LOG_BYTES} /dev/zero | tr '\\0' x; sleep 1`] }] } } });
await running('writer');
const follow = new Sink();
follow.keepText = false;
const tf = performance.now();
const followDone = finished(follow);
await new Log(api.kubeConfig).log('default', 'writer', 'c', follow, { follow: true });
await followDone;
const followSeconds = (performance.now() - tf) / 1000;
const whole = new Sink();
whole.keepText = false;
const tw = performance.now();
const wholeDone = finished(whole);
await new Log(api.kubeConfig).log('default', 'writer', 'c', whole, {});
await wholeDone;
const wholeSeconds = (performance.now() - tw) / 1000;

await api.close();
rmSync(dir, { recursive: true, force: true });

const mib = (b: number, s: number): string => (b / 1024 / 1024 / s).toFixed(1);
const lines = [
  '# Local node: exec, attach-style streams and logs',
  '',
  `Measured ${new Date().toISOString()} on ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine was shared with other work).`,
  'Client: @kubernetes/client-node over HTTPS/WebSocket to the embedded API server in the same process; pods are host processes.',
  '',
  '| measurement | median | p95 |',
  '|---|---|---|',
  `| exec round trip (\`true\`: upgrade, spawn, exit status), 30 runs | ${median(execTimes).toFixed(1)} ms | ${p95(execTimes).toFixed(1)} ms |`,
  `| stdin -> stdout echo inside one exec of \`cat\`, 100 lines | ${median(echoTimes).toFixed(2)} ms | ${p95(echoTimes).toFixed(2)} ms |`,
  '',
  '| log streaming (64 MiB written by the pod) | bytes read | seconds | MiB/s |',
  '|---|---|---|---|',
  `| follow=true, while the pod writes (includes its 2 s of sleeps) | ${follow.bytes} | ${followSeconds.toFixed(2)} | ${mib(follow.bytes, followSeconds)} |`,
  `| whole log after the fact | ${whole.bytes} | ${wholeSeconds.toFixed(2)} | ${mib(whole.bytes, wholeSeconds)} |`,
  '',
  'Run: `npm run bench:local-node`.',
  '',
];
writeFileSync(join(import.meta.dirname, 'results', 'local-node.md'), lines.join('\n'));
console.log(lines.join('\n'));
