// Test bed of the Polecat and Convoy controller integration tests: the embedded API server
// with the gastown CRDs installed, a simulated town driven through the real GtClient and the
// sim/bin executables, the real town observer (town sync's TownView), the runtime's status
// writer and finalizer helper. Reconciles are called directly, each on the object as the API
// server has it now (what an up-to-date informer cache would hold), so a test controls
// exactly when a reconcile runs and when the "operator" restarts (a new reconciler).
// `useBed` gives a describe block its bed (started before, closed after its tests);
// `polecatReconciler`/`convoyReconciler` build one operator process's reconciler on it,
// `discoveryOn` town sync's discovery, `createPolecat`/`slungView` the views tests start from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { buildCrds, type ConvoyStatus, type Polecat, type PolecatInput, type PolecatStatus } from '../../../src/api/index.ts';
import { CONVOY_KIND, POLECAT_KIND } from '../../../src/api/kinds.ts';
import { ConvoyReconciler, type ConvoyReconcilerDeps } from '../../../src/controllers/convoy/reconcile.ts';
import { PolecatReconciler, type PolecatReconcilerDeps } from '../../../src/controllers/polecat/reconcile.ts';
import { PolecatDiscovery, type DiscoveryResult } from '../../../src/controllers/town-sync/discovery.ts';
import { TownObserver } from '../../../src/controllers/town-sync/observer.ts';
import type { TownSnapshot } from '../../../src/controllers/town-sync/snapshot.ts';
import { createGtClient, type GtClient } from '../../../src/gt/index.ts';
import { crdKind } from '../../../src/runtime/crd-watch.ts';
import { KubeClient, refFromKey, type KubeObject, type ResourceKind } from '../../../src/runtime/k8s.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import { StatusWriter, type WithStatus } from '../../../src/runtime/status.ts';
import * as control from '../../../sim/src/control.ts';
import { readCalls, type CallRecord } from '../../../sim/src/control.ts';
import { createTown, type CreateTownOptions } from '../../../sim/src/town.ts';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';
import { eventually } from '../../helpers/eventually.ts';

const repo = path.resolve(import.meta.dirname, '../../..');

/** The namespace the views live in. */
export const NS = 'default';

export interface RecordedEvent {
  readonly object: string;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface Bed {
  readonly api: TestApiServer;
  readonly kube: KubeClient;
  readonly root: string;
  readonly gt: GtClient;
  readonly observer: TownObserver;
  readonly events: RecordedEvent[];
  /** The object as the API server has it now. */
  fetch<T extends KubeObject>(kind: ResourceKind, key: string): Promise<T | undefined>;
  /** gt/bd calls the simulator logged whose argv starts with `prefix`. */
  calls(...prefix: string[]): CallRecord[];
  close(): Promise<void>;
}

/** `town` overrides the simulated town's shape (default: no polecats, no convoys). */
async function startBed(town: CreateTownOptions = {}): Promise<Bed> {
  const api = await startTestApiServer();
  const kube = new KubeClient(api.kubeConfig);
  for (const crd of buildCrds()) await kube.create(crdKind, crd);
  const dir = mkdtempSync(path.join(tmpdir(), 'gt-ctl-'));
  const root = path.join(dir, 'town');
  await createTown(root, { seed: 11, polecatsPerRig: 0, convoys: 0, ...town });
  const gt = createGtClient({ gtPath: path.join(repo, 'sim/bin/gt'), bdPath: path.join(repo, 'sim/bin/bd'), townRoot: root });
  const observer = new TownObserver({ client: gt, townRoot: root, intervalMs: 30_000 });
  const stop = new AbortController();
  const running = observer.run(stop.signal);
  await observer.syncNow('test start');
  const events: RecordedEvent[] = [];
  return {
    api,
    kube,
    root,
    gt,
    observer,
    events,
    fetch: <T extends KubeObject>(kind: ResourceKind, key: string) => kube.get<T>(kind, refFromKey(key)),
    calls: (...prefix: string[]) => readCalls(root).filter((c) => prefix.every((p, i) => c.args[i] === p)),
    close: async () => {
      stop.abort();
      await running;
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The bed of the enclosing describe block: started (and `kind` served) in its before hook,
 * closed in its after hook. The returned Bed forwards to it, so it is usable in tests and
 * hooks, not while the block is being declared.
 */
export function useBed(kind: ResourceKind, town: CreateTownOptions = {}): Bed {
  let started: Bed | undefined;
  const bed = (): Bed => {
    if (started === undefined) throw new Error('the bed is used before its before hook ran');
    return started;
  };
  before(async () => {
    started = await startBed(town);
    await served(started.kube, kind, NS);
  });
  after(async () => {
    await started?.close();
  });
  return {
    get api() { return bed().api; },
    get kube() { return bed().kube; },
    get root() { return bed().root; },
    get gt() { return bed().gt; },
    get observer() { return bed().observer; },
    get events() { return bed().events; },
    fetch: <T extends KubeObject>(k: ResourceKind, key: string) => bed().fetch<T>(k, key),
    calls: (...prefix: string[]) => bed().calls(...prefix),
    close: () => bed().close(),
  };
}

/** A reconciler as one operator process runs it. */
export interface TestReconciler {
  /**
   * One reconcile on the object as the API server has it now (what an up-to-date informer
   * cache holds), after a fresh town read unless `sync` is false (then on the last read).
   */
  readonly reconcile: (key: string, sync?: boolean) => Promise<unknown>;
}

function onFreshReads(bed: Bed, kind: ResourceKind, make: (get: (key: string) => KubeObject | undefined) => { reconcile(key: string): Promise<unknown> }): TestReconciler {
  const cache = new Map<string, KubeObject>();
  let r: { reconcile(key: string): Promise<unknown> } | undefined;
  return {
    reconcile: async (key, sync = true) => {
      // Built at the first reconcile: a reconciler may be declared before the bed has started.
      r ??= make((k) => cache.get(k));
      if (sync) await bed.observer.syncNow('test');
      const obj = await bed.fetch(kind, key);
      if (obj) cache.set(key, obj);
      else cache.delete(key);
      return r.reconcile(key);
    },
  };
}

/** A Polecat reconciler on the bed: the real status writer, the bed's event sink, the real clock unless overridden. */
export function polecatReconciler(bed: Bed, deps: Partial<Omit<PolecatReconcilerDeps, 'get'>> = {}): TestReconciler {
  return onFreshReads(bed, POLECAT_KIND, (get) => new PolecatReconciler({
    gt: bed.gt, town: bed.observer, kube: bed.kube, kind: POLECAT_KIND, clock: realClock, events: eventSink(bed.events),
    status: new StatusWriter<PolecatStatus>({ client: bed.kube, kind: POLECAT_KIND }),
    ...deps, get,
  }));
}

/** A Convoy reconciler on the bed, with the same defaults. */
export function convoyReconciler(bed: Bed, deps: Partial<Omit<ConvoyReconcilerDeps, 'get'>> = {}): TestReconciler {
  return onFreshReads(bed, CONVOY_KIND, (get) => new ConvoyReconciler({
    gt: bed.gt, town: bed.observer, clock: realClock, events: eventSink(bed.events),
    status: new StatusWriter<ConvoyStatus>({ client: bed.kube, kind: CONVOY_KIND }),
    ...deps, get,
  }));
}

/** Creates a Polecat view in NS; returns its key. */
export async function createPolecat(bed: Bed, name: string, spec: PolecatInput['spec'], meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Promise<string> {
  await bed.kube.create(POLECAT_KIND, { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Polecat', metadata: { name, namespace: NS, ...meta }, spec });
  return `${NS}/${name}`;
}

/** A Working view of a new bead of rig gastown, reconciled once by `r` (slung): its key, bead and gt polecat. */
export async function slungView(bed: Bed, r: TestReconciler, name: string, title: string): Promise<{ key: string; bead: string; gtName: string }> {
  const bead = await control.addBead(bed.root, { rig: 'gastown', title });
  const key = await createPolecat(bed, name, { rig: 'gastown', desiredState: 'Working', beadID: bead });
  await r.reconcile(key);
  const gtName = (await bed.fetch<Polecat>(POLECAT_KIND, key))?.status?.gtName;
  if (gtName === undefined) throw new Error(`${key} was not slung`);
  return { key, bead, gtName };
}

/** Town sync's Polecat discovery on the bed, each run on the Polecats as the API server has them now. */
export function discoveryOn(bed: Bed): { sync(snapshot: TownSnapshot): Promise<DiscoveryResult>; run(reason: string): Promise<DiscoveryResult> } {
  let cached: readonly KubeObject[] = [];
  let discovery: PolecatDiscovery | undefined;
  const sync = async (snapshot: TownSnapshot): Promise<DiscoveryResult> => {
    cached = (await bed.kube.list<KubeObject>(POLECAT_KIND, {})).items;
    discovery ??= new PolecatDiscovery({ client: bed.kube, listPolecats: () => cached, namespace: NS });
    return discovery.sync(snapshot);
  };
  return { sync, run: async (reason) => sync(await bed.observer.syncNow(reason)) };
}

/** Waits until the API server serves `kind` (CRDs are established asynchronously). */
async function served(kube: KubeClient, kind: ResourceKind, namespace = 'default'): Promise<void> {
  await eventually(`${kind.plural} to be served`, async () => (await kube.list(kind, { namespace }), true), 10_000);
}

/** An event sink that keeps what a controller recorded. */
function eventSink(events: RecordedEvent[]): { event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void } {
  return {
    event(obj, type, reason, message) {
      events.push({ object: `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`, type, reason, message });
    },
  };
}

/**
 * A status writer that loses its first `drop` writes, as if the operator crashed right after
 * acting on gt and before its status write reached the API server.
 */
export function droppingWriter<S extends object>(kube: KubeClient, kind: ResourceKind, drop: number): { write<T extends WithStatus<S>>(obj: T, status: S): Promise<T | undefined>; dropped(): number } {
  const real = new StatusWriter<S>({ client: kube, kind });
  let dropped = 0;
  return {
    write: async <T extends WithStatus<S>>(obj: T, status: S) => {
      if (dropped < drop) {
        dropped += 1;
        return undefined;
      }
      return real.write(obj, status);
    },
    dropped: () => dropped,
  };
}
