// `Rig.spec.execution`: where a rig's polecat agents run (docs/pod-execution.md).
//
// `Local` (the default) is gt's own behaviour: the agent runs in tmux on the town host. `Pod`
// runs each polecat's agent in a session Pod started by `gastown-operator session` (the rig's
// `runtime.exec_wrapper`); the pod reaches gt, bd and git only through the gt proxy. The pod
// template is a deliberately small subset of a PodSpec: the fields that place and size the
// agent, never host mounts, host networking or privilege (the operator sets those itself).
import { z } from 'zod';
import { MAX_INT32 } from './common.ts';
import { MAX_URL_LENGTH } from './formats.ts';
import type { ValidationRule } from './kind.ts';

export const EXECUTION_MODES = ['Local', 'Pod'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

/** DNS-1123 label (namespaces, Secrets' and ServiceAccounts' names are subdomains; labels suffice). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** An environment variable name as Kubernetes accepts it (C identifier-ish, dots and dashes allowed). */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/** Env names the operator sets itself; a template cannot override the session's identity. */
export const RESERVED_ENV_PREFIXES = ['GT_', 'GIT_SSL_', 'BD_'] as const;

function dnsLabel(description: string): z.ZodString {
  return z.string().min(1).max(63).regex(DNS_LABEL, { error: 'must be a DNS-1123 label' }).describe(description);
}
function dnsSubdomain(description: string): z.ZodString {
  return z.string().min(1).max(253).regex(DNS_SUBDOMAIN, { error: 'must be a DNS-1123 subdomain' }).describe(description);
}
function httpURL(description: string): z.ZodString {
  return z.string().min(1).max(MAX_URL_LENGTH).regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, { error: 'must be an http(s) URL' }).describe(description);
}

/** A quantity (`500m`, `2Gi`, 4): Kubernetes parses and rejects bad ones at pod creation. */
const QUANTITY = /^[0-9]+(\.[0-9]+)?([mkMGTPE]i?|[eE][0-9]+)?$/;
const quantitySchema = z
  .union([z.int(), z.string()])
  .refine((q) => (typeof q === 'number' ? q >= 0 : q.length <= 64 && QUANTITY.test(q)), { error: 'must be a quantity such as 500m or 2Gi' });
const resourceListSchema = z.record(z.string().min(1).max(253), quantitySchema);

export const executionResourcesSchema = z
  .object({
    requests: resourceListSchema.describe('Minimum resources (cpu, memory, ephemeral-storage).').optional(),
    limits: resourceListSchema.describe('Maximum resources; a memory limit the agent exceeds ends the pod OOMKilled.').optional(),
  })
  .describe("Resources of the agent container (a core ResourceRequirements' requests and limits).");

export const tolerationSchema = z
  .object({
    key: z.string().max(316).optional(),
    operator: z.enum(['Exists', 'Equal']).optional(),
    value: z.string().max(63).optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.int().optional(),
  })
  .describe('A core Toleration.');

export const envVarSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(ENV_NAME, { error: 'must be a valid environment variable name' })
      .refine((n) => !RESERVED_ENV_PREFIXES.some((p) => n.startsWith(p)), { error: 'GT_*, GIT_SSL_* and BD_* are set by the operator' }),
    value: z.string().max(32768).optional(),
    valueFrom: z
      .object({
        secretKeyRef: z
          .object({
            name: dnsSubdomain('Name of a Secret in the pods\' namespace.'),
            key: z.string().min(1).max(253),
            optional: z.boolean().optional(),
          })
          .describe('A key of a Secret (the model API key belongs here, never in value).'),
      })
      .optional(),
  })
  .describe('An environment variable of the agent container: a literal value or a Secret key.')
  .meta({
    'x-kubernetes-validations': [
      { rule: 'has(self.value) != has(self.valueFrom)', message: 'set exactly one of value and valueFrom' },
      {
        rule: "!['GT_', 'GIT_SSL_', 'BD_'].exists(p, self.name.startsWith(p))",
        message: 'GT_*, GIT_SSL_* and BD_* are set by the operator',
      },
    ] satisfies ValidationRule[],
  })
  .refine((e) => (e.value === undefined) !== (e.valueFrom === undefined), { error: 'set exactly one of value and valueFrom' });
export type ExecutionEnvVar = z.infer<typeof envVarSchema>;

export const podTemplateSchema = z
  .object({
    image: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[^\s]+$/, { error: 'must not contain whitespace' })
      .describe('Agent image (agent CLI, git, the gt proxy client installed as gt and bd); see deploy/images/polecat.'),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    resources: executionResourcesSchema.optional(),
    nodeSelector: z.record(z.string().min(1).max(317), z.string().max(63)).describe('Node labels the pod must match.').optional(),
    tolerations: z.array(tolerationSchema).max(32).optional(),
    affinity: z.looseObject({}).describe('A core Affinity, passed through to the pod as written.').optional(),
    runtimeClassName: dnsSubdomain('RuntimeClass for stronger isolation (gVisor, Kata) where the cluster has one.').optional(),
    serviceAccountName: dnsSubdomain('ServiceAccount of the pod; its token is not mounted.').optional(),
    imagePullSecrets: z.array(z.object({ name: dnsSubdomain('Name of a docker-registry Secret.') })).max(16).optional(),
    env: z
      .array(envVarSchema)
      .max(64)
      .describe('Extra environment of the agent container, e.g. the model API key from a Secret.')
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .optional(),
    activeDeadlineSeconds: z.int().min(1).max(MAX_INT32).describe('Ends the session pod after this long (DeadlineExceeded).').optional(),
  })
  .describe('The session pod of every polecat of the rig. Host mounts, host network and privilege are never set.');
export type PodTemplate = z.infer<typeof podTemplateSchema>;

export const networkPolicySchema = z
  .object({
    enabled: z.boolean().default(true).describe('Manage a NetworkPolicy for the rig\'s session pods (default true).'),
    modelEndpoints: z
      .array(
        z
          .object({
            cidr: z.string().min(1).max(64).regex(/^[0-9a-fA-F:.]+\/[0-9]{1,3}$/, { error: 'must be a CIDR' }),
            ports: z.array(z.int().min(1).max(65535)).max(16).optional(),
          })
          .describe('An address block the agent may reach (the model API), TCP 443 unless ports are given.'),
      )
      .max(32)
      .optional(),
  })
  .describe('Egress of the session pods: DNS, the proxy and modelEndpoints; nothing else.');

export const executionSchema = z
  .object({
    mode: z.enum(EXECUTION_MODES).default('Local').describe('Local: agents run in tmux on the town host (gt\'s default). Pod: in session Pods.'),
    namespace: dnsLabel('Namespace of the session pods, their Secrets and NetworkPolicy. Default: the operator\'s namespace.').optional(),
    proxyURL: httpURL('Address the pods dial for the gt proxy (GT_PROXY_URL), e.g. https://gt-proxy.town.svc:9876.').optional(),
    proxyAdminURL: httpURL('Admin API of the gt proxy (loopback on the town host), e.g. http://127.0.0.1:9877.').optional(),
    maxPods: z.int().min(0).max(10000).describe('At most this many session pods of the rig run at once; more stay pending.').optional(),
    pod: podTemplateSchema.optional(),
    networkPolicy: networkPolicySchema.optional(),
  })
  .describe("Where the rig's polecat agents run (docs/pod-execution.md).")
  .meta({
    'x-kubernetes-validations': [
      { rule: "self.mode != 'Pod' || has(self.pod)", message: 'mode Pod needs a pod template (execution.pod)' },
      { rule: "self.mode != 'Pod' || has(self.proxyURL)", message: 'mode Pod needs execution.proxyURL' },
    ] satisfies ValidationRule[],
  })
  .refine((e) => e.mode !== 'Pod' || e.pod !== undefined, { error: 'mode Pod needs a pod template (execution.pod)', path: ['pod'] })
  .refine((e) => e.mode !== 'Pod' || e.proxyURL !== undefined, { error: 'mode Pod needs execution.proxyURL', path: ['proxyURL'] });
export type Execution = z.infer<typeof executionSchema>;
