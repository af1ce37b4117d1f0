// The operator's composition root, in controller-runtime's order: gt client and metrics, the
// API server (a cluster, or the embedded one), CRDs, the manager with its caches and leader
// election, the three controllers, town sync as a leader-only task whose changes enqueue
// exactly the affected views, then the health and metrics endpoints. stop() undoes it in
// reverse: drain the controllers, release the lease, close the servers.
import path from 'node:path';
import { decodeRig, gtRigName, type ConvoyStatus, type PolecatStatus, type RigStatus } from '../api/index.ts';
import { CONVOY_KIND, POLECAT_KIND, RIG_KIND } from '../api/kinds.ts';
import { CONVOY_CONTROLLER_NAME, convoyKeysForChange, createConvoyController } from '../controllers/convoy/controller.ts';
import { createPolecatController, POLECAT_CONTROLLER_NAME, polecatKeysForChange } from '../controllers/polecat/controller.ts';
import { DEFAULT_POLECAT_CONFIG } from '../controllers/polecat/decide.ts';
import { EscalationOutbox } from '../controllers/polecat/escalation-outbox.ts';
import { createRigController, RIG_CONTROLLER_NAME, rigKeysForChange } from '../controllers/rig/controller.ts';
import { RigMerges } from '../controllers/rig/merges.ts';
import { createSessionController, selectSessionObjects, SESSION_CONTROLLER_NAME, sessionKeysForChange } from '../controllers/session/controller.ts';
import { NETWORK_POLICY_KIND, POD_KIND, SECRET_KIND } from '../controllers/session/pod-state.ts';
import { httpProxyAdmin } from '../controllers/session/proxy-admin.ts';
import { TownSync } from '../controllers/town-sync/index.ts';
import { EVENT_LOG_FILE } from '../controllers/town-sync/event-log.ts';
import type { GtClient } from '../gt/index.ts';
import { createGtClient } from '../gt/index.ts';
import { startHealthServer } from '../observability/health.ts';
import type { RunningServer } from '../observability/http-listen.ts';
import { createMetrics, type OperatorMetrics } from '../observability/metrics.ts';
import { startMetricsServer } from '../observability/metrics-server.ts';
import { realClock } from '../runtime/clock.ts';
import { closeConnections } from '../runtime/connections.ts';
import { EventRecorder } from '../runtime/events.ts';
import { KubeClient, type KubeObject, type ResourceKind } from '../runtime/k8s.ts';
import { Manager } from '../runtime/manager.ts';
import { lastFailureReporter, StatusWriter, type WithStatus } from '../runtime/status.ts';
import type { OperatorConfig } from './config.ts';
import { checkApiServer, connectKube, installCrds, type KubeConnection } from './kube.ts';
import { polecatKeysForSession, sessionLookup } from './sessions.ts';
import { pushedPolecatBranches } from '../execution/pushed-branches.ts';
import { ensureSimulatedRigViews } from './sim-views.ts';
import { runSimulatedActivity } from './sim-activity.ts';
import { ViewMetrics } from './view-metrics.ts';

export interface RunningOperator {
  readonly apiServer: string;
  /** kubectl --kubeconfig this (set when the embedded API server runs). */
  readonly kubeconfigPath?: string;
  readonly metricsUrl?: string;
  readonly healthUrl?: string;
  readonly manager: Manager;
  readonly townSync: TownSync;
  readonly gt: GtClient;
  readonly metrics: OperatorMetrics;
  /** Graceful stop: drain, release the lease, close servers. Resolves true when drained. */
  stop(): Promise<boolean>;
}

export async function startOperator(config: OperatorConfig): Promise<RunningOperator> {
  const log = config.logger;
  const metrics = createMetrics();
  const { town } = config;
  const gt = createGtClient({
    gtPath: town.gtPath, bdPath: town.bdPath, townRoot: town.townRoot,
    timeoutMs: config.gtTimeoutMs, concurrency: config.gtConcurrency,
    logger: log, onCall: metrics.recordGtCall,
  });
  metrics.observeBreaker(() => gt.breakerState());

  const kube = await connectKube(config, log);
  // In the background: a cluster that is down is retried, not a reason to refuse to start.
  void checkApiServer(kube, log);
  const servers: RunningServer[] = [];
  try {
    const client = new KubeClient(kube.kubeConfig);
    if (config.installCrds === true || (config.installCrds === 'auto' && kube.embedded)) await installCrds(client, log);
    const manager = buildManager(config, client);
    const townSync = wire(config, kube, client, manager, gt, metrics);
    manager.start();

    const health = await startHealthServer({ addr: config.healthAddr, ready: () => readiness(manager), logger: log });
    const metricsServer = await startMetricsServer({ addr: config.metricsAddr, registry: metrics.registry, logger: log });
    for (const s of [health, metricsServer]) if (s) servers.push(s);
    return {
      apiServer: kube.source,
      ...(kube.kubeconfigPath === undefined ? {} : { kubeconfigPath: kube.kubeconfigPath }),
      ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
      ...(health ? { healthUrl: health.url } : {}),
      manager, townSync, gt, metrics,
      stop: async () => {
        const { drained } = await manager.stop(config.shutdownTimeoutMs);
        await closeAll(servers, kube);
        return drained;
      },
    };
  } catch (error) {
    await closeAll(servers, kube);
    throw error;
  }
}

function buildManager(config: OperatorConfig, client: KubeClient): Manager {
  const le = config.leaderElection;
  return new Manager({
    client,
    logger: config.logger,
    shutdownDeadlineMs: config.shutdownTimeoutMs,
    ...(config.watchNamespace === undefined ? {} : { namespace: config.watchNamespace }),
    ...(le.enabled ? {
      leaderElection: {
        namespace: le.namespace, name: le.name,
        leaseDurationMs: le.leaseDurationMs, renewDeadlineMs: le.renewDeadlineMs, retryPeriodMs: le.retryPeriodMs,
      },
    } : {}),
  });
}

/** Controllers, town sync and the glue between them; returns the town sync. */
function wire(config: OperatorConfig, kube: KubeConnection, client: KubeClient, manager: Manager, gt: GtClient, metrics: OperatorMetrics): TownSync {
  const log = config.logger;
  const clock = realClock;
  const cache = manager.cache;
  const get = <S>(kind: ResourceKind) => (key: string): WithStatus<S> | undefined => cache.get<WithStatus<S>>(kind, key);
  const exists = (kind: ResourceKind) => (key: string): boolean => cache.get(kind, key) !== undefined;
  const events = new EventRecorder({ kubeConfig: kube.kubeConfig, component: 'gastown-operator', logger: log });
  const views = new ViewMetrics(metrics);
  const reporter = (kind: ResourceKind) => lastFailureReporter({ client, kind, get: get<{ lastFailure?: never }>(kind) });
  const common = { onReconcile: metrics.recordReconcile, workers: config.workers };

  const townSync = new TownSync({
    gt, townRoot: config.town.townRoot, kube: client,
    listPolecats: () => cache.list(POLECAT_KIND),
    discoveryNamespace: config.discoveryNamespace,
    observer: { intervalMs: config.syncIntervalMs },
    logger: log,
  });
  const town = townSync.observer;

  const rigName = (obj: KubeObject): string => {
    const decoded = decodeRig(obj);
    return decoded.ok ? gtRigName(decoded.value) : (obj.metadata?.name ?? '');
  };
  manager.add(createRigController({
    get: get<RigStatus>(RIG_KIND), town, clock, events,
    // One scheduled merge read per sync cycle town-wide (merges.ts: the idle cost stays O(1)).
    merges: new RigMerges({ client: gt, metrics, clock, logger: log, scheduledSpacingMs: config.syncIntervalMs }),
    status: views.rigSink(new StatusWriter<RigStatus>({ client, kind: RIG_KIND }), rigName, exists(RIG_KIND)),
  }, { ...common, failureReporter: reporter(RIG_KIND) }).definition);
  const escalation = {
    ...DEFAULT_POLECAT_CONFIG.escalation,
    stuckAfterMs: config.stuckThresholdMs,
    address: config.escalationAddress,
    baseDelayMs: config.escalationRepeatMs,
    maxDelayMs: config.escalationMaxIntervalMs,
    maxMails: config.escalationMaxMails,
  };
  // One outbox for the process: it batches the rig's escalation mails across reconciles.
  const outbox = new EscalationOutbox({
    gt, clock, windowMs: escalation.batchWindowMs, logger: log,
    eventLogPath: path.join(config.town.townRoot, EVENT_LOG_FILE),
    onSettled: (keys) => manager.enqueue(POLECAT_CONTROLLER_NAME, keys),
  });
  const pods = config.podExecution;
  if (pods !== undefined) selectSessionObjects(cache, pods.namespace);
  const polecatController = createPolecatController({
    gt, town, kube: client, clock, events, logger: log, outbox,
    ...(pods === undefined ? {} : {
      sessions: sessionLookup(cache, pods),
      pushedBranches: (rig: string, name: string) => pushedPolecatBranches(config.town.townRoot, rig, name),
    }),
    get: get<PolecatStatus>(POLECAT_KIND),
    status: views.polecatSink(new StatusWriter<PolecatStatus>({ client, kind: POLECAT_KIND }), exists(POLECAT_KIND)),
    config: { ...DEFAULT_POLECAT_CONFIG, escalation },
  }, { ...common, failureReporter: reporter(POLECAT_KIND) });
  manager.add(pods === undefined ? polecatController.definition : {
    ...polecatController.definition,
    watches: [POD_KIND, SECRET_KIND].map((kind) => ({ kind, mapToKeys: (obj: KubeObject) => polecatKeysForSession(obj, cache.list(POLECAT_KIND), kind === POD_KIND ? cache.list(POD_KIND) : []) })),
  });
  if (pods !== undefined) {
    manager.add(createSessionController({
      kube: client, town, clock, events, logger: log, proxy: httpProxyAdmin,
      getRig: get<RigStatus>(RIG_KIND),
      pods: () => cache.list(POD_KIND), secrets: () => cache.list(SECRET_KIND), policies: () => cache.list(NETWORK_POLICY_KIND),
      status: new StatusWriter<RigStatus>({ client, kind: RIG_KIND }),
      defaultNamespace: pods.namespace,
      ...(pods.certificateTTL === undefined ? {} : { certificateTTL: pods.certificateTTL }),
      ...(pods.proxyRetryMaxMs === undefined ? {} : { proxyRetryMaxMs: pods.proxyRetryMaxMs }),
      ...(pods.proxyCheckIntervalMs === undefined ? {} : { proxyCheckIntervalMs: pods.proxyCheckIntervalMs }),
    }, () => cache.list(RIG_KIND), { onReconcile: metrics.recordReconcile }).definition);
  }
  manager.add(createConvoyController({
    gt, town, clock, events, logger: log,
    get: get<ConvoyStatus>(CONVOY_KIND),
    status: views.convoySink(new StatusWriter<ConvoyStatus>({ client, kind: CONVOY_KIND }), exists(CONVOY_KIND)),
  }, { ...common, failureReporter: reporter(CONVOY_KIND) }).definition);

  // Town changes enqueue only the views they affect; an unreadable town enqueues them all.
  town.onChange((change) => {
    manager.enqueue(RIG_CONTROLLER_NAME, rigKeysForChange(change, cache.list(RIG_KIND)));
    manager.enqueue(POLECAT_CONTROLLER_NAME, polecatKeysForChange(change, cache.list(POLECAT_KIND)));
    manager.enqueue(CONVOY_CONTROLLER_NAME, convoyKeysForChange(change, cache.list(CONVOY_KIND)));
    if (pods !== undefined) manager.enqueue(SESSION_CONTROLLER_NAME, sessionKeysForChange(change, cache.list(RIG_KIND)));
  });
  town.onSnapshot(() => views.sweep());

  manager.addRunnable({ name: 'town-sync', needs: [POLECAT_KIND], run: (signal) => townSync.run(signal) });
  if (config.town.simulated) {
    manager.addRunnable({ name: 'simulated-rig-views', needs: [RIG_KIND], run: (signal) => ensureSimulatedRigViews(client, config.town.townRoot, log, signal) });
    if (config.simActivityMs > 0) {
      manager.addRunnable({ name: 'simulated-activity', run: (signal) => runSimulatedActivity(config.town.townRoot, config.simActivityMs, signal, log) });
    }
  }
  return townSync;
}

function readiness(manager: Manager): { ready: boolean; reasons: string[] } {
  if (manager.ready()) return { ready: true, reasons: [] };
  const missing = manager.missingKinds().map((k) => `CRD for ${k.plural}.${k.group} is not installed`);
  return { ready: false, reasons: missing.length > 0 ? missing : ['caches not synced yet'] };
}

async function closeAll(servers: readonly RunningServer[], kube: KubeConnection): Promise<void> {
  await Promise.allSettled(servers.map((s) => s.close()));
  await closeConnections(kube.kubeConfig);
  await kube.embedded?.close();
}
