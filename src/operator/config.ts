// The operator's settings after flag and environment parsing: one plain object, so the
// composition root (index.ts) can be started from the CLI, from tests and from benchmarks alike.
import type { Logger } from '../observability/logger.ts';
import type { TownSelection } from '../town/select.ts';

export interface EmbeddedApiServerConfig {
  /** Start the embedded API server even when a kubeconfig is found. */
  readonly force: boolean;
  /** Data directory (SQLite, token, certificate, kubeconfig). */
  readonly dataDir: string;
  readonly host: string;
  /** 0 picks a free port; the kubeconfig names the one chosen. */
  readonly port: number;
  /** Run the local node (pods as host processes, no isolation); image name -> PATH directory. */
  readonly localNode?: { readonly images: Readonly<Record<string, string>> };
}

/** Pod execution (docs/pod-execution.md): the session controller and the Polecat views of session pods. */
export interface PodExecutionConfig {
  /** Namespace of session pods, Secrets and NetworkPolicies (the operator's Role is there). */
  readonly namespace: string;
  /** Lifetime asked for each polecat certificate (Go duration); default 720h. */
  readonly certificateTTL?: string;
  /** Cap of the retry backoff while the proxy admin API is down; default 30 s. */
  readonly proxyRetryMaxMs?: number;
  /** How often the proxy's server certificate is read to notice a restart or a new CA; default 30 s. */
  readonly proxyCheckIntervalMs?: number;
}

export interface OperatorConfig {
  readonly town: TownSelection;
  /** Scripted activity in a simulated town (ms between steps); 0 = none. */
  readonly simActivityMs: number;
  /** --kubeconfig; undefined = KUBECONFIG, in-cluster, ~/.kube/config, else embedded. */
  readonly kubeconfig?: string;
  readonly embedded: EmbeddedApiServerConfig;
  /** Install/update the CRDs at start: 'auto' = only on the embedded API server. */
  readonly installCrds: boolean | 'auto';
  /** Namespace of Polecat views created for polecats gt started outside Kubernetes. */
  readonly discoveryNamespace: string;
  /** Only watch this namespace (namespaced kinds); undefined = all. */
  readonly watchNamespace?: string;
  readonly syncIntervalMs: number;
  readonly gtTimeoutMs: number;
  readonly gtConcurrency: number;
  readonly stuckThresholdMs: number;
  /** Escalation mail address; `{rig}` is replaced by the rig's gt name. */
  readonly escalationAddress: string;
  /** Delay from the first escalation mail to the first repeat; later repeats double it. */
  readonly escalationRepeatMs: number;
  /** The longest delay between two escalation mails. */
  readonly escalationMaxIntervalMs: number;
  /** Escalation mails per stuck episode, the first one included. */
  readonly escalationMaxMails: number;
  readonly workers: number;
  readonly metricsAddr: string;
  readonly healthAddr: string;
  readonly leaderElection: {
    readonly enabled: boolean;
    readonly namespace: string;
    readonly name: string;
    readonly leaseDurationMs: number;
    readonly renewDeadlineMs: number;
    readonly retryPeriodMs: number;
  };
  readonly shutdownTimeoutMs: number;
  /** Pod execution; undefined = off (no pod, Secret or NetworkPolicy rights needed). */
  readonly podExecution?: PodExecutionConfig;
  readonly logger: Logger;
}
