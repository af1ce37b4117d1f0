// The objects the session controller writes, built purely: a session pod's certificate Secret
// and a rig's NetworkPolicy (docs/pod-execution.md).
//
// Guarantees: the Secret is named `<pod>-cert`, holds exactly tls.crt, tls.key and ca.crt, and
// is owned by its pod (a cluster's garbage collector removes it with the pod); the serial and
// expiry ride along as annotations so a retirement can deny the serial without reading the
// certificate. The NetworkPolicy selects only the rig's session pods, allows no ingress, and
// egress only to the cluster DNS, the proxy's addresses and the user's model CIDRs, where
// cluster-private and link-local ranges (169.254.169.254, the cloud metadata address) are cut
// out of any broader block the user lists.
import { createHash } from 'node:crypto';
import { API_GROUP_VERSION, Kind, type Rig } from '../../api/index.ts';
import { SESSION_LABELS, sessionSecretName } from '../../execution/session-pod.ts';
import type { KubeObject } from '../../runtime/k8s.ts';
import type { IssuedCertificate } from './proxy-admin.ts';
import type { SessionPod } from './pod-state.ts';

export const CERT_ANNOTATIONS = {
  serial: 'gastown.gastown.io/certificate-serial',
  expiresAt: 'gastown.gastown.io/certificate-expires-at',
} as const;

/** A label value for a gt name (`_` is not allowed in the readable form the pods carry). */
export function labelValue(name: string): string {
  return name.toLowerCase().replace(/_/g, '-').slice(0, 63).replace(/-+$/, '');
}

export interface SecretObject extends KubeObject {
  readonly type?: string;
  readonly data?: Readonly<Record<string, string>>;
}

/** The certificate Secret of a session pod, owned by the pod. */
export function certificateSecret(pod: SessionPod, identity: { rig: string; polecat: string }, cert: IssuedCertificate): SecretObject {
  const name = pod.metadata?.name ?? '';
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: sessionSecretName(name),
      namespace: pod.metadata?.namespace ?? '',
      labels: { [SESSION_LABELS.component]: 'certificate', [SESSION_LABELS.rig]: labelValue(identity.rig), [SESSION_LABELS.polecat]: labelValue(identity.polecat) },
      annotations: {
        [SESSION_LABELS.rig]: identity.rig,
        [SESSION_LABELS.polecat]: identity.polecat,
        [CERT_ANNOTATIONS.serial]: cert.serial,
        ...(cert.expiresAt === undefined ? {} : { [CERT_ANNOTATIONS.expiresAt]: cert.expiresAt }),
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name, uid: pod.metadata?.uid ?? '', controller: true }],
    },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(cert.cert), 'tls.key': b64(cert.key), 'ca.crt': b64(cert.ca) },
  };
}

/** The NetworkPolicy name of a rig: readable, with a hash of the exact gt name. */
export function networkPolicyName(rig: string): string {
  const hash = createHash('sha256').update(rig).digest('hex').slice(0, 8);
  return `gt-${labelValue(rig)}`.slice(0, 63 - 18).replace(/-+$/, '') + `-sessions-${hash}`;
}

// ---- CIDRs ----

interface Cidr {
  readonly v6: boolean;
  readonly bits: bigint;
  readonly prefix: number;
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseIPv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const all = [...head, ...Array<string>(Math.max(0, fill)).fill('0'), ...tail];
  if (all.length !== 8 || !all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function parseCidr(text: string): Cidr | undefined {
  const [addr, len] = text.split('/');
  if (addr === undefined || len === undefined || !/^\d{1,3}$/.test(len)) return undefined;
  const v6 = addr.includes(':');
  const bits = v6 ? parseIPv6(addr) : parseIPv4(addr);
  const prefix = Number(len);
  if (bits === undefined || prefix > (v6 ? 128 : 32)) return undefined;
  return { v6, bits, prefix };
}

/** Whether `outer` contains `inner` (same family, every address of inner inside outer). */
function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.v6 !== inner.v6 || outer.prefix > inner.prefix) return false;
  const width = BigInt(outer.v6 ? 128 : 32);
  const shift = width - BigInt(outer.prefix);
  return outer.bits >> shift === inner.bits >> shift;
}

/** Ranges a session pod must never reach through a broader block: cluster-private and link-local. */
export const FORBIDDEN_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'] as const;
export const METADATA_ADDRESS = '169.254.169.254/32';

export type EgressBlock = { readonly cidr: string; readonly except?: readonly string[] };

/**
 * The ipBlock for a CIDR the user listed: forbidden ranges inside it are excepted; a block
 * inside the link-local range (the metadata address) is refused. A block inside a private
 * range stays: the user named it (a model server on the private network).
 */
export function egressBlock(cidr: string): { ok: true; block: EgressBlock } | { ok: false; message: string } {
  const parsed = parseCidr(cidr);
  if (parsed === undefined) return { ok: false, message: `${cidr} is not a CIDR` };
  const metadata = parseCidr(METADATA_ADDRESS)!;
  const linkLocal = [parseCidr('169.254.0.0/16')!, parseCidr('fe80::/10')!];
  if (linkLocal.some((r) => contains(r, parsed)) || (contains(parsed, metadata) && parsed.prefix === 32)) {
    return { ok: false, message: `${cidr} is link-local (the cloud metadata address lives there); it is never allowed` };
  }
  const except = FORBIDDEN_RANGES.filter((r) => {
    const range = parseCidr(r)!;
    return contains(parsed, range) && !(range.prefix === parsed.prefix);
  });
  return { ok: true, block: except.length > 0 ? { cidr, except } : { cidr } };
}

export interface NetworkPolicyInput {
  readonly rig: Rig;
  readonly gtName: string;
  readonly namespace: string;
  /** The proxy's addresses (resolved from proxyURL) and port. */
  readonly proxy: { readonly addresses: readonly string[]; readonly port: number };
  readonly modelEndpoints: readonly { readonly cidr: string; readonly ports?: readonly number[] }[];
}

/** The rig's NetworkPolicy, or the reasons it cannot be built (bad CIDRs). */
export function rigNetworkPolicy(input: NetworkPolicyInput): { ok: true; policy: KubeObject & { spec: unknown } } | { ok: false; message: string } {
  const { rig, gtName, namespace, proxy } = input;
  const models: object[] = [];
  const problems: string[] = [];
  for (const endpoint of input.modelEndpoints) {
    const block = egressBlock(endpoint.cidr);
    if (!block.ok) {
      problems.push(block.message);
      continue;
    }
    const ports = (endpoint.ports ?? [443]).map((port) => ({ protocol: 'TCP', port }));
    models.push({ to: [{ ipBlock: block.block }], ports });
  }
  if (problems.length > 0) return { ok: false, message: `spec.execution.networkPolicy.modelEndpoints: ${problems.join('; ')}` };
  const proxyPeers = proxy.addresses.map((a) => ({ ipBlock: { cidr: a.includes(':') ? `${a}/128` : `${a}/32` } }));
  const egress: object[] = [
    {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
    },
    ...(proxyPeers.length > 0 ? [{ to: proxyPeers, ports: [{ protocol: 'TCP', port: proxy.port }] }] : []),
    ...models,
  ];
  const rigLabel = labelValue(gtName);
  return {
    ok: true,
    policy: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: networkPolicyName(gtName),
        namespace,
        labels: { [SESSION_LABELS.component]: 'network-policy', [SESSION_LABELS.rig]: rigLabel },
        annotations: { [SESSION_LABELS.rig]: gtName },
        ...(rig.metadata.uid === undefined ? {} : { ownerReferences: [{ apiVersion: API_GROUP_VERSION, kind: Kind.Rig, name: rig.metadata.name, uid: rig.metadata.uid }] }),
      },
      spec: {
        podSelector: { matchLabels: { [SESSION_LABELS.component]: 'agent', [SESSION_LABELS.rig]: rigLabel } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress,
      },
    },
  };
}
