// Protobuf request-body decoding throughput: a Deployment with a whole PodSpec (the fixture of
// the decoder's tests), encoded as client-go does, decoded by the embedded API server's decoder;
// compared with JSON.parse of the same object's JSON text (what a JSON client costs the server).
// It measures; it asserts nothing. Run: npm run bench:protobuf -> bench/results/protobuf.md
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { decodeObject } from '../src/apiserver/protobuf/decode.ts';
import { encodeProtobufBody, FULL_DEPLOYMENT } from '../test/helpers/protobuf.ts';

function rate(label: string, fn: () => unknown, seconds = 3): { label: string; perSecond: number; microsEach: number } {
  for (let i = 0; i < 2000; i++) fn(); // warm-up
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return { label, perSecond: n / elapsed, microsEach: (elapsed / n) * 1e6 };
}

const body = encodeProtobufBody(FULL_DEPLOYMENT);
const json = JSON.stringify(FULL_DEPLOYMENT);
const results = [
  rate('protobuf decode (k8s envelope + table)', () => decodeObject(body)),
  rate('JSON.parse of the same object', () => JSON.parse(json) as unknown),
];
const lines = [
  '# Protobuf request-body decoding',
  '',
  `Measured ${new Date().toISOString()} on ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
  `Object: a Deployment with a whole PodSpec (3 volumes, an init container, probes, env from Secrets and fields, affinity, tolerations): ${body.length} bytes of protobuf, ${json.length} bytes of JSON.`,
  '',
  '| what | per second | µs each | MB/s of input |',
  '|---|---|---|---|',
  ...results.map((r, i) => `| ${r.label} | ${Math.round(r.perSecond).toLocaleString('en-US')} | ${r.microsEach.toFixed(1)} | ${((r.perSecond * (i === 0 ? body.length : json.length)) / 1e6).toFixed(1)} |`),
  '',
  'Run: `npm run bench:protobuf`.',
  '',
];
writeFileSync(join(import.meta.dirname, 'results', 'protobuf.md'), lines.join('\n'));
console.log(lines.join('\n'));
