// The command line: `gastown-operator <command>`. Each command lives in src/commands/; this
// file only declares flags (with their environment fallbacks and defaults, shown in --help)
// and maps failures to exit codes with a one-line reason on stderr.
import { Command, InvalidArgumentError, Option } from 'commander';
import { durationOrOff, positiveDuration } from './commands/duration.ts';
import type { RunFlags } from './commands/run.ts';
import type { SessionFlags } from './commands/session.ts';
import { LOG_FORMATS, LOG_LEVELS, type LogLevel } from './observability/logger.ts';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('must be a port number (0 picks a free one)');
  return n;
}

/** `--local-node-image name=/abs/dir`, accumulated into one map. */
export function imageMapping(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  const name = value.slice(0, eq);
  const dir = value.slice(eq + 1);
  if (eq <= 0 || !dir.startsWith('/')) throw new InvalidArgumentError(`expected <image>=<absolute directory>, got ${JSON.stringify(value)}`);
  return { ...previous, [name]: dir };
}

export function buildCli(): Command {
  const program = new Command('gastown-operator')
    .description('Kubernetes operator for Gas Town: Rig, Polecat and Convoy views of a gt town')
    .showHelpAfterError()
    .configureHelp({ sortOptions: false });

  program
    .command('run')
    .description('run the operator: views of the town as Rig, Polecat and Convoy resources, kept in sync with gt')
    .addHelpText('after', RUN_HELP)
    // The town
    .addOption(new Option('--town-root <dir>', 'Gas Town root directory (default: ~/gt; simulated: <data-dir>/sim-town)').env('GT_TOWN_ROOT'))
    .addOption(new Option('--gt-path <path>', 'gt binary; when unset and gt is not on PATH, the bundled simulator is used').env('GT_PATH'))
    .addOption(new Option('--bd-path <path>', 'bd binary (default: bd on PATH)').env('BD_PATH'))
    .option('--simulate', 'run against the bundled town simulator even if gt is installed', false)
    .option('--no-simulator', 'fail instead of falling back to the simulator when no gt is found')
    .addOption(new Option('--sim-activity <duration>', 'scripted activity in a simulated town, one step per interval ("off" for none)').argParser(durationOrOff).default(20_000, '20s'))
    // The API server
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig of the cluster (default: KUBECONFIG, in-cluster, ~/.kube/config; none: the embedded API server)'))
    .option('--embedded', 'use the embedded API server even when a kubeconfig is found', false)
    .addOption(new Option('--data-dir <dir>', 'data of the embedded API server and the simulated town (default: ~/.gastown-operator)').env('GASTOWN_OPERATOR_DATA_DIR'))
    .addOption(new Option('--apiserver-host <host>', 'interface the embedded API server listens on').default('127.0.0.1'))
    .addOption(new Option('--apiserver-port <port>', 'port of the embedded API server (0 picks a free one)').argParser(port).default(0))
    .option('--local-node', 'give the embedded API server a local node that runs pods as HOST PROCESSES (no isolation: tests and demos only)', false)
    .addOption(new Option('--local-node-image <name=dir>', 'with --local-node: run image <name> with <dir> first on PATH (repeatable)').argParser(imageMapping).default({}, 'none'))
    .addOption(new Option('--install-crds <when>', 'install or update the CRDs at start').choices(['auto', 'true', 'false']).default('auto', 'auto: only on the embedded API server'))
    // Views and controllers
    .addOption(new Option('--namespace <ns>', 'namespace of Polecat views for polecats started outside Kubernetes').env('GASTOWN_NAMESPACE').default('default'))
    .addOption(new Option('--watch-namespace <ns>', 'only watch Polecats and Convoys in this namespace (default: all)'))
    .addOption(new Option('--sync-interval <duration>', 'full town read when nothing signals a change (at most 30s)').argParser(positiveDuration).default(10_000, '10s'))
    .addOption(new Option('--gt-timeout <duration>', 'timeout of one gt/bd call (the process group is killed)').argParser(positiveDuration).default(30_000, '30s'))
    .addOption(new Option('--gt-concurrency <n>', 'gt/bd calls in flight at once, for all controllers together').argParser(positiveInt).default(4))
    .addOption(new Option('--stuck-threshold <duration>', 'a working polecat silent this long is Stuck').argParser(positiveDuration).default(900_000, '15m'))
    .addOption(new Option('--escalation-address <addr>', 'mail address for stuck polecats ({rig} = the rig); one mail per rig for the polecats found stuck in the same town read').default('{rig}/witness'))
    .addOption(new Option('--escalation-repeat <duration>', 'a stuck polecat is mailed once at once, then again after this delay, doubling each time').argParser(positiveDuration).default(600_000, '10m'))
    .addOption(new Option('--escalation-max-interval <duration>', 'the longest delay between two escalation mails').argParser(positiveDuration).default(7_200_000, '2h'))
    .addOption(new Option('--escalation-max-mails <n>', 'escalation mails per stuck polecat, the first one included (review-needed polecats are the witness\'s own: never mailed)').argParser(positiveInt).default(5))
    // 8: a reconcile mostly waits (API writes, a gt probe), and 8 workers brought a 50 x 10 start-up
    // from 60.4 to 38.9 s and 45.3 to 26.9 s against 2 (bench/results/scale.md); gt calls stay
    // bounded by --gt-concurrency, and one key is never reconciled twice at once.
    .addOption(new Option('--workers <n>', 'concurrent reconciles per controller (each key one at a time)').argParser(positiveInt).default(8))
    // Pod execution (docs/pod-execution.md)
    .option('--pod-execution', 'run the session controller for rigs in Pod mode: certificates, sweeping, NetworkPolicies (needs the pod-execution RBAC)', false)
    .addOption(new Option('--pod-namespace <ns>', "with --pod-execution: namespace of session pods when a Rig's spec.execution.namespace is unset (default: --namespace)"))
    .addOption(new Option('--proxy-check-interval <duration>', "with --pod-execution: how often the gt proxy's server certificate is read to notice a restart (its deny list is then empty: retired serials are denied again) or a new CA").argParser(positiveDuration).default(30_000, '30s'))
    .addOption(new Option('--proxy-retry-max <duration>', 'with --pod-execution: longest wait between two tries of a gt proxy admin API that is down (backoff from 1s, doubling)').argParser(positiveDuration).default(30_000, '30s'))
    // Observability
    .addOption(new Option('--metrics-addr <addr>', 'Prometheus /metrics listen address ("0" disables; in a pod use :8080)').default('127.0.0.1:8080'))
    .addOption(new Option('--health-addr <addr>', '/healthz and /readyz listen address ("0" disables; in a pod use :8081)').default('127.0.0.1:8081'))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .addOption(new Option('--log-format <format>', 'json, pretty, or auto (pretty on a terminal)').choices(LOG_FORMATS).default('auto'))
    // Leader election and shutdown
    .option('--leader-elect', 'elect a leader on a Lease so several replicas can run (only the leader reconciles)', false)
    .addOption(new Option('--leader-election-namespace <ns>', 'namespace of the Lease (default: POD_NAMESPACE, else --namespace)'))
    .addOption(new Option('--leader-election-id <name>', 'name of the Lease').default('gastown-operator'))
    .addOption(new Option('--lease-duration <duration>', 'how long a lease holds without renewal').argParser(positiveDuration).default(15_000, '15s'))
    .addOption(new Option('--renew-deadline <duration>', 'the leader gives up if it cannot renew for this long').argParser(positiveDuration).default(10_000, '10s'))
    .addOption(new Option('--retry-period <duration>', 'how often candidates try to acquire or renew').argParser(positiveDuration).default(2_000, '2s'))
    .addOption(new Option('--shutdown-timeout <duration>', 'how long in-flight reconciles may finish after SIGTERM').argParser(positiveDuration).default(30_000, '30s'))
    .action(async (opts: RunFlags) => {
      // Commands are imported when chosen, so `--help` and `inspect` stay fast.
      const { runOperatorCommand } = await import('./commands/run.ts');
      process.exitCode = await runOperatorCommand(opts);
    });

  program
    .command('apiserver')
    .description('run only the embedded Kubernetes-compatible API server (optionally with a local node), as its own process')
    .addHelpText('after', APISERVER_HELP)
    .addOption(new Option('--data-dir <dir>', 'SQLite data, token and certificate (default: in memory, lost at exit)'))
    .addOption(new Option('--kubeconfig <path>', 'write a kubeconfig (mode 0600) for this server here'))
    .addOption(new Option('--host <host>', 'interface to listen on').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'port (0 picks a free one)').argParser(port).default(0))
    .option('--local-node', 'run a local node: pods scheduled to it run as HOST PROCESSES (no isolation: tests and demos only)', false)
    .addOption(new Option('--local-node-image <name=dir>', 'with --local-node: run image <name> with <dir> first on PATH (repeatable)').argParser(imageMapping).default({}, 'none'))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .action(async (opts: ApiServerFlags) => {
      const { runApiServerCommand } = await import('./commands/apiserver.ts');
      await runApiServerCommand(opts);
    });

  program
    .command('inspect')
    .description('read the town through gt/bd and print what the operator sees (rigs, polecats, convoys)')
    .addOption(new Option('--town-root <dir>', 'Gas Town root directory (default: ~/gt; with --simulate: ~/.gastown-operator/sim-town)').env('GT_TOWN_ROOT'))
    .addOption(new Option('--gt-path <path>', 'gt binary (looked up on PATH)').env('GT_PATH'))
    .addOption(new Option('--bd-path <path>', 'bd binary (looked up on PATH)').env('BD_PATH'))
    .option('--simulate', 'read the bundled town simulator instead of a real gt (creates a demo town)', false)
    .addOption(new Option('--timeout <ms>', 'per-call timeout for gt/bd').argParser(positiveInt).default(30_000))
    .option('--json', 'print {"rigs":[...],"polecats":[...],"convoys":[...]} instead of tables', false)
    .action(async (opts: InspectFlags) => {
      const { runInspect } = await import('./commands/inspect-command.ts');
      process.exitCode = await runInspect(opts);
    });

  program
    .command('session')
    .description("run a polecat's agent in a Kubernetes Pod, attached to this terminal (gt's runtime.exec_wrapper for a rig in Pod mode)")
    .usage('[options] -- <agent> [args...]')
    .argument('<agent...>', 'the agent command gt starts (after --)')
    .addHelpText('after', SESSION_HELP)
    .addOption(new Option('--rig-view <name>', 'Rig view to read spec.execution from (default: the gt rig name as a DNS-1123 name)').env('GASTOWN_RIG_VIEW'))
    .addOption(new Option('--namespace <ns>', "namespace of the session pods when the Rig's spec.execution.namespace is unset").env('GASTOWN_NAMESPACE').default('default'))
    .addOption(new Option('--branch <name>', "the polecat's branch, cloned into the pod (default: the branch checked out in the current directory)"))
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig with the session Role (default: KUBECONFIG, in-cluster, ~/.kube/config)'))
    .addOption(new Option('--wait-interval <duration>', 'how often to look again at a pod that has not started (waiting for capacity, a node or its certificate)').argParser(positiveDuration).default(2_000, '2s'))
    .addOption(new Option('--keepalive <duration>', 'WebSocket ping interval; a stream that misses a ping is re-attached').argParser(positiveDuration).default(15_000, '15s'))
    .action(async (agent: string[], opts: SessionFlags) => {
      const { runSessionCommand } = await import('./commands/session.ts');
      const code = await runSessionCommand(opts, agent);
      // The pane's stdin keeps the event loop alive; the session is over.
      process.exit(code);
    });

  return program;
}

const SESSION_HELP = `
gt runs it in the polecat's tmux pane when the rig's settings/config.json has
  "runtime": { "exec_wrapper": ["gastown-operator", "session", "--"] }
and the Rig view sets spec.execution.mode: Pod. It reads GT_RIG and GT_POLECAT (refusing names
the proxy certificate cannot carry, before any pod exists), creates the polecat's session pod
or attaches to the one another wrapper made (behind the capacity gate the operator lifts while
the rig is below spec.execution.maxPods),
keeps the pane attached to the agent's terminal (re-attaching when the stream drops), deletes
the pod when the pane is closed (SIGHUP, SIGTERM, SIGINT), and exits with the agent's exit code.
Exit codes: the agent's (128+n when a signal ended it); 2 input refused, no pod created;
1 the pod failed, was deleted under the session or the API server refused it;
129/130/143 the pane was closed (the pod is deleted).
It needs only the session Role (pods get/create/delete, pods/attach create, rigs get),
never Secrets: see docs/pod-execution.md. Example (what gt runs):
  env GT_RIG=gastown GT_POLECAT=toast gastown-operator session -- claude --dangerously-skip-permissions`;

const RUN_HELP = `
With no kubeconfig the operator starts its embedded Kubernetes-compatible API server (data in
--data-dir) and prints the kubectl line to use; with no gt installed it runs against the
bundled town simulator and says so. Examples:
  gastown-operator run                                   # embedded API server, real or simulated town
  gastown-operator run --town-root ~/gt --gt-path /usr/local/bin/gt
  gastown-operator run --kubeconfig ~/.kube/config --leader-elect --metrics-addr :8080`;

const APISERVER_HELP = `
Prints {"url":...,"kubeconfig":...} on stdout once listening; logs go to stderr. Examples:
  gastown-operator apiserver --data-dir ~/.gastown-apiserver --kubeconfig ~/.gastown-apiserver/kubeconfig
  gastown-operator apiserver --kubeconfig /tmp/kc --local-node --local-node-image polecat=/opt/polecat/bin
  # then, in another shell: gastown-operator run --kubeconfig /tmp/kc`;

export interface ApiServerFlags {
  dataDir?: string;
  kubeconfig?: string;
  host: string;
  port: number;
  localNode: boolean;
  localNodeImage: Record<string, string>;
  logLevel: LogLevel;
}

export interface InspectFlags {
  townRoot?: string;
  gtPath?: string;
  bdPath?: string;
  simulate: boolean;
  timeout: number;
  json: boolean;
}
