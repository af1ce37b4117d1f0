// The session wrapper (`gastown-operator session`) on the embedded API server with its local
// node, measured from the pane's side (the wrapper's stdin and stdout):
//   - TTY stream throughput: the agent writes 8 MiB to its terminal; bytes/s seen in the pane
//     through the wrapper (pods/attach over WebSocket) against the same agent under the same
//     pseudo-terminal (`script`) piped straight to the reader;
//   - echo latency: a line typed into the pane to the agent's answer, same two paths;
//   - Kubernetes API requests per session start, counted at the API server (its request log),
//     for the wrapper that creates the pod and for a second one that attaches to it;
//   - time from `gt sling` (the simulated gt, the rig's exec_wrapper set to the wrapper) to the
//     agent's first output in the pane (the session's log, what `gt peek` shows).
// It measures; it asserts nothing. Run: npm run bench:session -> bench/results/session.md
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CoreV1Api } from '@kubernetes/client-node';
import { buildCrds } from '../src/api/index.ts';
import { RIG_KIND } from '../src/api/kinds.ts';
import { startEmbeddedApiServer } from '../src/apiserver/index.ts';
import { sessionPodName, sessionSecretName } from '../src/execution/session-pod.ts';
import { createLogger } from '../src/observability/logger.ts';
import { crdKind } from '../src/runtime/crd-watch.ts';
import { KubeClient } from '../src/runtime/k8s.ts';
import { kubeConfigFor } from '../test/helpers/apiserver.ts';
import { eventually } from '../test/helpers/eventually.ts';
import { gt, makeTown } from '../test/integration/sim/harness.ts';
import { readState } from '../sim/src/store.ts';
import { endSession, peekSession } from '../sim/src/session/sessions.ts';

const REPO = join(import.meta.dirname, '..');
const MAIN = join(REPO, 'src', 'main.ts');
const FLOOD_BYTES = 8 * 1024 * 1024;
const PINGS = 40;
const SLINGS = 3;
const FLOODS = 5;

// The agent: `flood` writes FLOOD_BYTES of 'x' then END; `ping N` answers `pong N`.
const AGENT = `#!/bin/sh
echo "agent up"
while IFS= read -r line; do
  case "$line" in
    flood) head -c ${FLOOD_BYTES} /dev/zero | tr '\\0' x; echo END ;;
    ping*) echo "pong\${line#ping}" ;;
    exit) exit 0 ;;
  esac
done
`;
// For the sling measurement: output from the start, a tick every 20 ms.
const TICKER = `#!/bin/sh
i=0
while :; do i=$((i+1)); echo "tick $i"; sleep 0.02; done
`;
const GIT = `#!/bin/sh
for last; do :; done
mkdir -p "$last"
`;

const dir = mkdtempSync(join(tmpdir(), 'session-bench-'));
const image = join(dir, 'image');
mkdirSync(image);
for (const [name, text] of [['agent', AGENT], ['ticker', TICKER], ['git', GIT]] as const) {
  writeFileSync(join(image, name), text);
  chmodSync(join(image, name), 0o755);
}

/** Every HTTP request the API server logs (method and path), for counting. */
const requests: string[] = [];
const requestLog = new Writable({
  write(chunk: Buffer, _e, cb): void {
    for (const line of chunk.toString().split('\n')) {
      if (!line.includes('"msg":"request"')) continue;
      const r = JSON.parse(line) as { method: string; url: string };
      requests.push(`${r.method} ${r.url.split('?')[0] ?? ''}`);
    }
    cb();
  },
});
const kubeconfig = join(dir, 'kubeconfig');
const srv = await startEmbeddedApiServer({
  kubeconfigPath: kubeconfig, logger: createLogger({ level: 'debug', destination: requestLog, format: 'json' }),
  localNode: { dir: join(dir, 'node'), images: { polecat: image } },
});
const kc = kubeConfigFor(srv.url, srv.token, srv.caData);
const core = kc.makeApiClient(CoreV1Api);
const kube = new KubeClient(kc);
for (const crd of buildCrds()) await kube.create(crdKind, crd);
await core.createNamespace({ body: { metadata: { name: 'polecats' } } });
const execution = (maxPods?: number): Record<string, unknown> => ({
  mode: 'Pod', namespace: 'polecats', proxyURL: 'https://proxy.invalid:9876', pod: { image: 'polecat' }, ...(maxPods === undefined ? {} : { maxPods }),
});
await eventually('rigs served', () => kube.create(RIG_KIND, { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name: 'bench' }, spec: { localPath: join(dir, 'bench'), execution: execution() } }));
await kube.create(RIG_KIND, { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name: 'capped' }, spec: { localPath: join(dir, 'capped'), execution: execution(10) } });

/** Stands in for the operator: the certificate Secret the pod mounts. */
async function secretFor(rig: string, polecat: string): Promise<void> {
  const data = { 'tls.crt': '', 'tls.key': '', 'ca.crt': '' };
  await core.createNamespacedSecret({ namespace: 'polecats', body: { metadata: { name: sessionSecretName(sessionPodName(rig, polecat)) }, data } });
}

interface Pane {
  child: ChildProcessWithoutNullStreams;
  text: () => string;
  bytes: () => number;
  err: () => string;
  /** Forgets the output seen so far (so a marker is looked for in new output only). */
  clear: () => void;
  exited: Promise<number | null>;
}

function watchPane(child: ChildProcessWithoutNullStreams): Pane {
  let text = '';
  let bytes = 0;
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    bytes += d.length;
    // Keep only the tail: the flood is megabytes.
    text = (text + d.toString()).slice(-4096);
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, text: () => text, bytes: () => bytes, err: () => err, clear: () => (text = ''), exited };
}

function wrapper(rig: string, polecat: string): Pane {
  return watchPane(spawn(process.execPath, [MAIN, 'session', '--branch', 'main', '--wait-interval', '200ms', '--', 'agent'], {
    env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir, GT_RIG: rig, GT_POLECAT: polecat },
    stdio: 'pipe',
  }));
}

/** The same agent under the same kind of pseudo-terminal, piped straight to us. */
function direct(): Pane {
  return watchPane(spawn('script', ['-qfec', join(image, 'agent'), '/dev/null'], { stdio: 'pipe', env: { ...process.env, SHELL: '/bin/sh', TERM: 'xterm' } }));
}

const until = (what: string, check: () => boolean, timeoutMs = 60_000): Promise<true> => eventually(what, () => (check() ? true : undefined), timeoutMs, 2);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? NaN;

/** MiB/s of one flood seen in the pane. */
async function flood(pane: Pane, round: number): Promise<number> {
  pane.clear();
  const start = pane.bytes();
  const t0 = performance.now();
  pane.child.stdin.write('flood\n');
  await until('the flood', () => pane.text().includes('END'));
  const seconds = (performance.now() - t0) / 1000;
  // The next flood's END must be a new one.
  pane.child.stdin.write(`ping flood-${round}\n`);
  await until('the flood marker', () => pane.text().includes(`pong flood-${round}`));
  return (pane.bytes() - start) / seconds / (1024 * 1024);
}

/** ms from a line typed into the pane to the agent's answer. */
async function echo(pane: Pane, i: number): Promise<number> {
  const t = performance.now();
  pane.child.stdin.write(`ping ${i}\n`);
  await until(`pong ${i}`, () => pane.text().includes(`pong ${i}\r\n`) || pane.text().includes(`pong ${i}\n`));
  return performance.now() - t;
}

// 1. Stream throughput and echo latency, direct pipe and wrapper interleaved (the machine's
// load changes over a run; interleaving gives both paths the same conditions).
const directPane = direct();
await until('the direct agent', () => directPane.text().includes('agent up'));
await secretFor('bench', 'stream');
const streamPane = wrapper('bench', 'stream');
await until('the wrapper attached', () => streamPane.err().includes('attached to session pod'));
const rates = { pipe: [] as number[], wrapper: [] as number[] };
const echoes = { pipe: [] as number[], wrapper: [] as number[] };
for (let round = 0; round < FLOODS; round++) {
  rates.pipe.push(await flood(directPane, round));
  rates.wrapper.push(await flood(streamPane, round));
}
for (let i = 0; i < PINGS; i++) {
  echoes.pipe.push(await echo(directPane, i));
  echoes.wrapper.push(await echo(streamPane, i));
}
for (const pane of [directPane, streamPane]) {
  pane.child.stdin.write('exit\n');
  await pane.exited;
}
const viaPipe = { mibPerS: median(rates.pipe), echoMedian: median(echoes.pipe), echoP95: p95(echoes.pipe) };
const viaWrapper = { mibPerS: median(rates.wrapper), echoMedian: median(echoes.wrapper), echoP95: p95(echoes.wrapper) };

// 2. API requests per session start: a wrapper that creates the pod, one that attaches to it.
/** Removes one logged request per entry of `mine` (the bench's own calls, not the wrapper's). */
function without(logged: readonly string[], mine: readonly string[]): string[] {
  const left = [...logged];
  for (const m of mine) {
    const at = left.indexOf(m);
    if (at >= 0) left.splice(at, 1);
  }
  return left;
}

/**
 * Stands in for the operator at the capacity gate (the gate's only remover): waits for the
 * wrapper's gated pod and lifts the gate. Returns the requests it made, to leave them out.
 */
async function admitWhenGated(rig: string, polecat: string): Promise<string[]> {
  const name = sessionPodName(rig, polecat);
  const path = `/api/v1/namespaces/polecats/pods/${name}`;
  const made: string[] = [];
  await eventually('the gated pod', async () => {
    made.push(`GET ${path}`);
    const pod = await core.readNamespacedPod({ namespace: 'polecats', name }).catch(() => undefined);
    if (pod?.spec === undefined || (pod.spec.schedulingGates ?? []).length === 0) return undefined;
    made.push(`PUT ${path}`);
    await core.replaceNamespacedPod({ namespace: 'polecats', name, body: { ...pod, spec: { ...pod.spec, schedulingGates: [] } } });
    return true;
  }, 60_000, 50);
  return made;
}

async function countedStart(rig: string, polecat: string, second: boolean, gated = false): Promise<{ first: string[]; second: string[]; secondsToAttach: number }> {
  await secretFor(rig, polecat);
  const before = requests.length;
  const t0 = performance.now();
  const a = wrapper(rig, polecat);
  const standIn = gated ? admitWhenGated(rig, polecat) : Promise.resolve([]);
  await until('attached', () => a.err().includes('attached to session pod'));
  const secondsToAttach = (performance.now() - t0) / 1000;
  const first = without(requests.slice(before), await standIn);
  let again: string[] = [];
  if (second) {
    const mark = requests.length;
    const b = wrapper(rig, polecat);
    await until('the second attached', () => b.err().includes('attached to session pod'));
    again = requests.slice(mark);
    b.child.stdin.write('exit\n');
  }
  a.child.stdin.write('exit\n');
  await a.exited;
  return { first, second: again, secondsToAttach };
}
const plain = await countedStart('bench', 'counted', true);
const capped = await countedStart('capped', 'counted', false, true);

// 3. `gt sling` to the agent's first output in the pane (the simulated gt runs the wrapper).
const town = await makeTown({ rigs: [{ name: 'gastown', prefix: 'gt' }], beadsPerRig: SLINGS + 2 });
await kube.create(RIG_KIND, { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name: 'gastown' }, spec: { localPath: join(town.root, 'gastown'), execution: execution() } });
mkdirSync(join(town.root, 'gastown', 'settings'), { recursive: true });
writeFileSync(join(town.root, 'gastown', 'settings', 'config.json'), JSON.stringify({
  type: 'rig-settings', version: 1,
  runtime: { exec_wrapper: [join(REPO, 'bin', 'gastown-operator'), 'session', '--branch', 'main', '--kubeconfig', kubeconfig, '--wait-interval', '200ms', '--'], command: 'ticker' },
}));
const slingTimes: number[] = [];
const sessions: string[] = [];
for (let i = 0; i < SLINGS; i++) {
  const state = readState(town.root);
  const bead = Object.values(state.beads).find((b) => b.status === 'open' && b.issueType === 'task' && b.id.startsWith('gt-') && !Object.values(state.polecats).some((p) => p.hookBead === b.id));
  if (bead === undefined) break;
  // The name the sim will give the polecat is not known before the sling: Secrets for the pool.
  for (const name of ['furiosa', 'nux', 'slit', 'rictus', 'toast', 'capable']) {
    if ((await core.listNamespacedSecret({ namespace: 'polecats', fieldSelector: `metadata.name=${sessionSecretName(sessionPodName('gastown', name))}` })).items.length === 0) await secretFor('gastown', name);
  }
  const t0 = performance.now();
  const r = await gt(town.root, ['sling', bead.id, 'gastown']);
  if (r.code !== 0) throw new Error(`gt sling: ${r.stderr}`);
  const polecat = Object.values(readState(town.root).polecats).find((p) => p.hookBead === bead.id);
  if (polecat === undefined) throw new Error('no polecat after the sling');
  const session = `gt-${polecat.name}`;
  sessions.push(session);
  await until('the first tick in the pane', () => peekSession(town.root, session, 50).includes('tick '), 90_000);
  slingTimes.push(performance.now() - t0);
}
await Promise.all(sessions.map((s) => endSession(town.root, s, 'now', 5000)));
await eventually('session pods deleted', async () => ((await core.listNamespacedPod({ namespace: 'polecats', labelSelector: 'gastown.gastown.io/rig=gastown' })).items.length === 0 ? true : undefined), 30_000, 100);

town.cleanup();
await srv.close();
rmSync(dir, { recursive: true, force: true });

const table = (calls: string[]): string => {
  const counts = new Map<string, number>();
  for (const c of calls) {
    const key = c.replace(/\/pods\/[^/]+$/, '/pods/<name>').replace(/\/rigs\/[^/]+$/, '/rigs/<name>');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `\`${k}\` ×${n}`).join(', ');
};

const fmt = (n: number, digits = 1): string => n.toFixed(digits);
const signed = (n: number): string => `${n >= 0 ? '+' : '−'}${fmt(Math.abs(n))}`;
const md = `# Session wrapper (gastown-operator session)

\`npm run bench:session\` on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end; ${new Date().toISOString()}.
The embedded API server (HTTPS) with its local node, the wrapper as a child process (as gt runs it), the pane = its stdin/stdout pipes.

## TTY stream: wrapper against a direct pipe

The agent writes ${FLOOD_BYTES / (1024 * 1024)} MiB to its terminal (median of ${FLOODS}); then ${PINGS} lines typed into the pane, each answered by the agent. "Direct": the same agent under the
same pseudo-terminal (\`script\`, what the local node uses for \`tty: true\`) piped straight to the reader.

| path | throughput | echo latency median | p95 |
|---|---|---|---|
| direct pipe | ${fmt(viaPipe.mibPerS)} MiB/s | ${fmt(viaPipe.echoMedian)} ms | ${fmt(viaPipe.echoP95)} ms |
| wrapper (pods/attach, WebSocket) | ${fmt(viaWrapper.mibPerS)} MiB/s | ${fmt(viaWrapper.echoMedian)} ms | ${fmt(viaWrapper.echoP95)} ms |
| wrapper / direct | ${fmt(100 * viaWrapper.mibPerS / viaPipe.mibPerS, 0)} % | ${signed(viaWrapper.echoMedian - viaPipe.echoMedian)} ms | ${signed(viaWrapper.echoP95 - viaPipe.echoP95)} ms |

## Kubernetes API requests per session start (counted at the API server)

| session start | HTTP requests | which | attach streams |
|---|---|---|---|
| first wrapper (creates the pod) | ${plain.first.length} | ${table(plain.first)} | 1 |
| second wrapper (same polecat, attaches) | ${plain.second.length} | ${table(plain.second)} | 1 |
| first wrapper, rig with maxPods (pod created behind the capacity gate; the bench lifts it as the operator would, its own requests not counted) | ${capped.first.length} | ${table(capped.first)} | 1 |

The pod reads are the wrapper polling its pod until the agent runs (100 ms doubling to --wait-interval); time from start to attached: ${fmt(plain.secondsToAttach, 2)} s (process start included).

## \`gt sling\` to the agent's first output in the pane

The simulated gt with the rig's \`runtime.exec_wrapper\` = \`gastown-operator session --branch main --kubeconfig ... --\`: sling, session started by the
sim's supervisor, the wrapper (Node start, Rig read, pod create, local node start, attach), the first line of the agent in the session log (\`gt peek\`).
The agent prints every 20 ms, so output before the attach is not in the pane (attach shows what comes after it, as on a cluster).

| slings | median | min | max |
|---|---|---|---|
| ${slingTimes.length} | ${fmt(median(slingTimes) / 1000, 2)} s | ${fmt(Math.min(...slingTimes) / 1000, 2)} s | ${fmt(Math.max(...slingTimes) / 1000, 2)} s |
`;
mkdirSync(join(REPO, 'bench', 'results'), { recursive: true });
writeFileSync(join(REPO, 'bench', 'results', 'session.md'), md);
process.stdout.write(md);
