// Scale of the whole operator against the simulator, as a user runs it: `gastown-operator run`
// (bin/gastown-operator, so the launcher's allocator settings apply) on the embedded API server,
// with towns of 1 rig, 50 rigs x 10 polecats and 100 rigs x 100 polecats, plus 20 Convoy views
// created through the API like `kubectl apply` would. It measures; it does not assert.
//   - convergence: from the process start until every view (Rigs, discovered Polecats, Convoys)
//     is present with condition Ready=True; settled: until no status changes for a sync cycle
//     after that (a Convoy is Ready when created and its tracking is verified after);
//   - RSS (from /proc) and V8 heap (the operator's /metrics) over time, startup and idle;
//   - gt/bd calls (the simulator's call log) during startup and per idle sync cycle;
//   - status writes while idle (changes seen by a watch; with `--split`, also PATCH requests
//     counted in the API server's request log);
//   - with `--split` the API server runs as its own process (src/apiserver/main.ts) and the
//     operator alone is measured against it, with API requests per view during startup;
//   - kill -9 of the operator and a restart on the same data: time until every view is Ready
//     and no status write follows (settled).
// Run: npm run bench:scale [-- --quick] [-- --towns 1,50x10,100x100] [-- --idle 120]
//      [-- --split] [-- --restart-only] [-- --restart] [-- --cpu-prof DIR] [-- --heap-snapshot DIR] [-- --keep] [-- --operator-flag=--workers=8] [-- --out FILE]
//      -> bench/results/scale-last-run.md (the findings and the before/after figures are kept
//      by hand in bench/results/scale.md)
// The machine's load (uptime) is printed with every figure: timings on a shared machine vary.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { CONVOY_KIND, POLECAT_KIND, RIG_KIND } from '../src/api/kinds.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { Informer } from '../src/runtime/informer.ts';
import { KubeClient, type KubeObject, type ResourceKind } from '../src/runtime/k8s.ts';
import { readCalls } from '../sim/src/control.ts';
import { createTown } from '../sim/src/town.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const LAUNCHER = path.join(ROOT, 'bin', 'gastown-operator');
const CONVOYS = 20;
const SYNC_INTERVAL_S = 10;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    towns: { type: 'string' },
    idle: { type: 'string' },
    split: { type: 'boolean', default: false },
    'restart-only': { type: 'boolean', default: false },
    // The kill -9 restart on every town, not only those of at most 40 polecats.
    restart: { type: 'boolean', default: false },
    'no-restart': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    // Keep each town's directory (the simulator's call log with timestamps, the API server's data).
    keep: { type: 'boolean', default: false },
    // Extra flags for `gastown-operator run`, e.g. --operator-flag=--workers=8 (repeatable).
    'operator-flag': { type: 'string', multiple: true },
    // A V8 heap snapshot of the operator (and with --split, of the API server) at the end of
    // the idle window, written to DIR as <process>-<town>.heapsnapshot.
    'heap-snapshot': { type: 'string' },
    'timeout': { type: 'string' },
    out: { type: 'string' },
  },
});

interface Town { label: string; rigs: number; polecats: number }
function parseTown(spec: string): Town {
  const m = /^(\d+)(?:x(\d+))?$/.exec(spec);
  if (!m) throw new Error(`town spec ${spec}: want N or RxP`);
  const rigs = Number(m[1]);
  const polecats = m[2] === undefined ? 2 : Number(m[2]);
  return { label: `${rigs} x ${polecats}`, rigs, polecats };
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)} load ${load()}] ${msg}\n`);
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) the process itself used so far, from /proc (its gt/bd children not included). */
function cpuOf(pid: number | undefined): number {
  return statCpu(pid, 11);
}

/**
 * CPU seconds of the process's finished children: for the operator, every gt/bd call it made
 * (the simulator's processes, which it spawns and reaps), from /proc cutime + cstime.
 */
function childCpuOf(pid: number | undefined): number {
  return statCpu(pid, 13);
}

/** Two consecutive /proc/<pid>/stat tick counters from `index` (after the command name), in seconds. */
function statCpu(pid: number | undefined, index: number): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[index]) + Number(fields[index + 1])) / 100; // clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

interface V8Memory { used: number; total: number; external: number }

/** V8 heap used and committed (total) and external memory, from the operator's /metrics. */
async function memoryOf(metricsPort: number): Promise<V8Memory | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const out = { used: value('nodejs_heap_size_used_bytes'), total: value('nodejs_heap_size_total_bytes'), external: value('nodejs_external_memory_bytes') };
    return Number.isNaN(out.used) ? undefined : out;
  } catch {
    return undefined;
  }
}

async function heapOf(metricsPort: number): Promise<number | undefined> {
  return (await memoryOf(metricsPort))?.used;
}

/** Reconcile failures by controller and error type (conflicts are requeued through the rate limiter). */
async function reconcileErrors(metricsPort: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    const rows = [...text.matchAll(/^gastown_reconcile_errors_total\{controller="([^"]+)",error_type="([^"]+)"\} (\S+)$/gm)];
    return rows.map((m) => `${m[1]} ${m[2]} ${m[3]}`).join(', ') || 'none';
  } catch {
    return '-';
  }
}

/** Counts API requests in the API server's debug log (one JSON line per request). */
class RequestLog {
  total = 0;
  statusPatches = 0;
  readonly byVerb = new Map<string, number>();
  feed(line: string): void {
    if (!line.includes('"msg":"request"')) return;
    let rec: { method?: string; url?: string };
    try {
      rec = JSON.parse(line) as { method?: string; url?: string };
    } catch {
      return;
    }
    const url = rec.url ?? '';
    // The resource is the last known segment: `/namespaces/default/polecats/x` is a Polecat.
    const segments = [...url.matchAll(/\/(rigs|polecats|convoys|leases|events|namespaces|customresourcedefinitions)\b/g)].map((m) => m[1]);
    const kind = segments.filter((k) => k !== 'namespaces').at(-1) ?? segments[0] ?? 'other';
    const watch = url.includes('watch=true') ? ' watch' : '';
    const status = /\/status(\?|$)/.test(url) ? '/status' : '';
    const label = `${rec.method ?? '?'} ${kind}${status}${watch}`;
    this.total++;
    if (rec.method === 'PATCH' && status) this.statusPatches++;
    this.byVerb.set(label, (this.byVerb.get(label) ?? 0) + 1);
  }
  snapshot(): { total: number; statusPatches: number; byVerb: Map<string, number> } {
    return { total: this.total, statusPatches: this.statusPatches, byVerb: new Map(this.byVerb) };
  }
}

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let buf = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

interface Env {
  dir: string;
  dataDir: string;
  townRoot: string;
  kubeconfig: string;
  apiPort: number;
  metricsPort: number;
  town: Town;
}

async function prepare(town: Town): Promise<Env> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-scale-'));
  const dataDir = path.join(dir, 'data');
  const townRoot = path.join(dataDir, 'sim-town');
  mkdirSync(dataDir, { recursive: true });
  await createTown(townRoot, {
    rigs: Array.from({ length: town.rigs }, (_, i) => ({ name: `rig${i}`, prefix: `r${i}` })),
    polecatsPerRig: town.polecats, beadsPerRig: Math.max(4, town.polecats), convoys: 0,
  });
  return { dir, dataDir, townRoot, kubeconfig: path.join(dataDir, 'kubeconfig'), apiPort: await freePort(), metricsPort: await freePort(), town };
}

interface Procs {
  operator: ChildProcess;
  apiserver?: ChildProcess;
  requests?: RequestLog;
  started: number;
  /** This process's CPU seconds when the operator started. */
  benchCpu0: number;
}

/**
 * Node flags for a measured process (Node refuses --cpu-prof in NODE_OPTIONS: they are passed as
 * arguments); --heapsnapshot-signal writes a snapshot to --diagnostic-dir on SIGUSR2.
 */
function nodeFlags(): string[] {
  return [
    ...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : []),
    ...(args['heap-snapshot'] ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${path.resolve(args['heap-snapshot'])}`] : []),
  ];
}

function startApiServer(env: Env): Promise<{ proc: ChildProcess; requests: RequestLog }> {
  const requests = new RequestLog();
  const proc = spawn(process.execPath, [...nodeFlags(), path.join(ROOT, 'src/apiserver/main.ts'), '--data-dir', path.join(env.dataDir, 'apiserver'),
    '--port', String(env.apiPort), '--kubeconfig', env.kubeconfig, '--log-level', 'debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
  lines(proc.stderr, (l) => requests.feed(l));
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`apiserver exited ${code}`)));
    lines(proc.stdout, () => resolve({ proc, requests }));
  });
}

function startOperator(env: Env, split: boolean): ChildProcess {
  const flags = ['run', '--simulate', '--data-dir', env.dataDir, '--sim-activity', 'off', '--sync-interval', `${SYNC_INTERVAL_S}s`,
    '--metrics-addr', `127.0.0.1:${env.metricsPort}`, '--health-addr', '0', '--log-format', 'json', '--log-level', 'warn',
    ...(split ? ['--kubeconfig', env.kubeconfig, '--install-crds', 'true'] : ['--apiserver-port', String(env.apiPort)]),
    ...(args['operator-flag'] ?? [])];
  // Node flags go through the launcher (GASTOWN_OPERATOR_NODE_ARGS), so its own settings apply too.
  const extra = [process.env.GASTOWN_OPERATOR_NODE_ARGS ?? '', ...nodeFlags()].join(' ').trim();
  const proc = spawn(LAUNCHER, flags, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GASTOWN_OPERATOR_NODE_ARGS: extra } });
  let tail = '';
  lines(proc.stderr, (l) => {
    tail = `${tail}\n${l}`.slice(-4_000);
  });
  proc.once('exit', (code, sig) => {
    if (code !== 0 && sig !== 'SIGKILL' && sig !== 'SIGTERM') log(`operator exited ${code ?? sig}: ${tail}`);
  });
  return proc;
}

async function start(env: Env, split: boolean): Promise<Procs> {
  const started = Date.now();
  const benchCpu0 = benchCpu();
  if (!split) return { operator: startOperator(env, false), started, benchCpu0 };
  const api = await startApiServer(env);
  return { operator: startOperator(env, true), apiserver: api.proc, requests: api.requests, started, benchCpu0 };
}

/** This benchmark process's CPU seconds so far (user + system). */
function benchCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

async function stop(p: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  await Promise.race([exited, sleep(20_000).then(() => p.kill('SIGKILL'))]);
}

/** Watches the three kinds from the bench process: readiness and every change (status writes). */
class Views {
  readonly #informers: Informer<KubeObject>[];
  readonly #abort = new AbortController();
  changes = 0;
  lastChange = 0;
  /** Changes by `Kind path` (status and metadata leaves that differ), for tracing idle writes. */
  readonly changedPaths = new Map<string, number>();

  constructor(client: KubeClient) {
    this.#informers = [RIG_KIND, POLECAT_KIND, CONVOY_KIND].map((kind: ResourceKind) => new Informer<KubeObject>({
      client, kind, logger: silentLogger(), backoff: { initialMs: 200, maxMs: 1_000 },
    }));
    for (const inf of this.#informers) {
      inf.addHandlers({
        update: (before, after) => {
          this.changes++;
          this.lastChange = Date.now();
          for (const leaf of changedLeaves(before, after)) {
            const key = `${after.kind ?? '?'} ${leaf}`;
            this.changedPaths.set(key, (this.changedPaths.get(key) ?? 0) + 1);
          }
        },
        add: () => { this.lastChange = Date.now(); },
      });
      void inf.run(this.#abort.signal);
    }
  }

  counts(): { present: number[]; ready: number[] } {
    const present = this.#informers.map((i) => i.store.list().length);
    const ready = this.#informers.map((i) => i.store.list().filter(isReady).length);
    return { present, ready };
  }

  stop(): void {
    this.#abort.abort();
  }
}

/** Paths of the leaves that differ between two versions (resourceVersion and managedFields ignored). */
function changedLeaves(a: unknown, b: unknown, at = ''): string[] {
  if (at === '.metadata.resourceVersion' || at === '.metadata.managedFields') return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObj(a) || !isObj(b)) return JSON.stringify(a) === JSON.stringify(b) ? [] : [at || '.'];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => changedLeaves(a[k], b[k], `${at}.${Array.isArray(a) ? '[]' : k}`));
}

function isReady(obj: KubeObject): boolean {
  const conditions = (obj as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

async function connect(env: Env, deadline: number): Promise<KubeClient> {
  for (;;) {
    if (existsSync(env.kubeconfig)) {
      const kc = new KubeConfig();
      kc.loadFromFile(env.kubeconfig);
      const client = new KubeClient(kc);
      try {
        for (const kind of [RIG_KIND, POLECAT_KIND, CONVOY_KIND]) await client.list(kind, { limit: 1 });
        return client;
      } catch {
        // not serving yet (or CRDs not installed yet)
      }
    }
    if (Date.now() > deadline) throw new Error('API server never came up');
    await sleep(500);
  }
}

async function createConvoys(client: KubeClient, env: Env): Promise<void> {
  const state = JSON.parse(readFileSync(path.join(env.townRoot, '.sim', 'state.json'), 'utf8')) as { beads: Record<string, { id: string; issueType: string }> };
  const beads = Object.values(state.beads).filter((b) => b.issueType === 'task').map((b) => b.id);
  for (let i = 0; i < CONVOYS; i++) {
    const body = { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Convoy', metadata: { name: `batch-${i}`, namespace: 'default' },
      spec: { description: `batch ${i}`, trackedBeads: [beads[(i * 2) % beads.length]!, beads[(i * 2 + 1) % beads.length]!] } };
    // A busy operator may not even accept a connection in time (its API server shares the
    // event loop): retry until created, up to five times.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.create(CONVOY_KIND, body);
        break;
      } catch (error) {
        if ((error as { code?: number }).code === 409) break;
        if (attempt >= 5) throw error;
        log(`creating Convoy batch-${i} failed (${(error as Error).message}); retrying`);
        await sleep(1_000);
      }
    }
  }
}

interface Sample { t: number; rss: number; apiRss: number; heap: number | undefined; ready: number; present: number }

interface Converged {
  convergedS: number | undefined;
  samples: Sample[];
  startupCalls: number;
  startupByCommand: Map<string, number>;
  errors: string;
  startupRequests: ReturnType<RequestLog['snapshot']> | undefined;
  /** The operator process's CPU seconds from its start until converged. */
  cpuS: number;
  /** CPU seconds of the gt/bd processes (the simulator) the operator ran until converged. */
  gtCpuS: number;
  /** This benchmark process's own CPU seconds until converged (its informers, the Convoy creates). */
  benchCpuS: number;
  /** With --split: the API server process's CPU seconds until converged (0 otherwise: it is in the operator). */
  apiCpuS: number;
  load: string;
}

/** Samples until every expected view is Ready (or the timeout); returns the convergence time. */
async function converge(env: Env, procs: Procs, views: Views, timeoutMs: number): Promise<Converged> {
  const expected = env.town.rigs + env.town.rigs * env.town.polecats + CONVOYS;
  const samples: Sample[] = [];
  let convergedS: number | undefined;
  let lastLog = 0;
  for (;;) {
    const t = (Date.now() - procs.started) / 1000;
    const { present, ready } = views.counts();
    const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
    const heap = samples.length % 5 === 0 ? await heapOf(env.metricsPort) : undefined;
    samples.push({ t, rss: rssOf(procs.operator.pid), apiRss: rssOf(procs.apiserver?.pid), heap, ready: sum(ready), present: sum(present) });
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`t=${t.toFixed(0)}s present ${present.join('/')} ready ${ready.join('/')} of ${expected}; rss ${mb(rssOf(procs.operator.pid))} MB`);
    }
    if (sum(ready) >= expected && sum(present) >= expected) {
      convergedS = t;
      break;
    }
    if (Date.now() - procs.started > timeoutMs || procs.operator.exitCode !== null) break;
    await sleep(1_000);
  }
  const calls = readCalls(env.townRoot);
  const startupByCommand = countByCommand(calls);
  return { convergedS, samples, startupCalls: calls.length, startupByCommand, errors: await reconcileErrors(env.metricsPort), startupRequests: procs.requests?.snapshot(), cpuS: cpuOf(procs.operator.pid), gtCpuS: childCpuOf(procs.operator.pid), benchCpuS: benchCpu() - procs.benchCpu0, apiCpuS: procs.apiserver ? cpuOf(procs.apiserver.pid) : 0, load: load() };
}

interface Idle {
  seconds: number;
  callsPerCycle: number;
  cycles: number;
  writesPerMin: number;
  patchesPerMin: number | undefined;
  requestsPerMin: number | undefined;
  /** Idle API requests by verb and resource (operator alone). */
  idleByVerb: Map<string, number> | undefined;
  /** What the idle status changes changed, by `Kind path`. */
  changedPaths: Map<string, number>;
  /** Idle gt/bd calls by command (first two words that are not flags). */
  callsByCommand: Map<string, number>;
  rss: number[];
  apiRss: number[];
  heap: (number | undefined)[];
  /** V8 heap committed (used plus free pages V8 keeps) and external memory, per sample. */
  heapTotal: (number | undefined)[];
  external: (number | undefined)[];
  /** The operator process's CPU seconds per idle minute. */
  cpuPerMin: number;
  load: string;
}

function countBy(keys: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1);
  return out;
}

/**
 * After convergence: until no view has changed for a sync cycle and a bit (the start-up tail:
 * Convoy tracking verification, requeues). Seconds from the process start to the last change.
 */
async function settle(procs: Procs, views: Views, timeoutMs: number): Promise<number | undefined> {
  const quietMs = SYNC_INTERVAL_S * 1000 + 2_000;
  while (Date.now() - Math.max(views.lastChange, procs.started) < quietMs) {
    if (Date.now() - procs.started > timeoutMs) return undefined;
    await sleep(500);
  }
  return (Math.max(views.lastChange, procs.started) - procs.started) / 1000;
}

async function idle(env: Env, procs: Procs, views: Views, seconds: number): Promise<Idle> {
  // Counted from a settled town (runTown waits for it): the start-up tail is not idle.
  const calls0 = readCalls(env.townRoot).length;
  const cpu0 = cpuOf(procs.operator.pid);
  const writes0 = views.changes;
  views.changedPaths.clear();
  const req0 = procs.requests?.snapshot();
  const rss: number[] = [];
  const apiRss: number[] = [];
  const heap: (number | undefined)[] = [];
  const heapTotal: (number | undefined)[] = [];
  const external: (number | undefined)[] = [];
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    rss.push(rssOf(procs.operator.pid));
    apiRss.push(rssOf(procs.apiserver?.pid));
    const mem = await memoryOf(env.metricsPort);
    heap.push(mem?.used);
    heapTotal.push(mem?.total);
    external.push(mem?.external);
    log(`idle: RSS ${mb(rss.at(-1)!)} MB${procs.apiserver ? ` (API server ${mb(apiRss.at(-1)!)})` : ''}, V8 heap used ${mem ? mb(mem.used) : '-'} of ${mem ? mb(mem.total) : '-'} MB, external ${mem ? mb(mem.external) : '-'} MB`);
    await sleep(Math.min(10_000, seconds * 100));
  }
  const elapsedMin = (Date.now() - t0) / 60_000;
  const calls = readCalls(env.townRoot).slice(calls0);
  const cycles = calls.filter((c) => c.bin === 'gt' && c.args[0] === 'status').length;
  const req1 = procs.requests?.snapshot();
  return {
    seconds, cycles, callsPerCycle: cycles > 0 ? calls.length / cycles : NaN,
    writesPerMin: (views.changes - writes0) / elapsedMin,
    patchesPerMin: req0 && req1 ? (req1.statusPatches - req0.statusPatches) / elapsedMin : undefined,
    requestsPerMin: req0 && req1 ? (req1.total - req0.total) / elapsedMin : undefined,
    idleByVerb: req0 && req1 ? new Map([...req1.byVerb].map(([k, v]) => [k, v - (req0.byVerb.get(k) ?? 0)] as const).filter(([, v]) => v > 0)) : undefined,
    rss, apiRss, heap, heapTotal, external, load: load(),
    cpuPerMin: (cpuOf(procs.operator.pid) - cpu0) / elapsedMin,
    changedPaths: new Map(views.changedPaths),
    callsByCommand: countBy(calls.map((c) => `${c.bin} ${c.args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}`)),
  };
}

/**
 * Sends SIGUSR2 (see nodeFlags) and waits until the snapshot file is complete: it appears,
 * then stops growing for 3 s (V8 writes it on the main thread, in one go). Returns its path.
 */
async function heapSnapshot(proc: ChildProcess, name: string): Promise<string | undefined> {
  const dir = path.resolve(args['heap-snapshot']!);
  const pid = proc.pid;
  if (pid === undefined) return undefined;
  const mine = (): string | undefined => readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && f.includes(`.${pid}.`));
  const before = mine();
  if (before !== undefined) rmSync(path.join(dir, before));
  // The native side next to it: the process's memory map (V8 pages, malloc arenas, libraries).
  try {
    writeFileSync(path.join(dir, `${name}.smaps`), readFileSync(`/proc/${pid}/smaps`, 'utf8'));
  } catch {
    // gone already; the snapshot below reports it
  }
  proc.kill('SIGUSR2');
  const deadline = Date.now() + 300_000;
  let size = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await sleep(1_000);
    const file = mine();
    if (file === undefined) continue;
    const now = statSync(path.join(dir, file)).size;
    if (now !== size) {
      size = now;
      stableSince = Date.now();
    } else if (size > 0 && Date.now() - stableSince >= 3_000) {
      const out = path.join(dir, `${name}.heapsnapshot`);
      renameSync(path.join(dir, file), out);
      log(`heap snapshot ${out} (${mb(size)} MB)`);
      return out;
    }
  }
  log(`heap snapshot of ${name} not complete after 300 s`);
  return undefined;
}

interface Restart {
  views: number;
  readyS: number | undefined;
  settledS: number | undefined;
  /** gt/bd calls from the restart until settled, by command. */
  callsByCommand: Map<string, number>;
  load: string;
}

/** A call log entry as a command label: ids and rig names folded (`gt mq list <rig>`). */
function commandLabel(c: { bin: string; args: readonly string[] }): string {
  return `${c.bin} ${c.args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}`.replace(/ [a-z0-9]+-[0-9a-z]{3,}.*$/, ' <id>').replace(/ rig\d+.*$/, ' <rig>');
}

function countByCommand(calls: readonly { bin: string; args: readonly string[] }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of calls) {
    const label = commandLabel(c);
    out.set(label, (out.get(label) ?? 0) + 1);
  }
  return out;
}

/** kill -9 the operator (and with it the embedded API server), restart on the same data. */
async function restart(env: Env, split: boolean, old: Procs, timeoutMs: number): Promise<{ result: Restart; procs: Procs }> {
  old.operator.kill('SIGKILL');
  await new Promise((r) => (old.operator.exitCode !== null || old.operator.signalCode !== null ? r(undefined) : old.operator.once('exit', r)));
  const started = Date.now();
  const benchCpu0 = benchCpu();
  const procs: Procs = split ? { ...old, operator: startOperator(env, true), started, benchCpu0 } : { operator: startOperator(env, false), started, benchCpu0 };
  const client = await connect(env, started + timeoutMs);
  const views = new Views(client);
  const expected = env.town.rigs + env.town.rigs * env.town.polecats + CONVOYS;
  let readyS: number | undefined;
  try {
    while (Date.now() - started < timeoutMs) {
      const { ready } = views.counts();
      if (readyS === undefined && ready.reduce((a, b) => a + b, 0) >= expected) readyS = (Date.now() - started) / 1000;
      // Settled: every view Ready and no change seen for 10 s (a sync cycle).
      if (readyS !== undefined && Date.now() - Math.max(views.lastChange, started) > 10_000) break;
      await sleep(100);
    }
    const settledS = readyS === undefined ? undefined : (Math.max(views.lastChange, started + readyS * 1000) - started) / 1000;
    const callsByCommand = countByCommand(readCalls(env.townRoot).filter((c) => Date.parse(c.ts) >= started));
    return { result: { views: expected, readyS, settledS, callsByCommand, load: load() }, procs };
  } finally {
    views.stop();
  }
}

interface Result { town: Town; split: boolean; conv: Converged; settledS?: number | undefined; idle?: Idle; restart?: Restart }

async function runTown(town: Town, split: boolean, idleSeconds: number, withRestart: boolean): Promise<Result> {
  const env = await prepare(town);
  log(`town ${town.label}${split ? ' (operator alone, API server in its own process)' : ' (run: embedded API server)'} in ${env.dir}`);
  let procs = await start(env, split);
  const timeoutMs = Number(args.timeout ?? 600) * 1000;
  try {
    const client = await connect(env, procs.started + timeoutMs);
    await createConvoys(client, env);
    const views = new Views(client);
    const conv = await converge(env, procs, views, timeoutMs);
    log(`converged: ${conv.convergedS?.toFixed(1) ?? 'NO'} s`);
    const result: Result = { town, split, conv };
    if (conv.convergedS !== undefined) {
      result.settledS = await settle(procs, views, timeoutMs);
      log(`settled: ${result.settledS?.toFixed(1) ?? 'NO'} s`);
    }
    if (idleSeconds > 0) {
      result.idle = await idle(env, procs, views, idleSeconds);
      log(`idle: ${result.idle.callsPerCycle.toFixed(2)} calls/cycle, ${result.idle.writesPerMin.toFixed(2)} writes/min`);
    }
    if (args['heap-snapshot']) {
      // After the idle samples: taking a snapshot grows the process by about the heap's size.
      const label = `${town.rigs}x${town.polecats}`;
      const metrics = await fetch(`http://127.0.0.1:${env.metricsPort}/metrics`).then((r) => r.text()).catch(() => '');
      writeFileSync(path.join(args['heap-snapshot'], `${split ? 'operator' : 'run'}-${label}.metrics.txt`), metrics);
      await heapSnapshot(procs.operator, `${split ? 'operator' : 'run'}-${label}`);
      if (procs.apiserver) await heapSnapshot(procs.apiserver, `apiserver-${label}`);
    }
    views.stop();
    if (withRestart) {
      const r = await restart(env, split, procs, timeoutMs);
      procs = r.procs;
      result.restart = r.result;
      log(`restart: ready ${r.result.readyS?.toFixed(1) ?? 'NO'} s, settled ${r.result.settledS?.toFixed(1) ?? 'NO'} s`);
    }
    return result;
  } finally {
    await stop(procs.operator);
    await stop(procs.apiserver);
    if (args.keep) log(`kept ${env.dir}`);
    else rmSync(env.dir, { recursive: true, force: true });
  }
}

function series(values: readonly (number | undefined)[]): string {
  const v = values.filter((x): x is number => x !== undefined && x > 0);
  if (v.length === 0) return '-';
  const pick = v.length <= 6 ? v : [0, 1, 2, 3, 4, 5].map((i) => v[Math.round((i * (v.length - 1)) / 5)]!);
  return pick.map(mb).join(' → ');
}

function report(results: Result[]): string {
  const rows: string[] = [];
  for (const r of results) {
    const views = r.town.rigs + r.town.rigs * r.town.polecats + CONVOYS;
    const peak = Math.max(...r.conv.samples.map((s) => s.rss));
    const apiPeak = Math.max(...r.conv.samples.map((s) => s.apiRss));
    const steady = r.idle ? Math.max(...r.idle.rss) : undefined;
    const apiSteady = r.idle ? Math.max(...r.idle.apiRss) : undefined;
    const heap = r.idle ? r.idle.heap.filter((h) => h !== undefined).at(-1) : undefined;
    const req = r.conv.startupRequests;
    rows.push([
      `${r.town.label}${r.split ? ' (operator alone)' : ''}`, String(views),
      r.conv.convergedS === undefined ? 'not converged' : `${r.conv.convergedS.toFixed(1)} s`,
      r.settledS === undefined ? '-' : `${r.settledS.toFixed(1)} s`,
      `${mb(peak)}${r.split ? ` (API server ${mb(apiPeak)})` : ''}`,
      steady === undefined ? '-' : `${mb(steady)}${r.split && apiSteady ? ` (API server ${mb(apiSteady)})` : ''}`,
      r.idle ? series(r.idle.rss) : '-',
      heap === undefined ? '-' : mb(heap),
      String(r.conv.startupCalls),
      req ? `${req.total} (${(req.total / views).toFixed(1)}/view)` : '-',
      r.idle ? r.idle.callsPerCycle.toFixed(2) : '-',
      r.idle ? `${r.idle.writesPerMin.toFixed(1)}${r.idle.patchesPerMin === undefined ? '' : ` (${r.idle.patchesPerMin.toFixed(1)} PATCH)`}` : '-',
      r.restart ? `ready ${r.restart.readyS?.toFixed(1) ?? '-'} s, settled ${r.restart.settledS?.toFixed(1) ?? '-'} s` : '-',
      `${r.conv.load}${r.idle ? ` / ${r.idle.load}` : ''}`,
    ].join(' | '));
  }
  const callDetail = results.map((r) => `- ${r.town.label}${r.split ? ' (operator alone)' : ''}: ${[...r.conv.startupByCommand.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `\`${k}\` ${v}`).join(', ')}`);
  const requestDetail = results.filter((r) => r.conv.startupRequests).map((r) => {
    const entries = [...r.conv.startupRequests!.byVerb.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `\`${k}\` ${v}`).join(', ');
    return `- ${r.town.label}: ${entries}`;
  });
  return [
    `Measured ${new Date().toISOString().slice(0, 16)} (${cpus().length} cores, Node ${process.versions.node}); load = 1/5/15-min load average at the end of convergence / idle.`,
    '',
    '| town | views | all present and Ready | settled (last status change) | peak RSS during startup, MB | steady RSS, MB | idle RSS over time, MB | V8 heap used, MB | gt/bd calls until converged | API requests until converged | gt/bd calls per idle cycle | status changes per idle min | kill -9 restart | load |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
    '', 'gt/bd calls until converged, by command:', ...callDetail,
    '', 'Failed reconciles until converged (controller, error type, count):',
    ...results.map((r) => `- ${r.town.label}${r.split ? ' (operator alone)' : ''}: ${r.conv.errors}`),
    ...(requestDetail.length > 0 ? ['', 'API requests until converged, by verb and resource (operator alone; the bench\'s own requests included: polling until the CRDs are served, 20 Convoy creates, 3 lists and 3 watches):', ...requestDetail] : []),
    ...results.map((r) => `- operator process CPU, ${r.town.label}: ${r.conv.cpuS.toFixed(1)} s until converged${r.idle ? `, ${r.idle.cpuPerMin.toFixed(1)} s per idle minute` : ''}`),
    ...results.map((r) => {
      const c = r.conv;
      const api = c.apiCpuS > 0 ? `, API server ${c.apiCpuS.toFixed(1)} s` : '';
      const floor = (c.cpuS + c.gtCpuS + c.benchCpuS + c.apiCpuS) / cpus().length;
      return `- CPU until converged, ${r.town.label}: operator ${c.cpuS.toFixed(1)} s, its gt/bd calls (the simulator's processes) ${c.gtCpuS.toFixed(1)} s, this benchmark ${c.benchCpuS.toFixed(1)} s${api}: on ${cpus().length} cores at least ${floor.toFixed(1)} s of wall time`;
    }),
    ...results.filter((r) => r.restart !== undefined).map((r) => `- gt/bd calls from the kill -9 restart until settled, ${r.town.label}: ${[...r.restart!.callsByCommand.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `\`${k}\` ${v}`).join(', ')}`),
    ...results.filter((r) => r.idle !== undefined).map((r) => `- idle memory, ${r.town.label}: V8 heap used ${series(r.idle!.heap)} MB, V8 heap committed ${series(r.idle!.heapTotal)} MB, external ${series(r.idle!.external)} MB`),
    ...results.filter((r) => r.idle !== undefined).map((r) => `- idle gt/bd calls, ${r.town.label}: ${[...r.idle!.callsByCommand.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `\`${k}\` ${v}`).join(', ')} over ${r.idle!.cycles} cycles`),
    ...results.filter((r) => (r.idle?.changedPaths.size ?? 0) > 0).map((r) => `- idle changes, ${r.town.label}: ${[...r.idle!.changedPaths.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `\`${k}\` ${v}`).join(', ')} over ${r.idle!.seconds} s`),
    ...results.filter((r) => r.idle?.idleByVerb).map((r) => `- idle, ${r.town.label}: ${[...r.idle!.idleByVerb!.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `\`${k}\` ${v}`).join(', ')} over ${r.idle!.seconds} s`),
    '',
  ].join('\n');
}

// 2 x 20 is the issue's restart case: 40 polecat and 20 convoy views (and 2 rigs).
if (args['heap-snapshot']) mkdirSync(args['heap-snapshot'], { recursive: true });
const towns = (args.towns ?? (args.quick ? '2x20,50x10' : '1,2x20,50x10,100x100')).split(',').map(parseTown);
const idleSeconds = Number(args.idle ?? (args.quick ? 60 : 120));
const results: Result[] = [];
for (const town of towns) {
  const small = town.rigs * town.polecats <= 40;
  if (args['restart-only'] && !small) continue;
  results.push(await runTown(town, args.split, args['restart-only'] ? 0 : idleSeconds, !args['no-restart'] && (small || args.restart)));
}
const text = report(results);
process.stdout.write(text);
writeFileSync(args.out ?? path.join(import.meta.dirname, 'results', 'scale-last-run.md'), `# bench:scale, last run\n\n${text}`);
