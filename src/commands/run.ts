// `gastown-operator run`: flags -> OperatorConfig -> startOperator, the start-up summary a
// person reads (which API server, which town, the kubectl line to use), and signal handling:
// SIGTERM/SIGINT drain and exit 0; a second signal exits at once with 1.
import { homedir } from 'node:os';
import path from 'node:path';
import { createLogger, type LogFormat, type LogLevel } from '../observability/logger.ts';
import type { OperatorConfig } from '../operator/config.ts';
import { startOperator, type RunningOperator } from '../operator/index.ts';
import { selectTown, TownSelectError } from '../town/select.ts';
import { ensureSimulatedTown, NotASimulatedTownError, SIM_BANNER } from '../town/simulated.ts';

export interface RunFlags {
  townRoot?: string;
  gtPath?: string;
  bdPath?: string;
  simulate: boolean;
  simulator: boolean;
  simActivity: number;
  kubeconfig?: string;
  embedded: boolean;
  localNode: boolean;
  localNodeImage: Record<string, string>;
  dataDir?: string;
  apiserverHost: string;
  apiserverPort: number;
  installCrds: 'auto' | 'true' | 'false';
  namespace: string;
  watchNamespace?: string;
  syncInterval: number;
  gtTimeout: number;
  gtConcurrency: number;
  stuckThreshold: number;
  escalationAddress: string;
  escalationRepeat: number;
  escalationMaxInterval: number;
  escalationMaxMails: number;
  workers: number;
  podExecution: boolean;
  podNamespace?: string;
  proxyCheckInterval: number;
  proxyRetryMax: number;
  metricsAddr: string;
  healthAddr: string;
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId: string;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
  shutdownTimeout: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

export async function runOperatorCommand(flags: RunFlags): Promise<number> {
  const logger = createLogger({ level: flags.logLevel, format: flags.logFormat });
  const home = process.env.HOME ?? homedir();
  const dataDir = path.resolve(flags.dataDir ?? path.join(home, '.gastown-operator'));
  let config: OperatorConfig;
  try {
    const town = selectTown({
      gtPath: flags.gtPath, bdPath: flags.bdPath, townRoot: flags.townRoot,
      simulate: flags.simulate, allowSimulator: flags.simulator, simTownRoot: path.join(dataDir, 'sim-town'),
    });
    if (town.simulated) {
      process.stderr.write(`${SIM_BANNER}\n(${town.reason}; town: ${town.townRoot})\n\n`);
      if (await ensureSimulatedTown(town.townRoot)) logger.info({ townRoot: town.townRoot }, 'created a simulated town');
    }
    config = toConfig(flags, town, dataDir, logger);
  } catch (error) {
    if (error instanceof TownSelectError || error instanceof NotASimulatedTownError) {
      process.stderr.write(`gastown-operator run: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const operator = await startOperator(config);
  printSummary(operator, config);
  return waitForSignal(operator, logger);
}

function toConfig(flags: RunFlags, town: OperatorConfig['town'], dataDir: string, logger: OperatorConfig['logger']): OperatorConfig {
  return {
    town,
    simActivityMs: flags.simActivity,
    ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }),
    embedded: {
      force: flags.embedded, dataDir, host: flags.apiserverHost, port: flags.apiserverPort,
      ...(flags.localNode ? { localNode: { images: flags.localNodeImage } } : {}),
    },
    installCrds: flags.installCrds === 'auto' ? 'auto' : flags.installCrds === 'true',
    discoveryNamespace: flags.namespace,
    ...(flags.watchNamespace === undefined ? {} : { watchNamespace: flags.watchNamespace }),
    syncIntervalMs: flags.syncInterval,
    gtTimeoutMs: flags.gtTimeout,
    gtConcurrency: flags.gtConcurrency,
    stuckThresholdMs: flags.stuckThreshold,
    escalationAddress: flags.escalationAddress,
    escalationRepeatMs: flags.escalationRepeat,
    escalationMaxIntervalMs: flags.escalationMaxInterval,
    escalationMaxMails: flags.escalationMaxMails,
    workers: flags.workers,
    metricsAddr: flags.metricsAddr,
    healthAddr: flags.healthAddr,
    leaderElection: {
      enabled: flags.leaderElect,
      namespace: flags.leaderElectionNamespace ?? process.env.POD_NAMESPACE ?? flags.namespace,
      name: flags.leaderElectionId,
      leaseDurationMs: flags.leaseDuration,
      renewDeadlineMs: flags.renewDeadline,
      retryPeriodMs: flags.retryPeriod,
    },
    shutdownTimeoutMs: flags.shutdownTimeout,
    ...(flags.podExecution ? { podExecution: { namespace: flags.podNamespace ?? flags.namespace, proxyCheckIntervalMs: flags.proxyCheckInterval, proxyRetryMaxMs: flags.proxyRetryMax } } : {}),
    logger,
  };
}

function printSummary(operator: RunningOperator, config: OperatorConfig): void {
  const lines = [
    'gastown-operator is running',
    `  API server: ${operator.apiServer}`,
    `  town:       ${config.town.townRoot}${config.town.simulated ? '  (SIMULATED)' : ''} — gt: ${config.town.gtPath}`,
  ];
  if (operator.kubeconfigPath !== undefined) {
    lines.push(`  kubectl:    export KUBECONFIG=${operator.kubeconfigPath}`);
    lines.push(`              kubectl --kubeconfig ${operator.kubeconfigPath} get gastown -A`);
  }
  if (operator.metricsUrl !== undefined) lines.push(`  metrics:    ${operator.metricsUrl}/metrics`);
  if (operator.healthUrl !== undefined) lines.push(`  health:     ${operator.healthUrl}/healthz  ${operator.healthUrl}/readyz`);
  lines.push('  stop:       Ctrl-C (SIGINT) or SIGTERM drains in-flight work, then exits', '');
  process.stderr.write(`${lines.join('\n')}\n`);
}

function waitForSignal(operator: RunningOperator, logger: OperatorConfig['logger']): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without draining');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      operator.stop().then((drained) => {
        logger.info({ drained }, 'stopped');
        resolve(0);
      }, (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        resolve(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
