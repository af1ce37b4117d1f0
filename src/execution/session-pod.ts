// The session Pod of one polecat in Pod execution (docs/pod-execution.md): its deterministic
// name, its certificate identity, and its manifest built from the Rig's pod template.
//
// Guarantees: one name per (rig, polecat), so a second session wrapper finds the pod the first
// one made instead of creating another; the certificate CN is exactly `gt-<rig>-<name>` and is
// refused (an error value) when the rig or name cannot be carried by it (the proxy splits on
// the last `-`); the manifest mounts nothing from the host, runs non-root with a read-only root
// and no service-account token, is held at the capacity gate when the rig has maxPods, and takes the agent's credentials only from the polecat's
// certificate Secret and the env the user listed. Pure: no I/O.
import { createHash } from 'node:crypto';
import type { Execution, PodTemplate } from '../api/execution.ts';

/** Labels every session object carries (pods, Secrets): the sweep finds them by these. */
export const SESSION_LABELS = {
  component: 'gastown.gastown.io/session',
  rig: 'gastown.gastown.io/rig',
  polecat: 'gastown.gastown.io/polecat',
} as const;

/**
 * The scheduling gate a session pod of a rig with `maxPods` is created with: the pod is not
 * bound to a node until the operator, the gate's only remover, admits it (oldest first) while
 * the rig runs fewer than maxPods session pods.
 */
export const CAPACITY_GATE = 'gastown.gastown.io/capacity';

/** Characters the proxy's CN parsing carries in a rig or polecat name. */
const CN_PART = /^[A-Za-z0-9_]+$/;

export type IdentityError = { readonly kind: 'InvalidIdentity'; readonly message: string };

/** The certificate CN the gt proxy expects for a polecat, or why it cannot carry the names. */
export function certificateCN(rig: string, polecat: string): { ok: true; cn: string } | { ok: false; error: IdentityError } {
  for (const [what, value] of [['rig', rig], ['polecat', polecat]] as const) {
    if (!CN_PART.test(value)) {
      return { ok: false, error: { kind: 'InvalidIdentity', message: `${what} name ${JSON.stringify(value)} cannot be carried by the proxy certificate CN gt-<rig>-<name> (letters, digits and _ only)` } };
    }
  }
  return { ok: true, cn: `gt-${rig}-${polecat}` };
}

/** `gt-<rig>-<name>` as a DNS-1123 label: lower-cased, `_` to `-`, with a hash of the exact names. */
export function sessionPodName(rig: string, polecat: string): string {
  const readable = `gt-${rig}-${polecat}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-');
  const hash = createHash('sha256').update(`${rig}/${polecat}`).digest('hex').slice(0, 8);
  return `${readable.slice(0, 63 - 9).replace(/-+$/, '')}-${hash}`;
}

/** The certificate Secret of a session pod. */
export function sessionSecretName(podName: string): string {
  return `${podName}-cert`;
}

export interface SessionPodInput {
  readonly rig: string;
  readonly polecat: string;
  readonly namespace: string;
  readonly execution: Execution & { readonly pod: PodTemplate; readonly proxyURL: string };
  /** The agent argv gt gave the wrapper (after `--`). */
  readonly argv: readonly string[];
  /** The pane's environment; only gt's polecat identity exports (SESSION_ENV) are passed on. */
  readonly env: Readonly<Record<string, string>>;
  /** The branch the polecat works on (cloned by the init container). */
  readonly branch: string;
}

/**
 * gt's polecat session exports that mean something inside the pod (its identity, docs/sim-sessions.md).
 * Nothing else of the pane's environment goes in: the pane inherits the tmux server's environment
 * (host paths such as GT_ROOT, tool settings, anything named GT_*), none of it the pod's business.
 */
const SESSION_ENV = ['GT_ROLE', 'GT_RIG', 'GT_POLECAT', 'GT_SESSION', 'GT_AGENT', 'GT_PROCESS_NAMES'] as const;

const CERT_DIR = '/var/run/gastown/proxy';
const WORKDIR = '/work/repo';

type EnvVar = { name: string; value?: string; valueFrom?: unknown };

/** The Pod manifest of a polecat's session. */
export function buildSessionPod(input: SessionPodInput): Record<string, unknown> {
  const { rig, polecat, namespace, execution, argv, branch } = input;
  const pod = execution.pod;
  const name = sessionPodName(rig, polecat);
  const proxy = execution.proxyURL.replace(/\/+$/, '');
  const proxyEnv: EnvVar[] = [
    { name: 'GT_PROXY_URL', value: proxy },
    { name: 'GT_PROXY_CERT', value: `${CERT_DIR}/tls.crt` },
    { name: 'GT_PROXY_KEY', value: `${CERT_DIR}/tls.key` },
    { name: 'GT_PROXY_CA', value: `${CERT_DIR}/ca.crt` },
    { name: 'GIT_SSL_CAINFO', value: `${CERT_DIR}/ca.crt` },
    { name: 'GIT_SSL_CERT', value: `${CERT_DIR}/tls.crt` },
    { name: 'GIT_SSL_KEY', value: `${CERT_DIR}/tls.key` },
    { name: 'HOME', value: '/work/home' },
  ];
  const gtEnv = SESSION_ENV.filter((k) => input.env[k] !== undefined).map((k) => ({ name: k, value: input.env[k] ?? '' }));
  const securityContext = { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
  const mounts = [
    { name: 'proxy-cert', mountPath: CERT_DIR, readOnly: true },
    { name: 'work', mountPath: '/work' },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  const labels = { [SESSION_LABELS.component]: 'agent', [SESSION_LABELS.rig]: rig.toLowerCase().replace(/_/g, '-'), [SESSION_LABELS.polecat]: polecat.toLowerCase().replace(/_/g, '-') };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name, namespace, labels,
      // Exact names (labels cannot carry `_` faithfully).
      annotations: { 'gastown.gastown.io/rig': rig, 'gastown.gastown.io/polecat': polecat },
    },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      ...(pod.serviceAccountName ? { serviceAccountName: pod.serviceAccountName } : {}),
      ...(pod.runtimeClassName ? { runtimeClassName: pod.runtimeClassName } : {}),
      ...(pod.nodeSelector ? { nodeSelector: pod.nodeSelector } : {}),
      ...(pod.tolerations ? { tolerations: pod.tolerations } : {}),
      ...(pod.affinity ? { affinity: pod.affinity } : {}),
      ...(pod.imagePullSecrets ? { imagePullSecrets: pod.imagePullSecrets } : {}),
      ...(pod.activeDeadlineSeconds ? { activeDeadlineSeconds: pod.activeDeadlineSeconds } : {}),
      ...(execution.maxPods === undefined ? {} : { schedulingGates: [{ name: CAPACITY_GATE }] }),
      volumes: [
        { name: 'proxy-cert', secret: { secretName: sessionSecretName(name), defaultMode: 0o400 } },
        { name: 'work', emptyDir: {} },
        { name: 'tmp', emptyDir: {} },
      ],
      initContainers: [{
        name: 'clone',
        image: pod.image,
        ...(pod.imagePullPolicy ? { imagePullPolicy: pod.imagePullPolicy } : {}),
        command: ['git', 'clone', '--branch', branch, '--', `${proxy}/v1/git/${rig}`, WORKDIR],
        env: proxyEnv,
        securityContext,
        volumeMounts: mounts,
      }],
      containers: [{
        name: 'agent',
        image: pod.image,
        ...(pod.imagePullPolicy ? { imagePullPolicy: pod.imagePullPolicy } : {}),
        command: [...argv],
        workingDir: WORKDIR,
        tty: true,
        stdin: true,
        env: [...proxyEnv, ...gtEnv, ...(pod.env ?? [])],
        ...(pod.resources ? { resources: pod.resources } : {}),
        securityContext,
        volumeMounts: mounts,
      }],
    },
  };
}
