// Server-side defaults of the workload and networking built-ins, as the real server's
// defaulting functions (k8s.io/kubernetes/pkg/apis/{core,apps}/v1/defaults.go) and the Service
// REST storage apply them, on every create and update (`ResourceType.onWrite`). Only fields the
// client left out are filled in, so `kubectl apply` round-trips: a second apply is a no-op.
// - Deployment: spec.replicas 1, strategy RollingUpdate with maxUnavailable/maxSurge 25%,
//   revisionHistoryLimit 10, progressDeadlineSeconds 600, and the pod template's defaults.
// - Pod template: restartPolicy Always, terminationGracePeriodSeconds 30, dnsPolicy
//   ClusterFirst, schedulerName default-scheduler, securityContext {}; containers:
//   terminationMessagePath/Policy, imagePullPolicy (Always for `:latest` or no tag, else
//   IfNotPresent), resources {}, port protocol TCP, probe timings and httpGet scheme HTTP,
//   env fieldRef apiVersion v1; configMap/secret/downwardAPI/projected volume defaultMode 420.
// - Service: type ClusterIP, sessionAffinity None, port protocol TCP and targetPort = port,
//   internalTrafficPolicy Cluster, single-stack IPv4; a cluster IP allocated at random from the
//   service CIDR 10.96.0.0/12 (or the requested one, if in range and free; `None` = headless);
//   ExternalName services get none. NodePort/LoadBalancer: node ports from 30000-32767 and
//   externalTrafficPolicy Cluster. Cluster IPs and node ports are kept across updates that omit
//   them; changing a cluster IP is 422 (`may not change once set`), as is reusing one.
//   Nothing routes traffic: the addresses are bookkeeping only.
// - RoleBinding/ClusterRoleBinding: roleRef is immutable (422 `cannot change roleRef`).
// - Pod: `spec.schedulingGates` (Kubernetes' pod scheduling readiness): a pod created with
//   gates gets PodScheduled=False/SchedulingGated and is not bound until they are all removed;
//   an update may only remove gates (422 `only deletion is allowed`), and a pod may not be
//   created with both gates and a nodeName.
// - Secret: `stringData` is write-only, as in the real registry strategy: its entries are
//   base64-encoded into `data` (a key in both takes the stringData value) and it is neither
//   stored nor returned; keys must be valid Secret keys (422 otherwise).
import { invalid, type StatusCause } from '../errors.ts';
import { deepEqual, dict, isDict, metaString, nowTimestamp, type Dict } from '../meta.ts';
import type { KubeObject } from '../types.ts';
import type { WriteContext } from './types.ts';

/** The service cluster IP range (kube-apiserver's default `--service-cluster-ip-range`). */
export const SERVICE_CIDR = '10.96.0.0/12';
const SERVICE_BASE = (10 << 24) + (96 << 16);
const SERVICE_SIZE = 1 << 20;
/** Dynamic allocation uses the upper band, as the real allocator does (static band: first 256). */
const DYNAMIC_FROM = 256;
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

const dicts = (v: unknown): Dict[] => (Array.isArray(v) ? v.filter(isDict) : []);

/** The child map `key` of `parent`, created when absent; undefined when it is something else. */
function child(parent: Dict, key: string): Dict | undefined {
  if (parent[key] === undefined || parent[key] === null) parent[key] = {};
  const v = parent[key];
  return isDict(v) ? v : undefined;
}

function fail(group: string, kind: string, obj: KubeObject, causes: StatusCause[]): never {
  const name = metaString(obj, 'name') ?? '';
  const qualified = group === '' ? kind : `${kind}.${group}`;
  const msgs = causes.map((c) => `${c.field ?? ''}: ${c.message}`);
  const message = `${qualified} ${JSON.stringify(name)} is invalid: ${msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`}`;
  throw invalid(group, kind, name, message, causes);
}

// ---- pods ------------------------------------------------------------------------------------

/** `Always` for `:latest` or an untagged image, `IfNotPresent` otherwise (digests included). */
export function defaultPullPolicy(image: unknown): string {
  if (typeof image !== 'string') return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  if (last.includes('@')) return 'IfNotPresent';
  const colon = last.lastIndexOf(':');
  return colon < 0 || last.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: unknown): void {
  if (!isDict(probe)) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (isDict(probe.httpGet)) probe.httpGet.scheme ??= 'HTTP';
}

function defaultContainer(c: Dict): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.imagePullPolicy ??= defaultPullPolicy(c.image);
  c.resources ??= {};
  for (const p of dicts(c.ports)) p.protocol ??= 'TCP';
  for (const e of dicts(c.env)) {
    const ref = dict(e.valueFrom).fieldRef;
    if (isDict(ref)) ref.apiVersion ??= 'v1';
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[probe]);
}

function defaultVolume(v: Dict): void {
  for (const source of ['configMap', 'secret', 'downwardAPI', 'projected']) {
    const s = v[source];
    if (isDict(s)) s.defaultMode ??= 420;
  }
}

export function defaultPodSpec(spec: Dict): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const c of [...dicts(spec.initContainers), ...dicts(spec.containers)]) defaultContainer(c);
  for (const v of dicts(spec.volumes)) defaultVolume(v);
}

// ---- deployments -----------------------------------------------------------------------------

export function defaultDeployment(obj: KubeObject): KubeObject {
  const spec = child(obj, 'spec');
  if (spec === undefined) return obj;
  spec.replicas ??= 1;
  const strategy = child(spec, 'strategy');
  if (strategy !== undefined) {
    strategy.type ??= 'RollingUpdate';
    const rolling = strategy.type === 'RollingUpdate' ? child(strategy, 'rollingUpdate') : undefined;
    if (rolling !== undefined) {
      rolling.maxUnavailable ??= '25%';
      rolling.maxSurge ??= '25%';
    }
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  const podSpec = dict(spec.template).spec;
  if (isDict(podSpec)) defaultPodSpec(podSpec);
  return obj;
}

// ---- services --------------------------------------------------------------------------------

function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) < 256)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const goStrings = (v: readonly string[]): string => `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`;

/** Cluster IPs and node ports used by services other than `self` (namespace/name). */
function usedAddresses(peers: readonly KubeObject[], self: string): { ips: Set<string>; nodePorts: Set<number> } {
  const ips = new Set<string>();
  const nodePorts = new Set<number>();
  for (const svc of peers) {
    if (`${metaString(svc, 'namespace') ?? ''}/${metaString(svc, 'name') ?? ''}` === self) continue;
    const spec = dict(svc.spec);
    if (typeof spec.clusterIP === 'string') ips.add(spec.clusterIP);
    for (const p of dicts(spec.ports)) if (typeof p.nodePort === 'number') nodePorts.add(p.nodePort);
  }
  return { ips, nodePorts };
}

function randomFree<T>(pick: () => T, used: ReadonlySet<T>): T {
  for (;;) {
    const v = pick();
    if (!used.has(v)) return v;
  }
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Why a requested cluster IP cannot be allocated, or undefined when it can. */
function requestedIPCause(ip: string, used: ReadonlySet<string>): StatusCause | undefined {
  const n = ipToNumber(ip);
  if (n === undefined) {
    return { reason: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: ${JSON.stringify(ip)}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)` };
  }
  const why = n <= SERVICE_BASE || n >= SERVICE_BASE + SERVICE_SIZE - 1
    ? `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}`
    : used.has(ip) ? 'provided IP is already allocated' : undefined;
  return why === undefined ? undefined : { reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `Invalid value: ${goStrings([ip])}: failed to allocate IP ${ip}: ${why}` };
}

function allocateClusterIP(spec: Dict, oldSpec: Dict | undefined, used: ReadonlySet<string>): StatusCause[] {
  const oldIP = nonEmpty(oldSpec?.clusterIP);
  const requested = nonEmpty(spec.clusterIP) ?? nonEmpty(Array.isArray(spec.clusterIPs) ? (spec.clusterIPs as unknown[])[0] : undefined);
  if (oldIP !== undefined && requested !== undefined && requested !== oldIP) {
    return [{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: ${goStrings([requested])}: may not change once set` }];
  }
  const ip = requested ?? oldIP ?? randomFree(() => numberToIp(SERVICE_BASE + DYNAMIC_FROM + Math.floor(Math.random() * (SERVICE_SIZE - DYNAMIC_FROM - 1))), used);
  const cause = ip === 'None' || ip === oldIP || requested === undefined ? undefined : requestedIPCause(ip, used);
  if (cause !== undefined) return [cause];
  spec.clusterIP = ip;
  spec.clusterIPs = [ip];
  spec.ipFamilies ??= ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
  return [];
}

function allocateNodePorts(spec: Dict, oldSpec: Dict | undefined, used: Set<number>): StatusCause[] {
  const causes: StatusCause[] = [];
  const oldPorts = dicts(oldSpec?.ports);
  dicts(spec.ports).forEach((p, i) => {
    if (p.nodePort === undefined || p.nodePort === 0) {
      const prev = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === p.protocol)?.nodePort;
      p.nodePort = typeof prev === 'number' ? prev : randomFree(() => NODE_PORT_MIN + Math.floor(Math.random() * (NODE_PORT_MAX - NODE_PORT_MIN + 1)), used);
    } else if (typeof p.nodePort !== 'number' || p.nodePort < NODE_PORT_MIN || p.nodePort > NODE_PORT_MAX || used.has(p.nodePort)) {
      const why = typeof p.nodePort === 'number' && used.has(p.nodePort)
        ? 'provided port is already allocated'
        : `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`;
      causes.push({ reason: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${JSON.stringify(p.nodePort)}: ${why}` });
    }
    if (typeof p.nodePort === 'number') used.add(p.nodePort);
  });
  spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  return causes;
}

export function defaultService(obj: KubeObject, ctx: WriteContext): KubeObject {
  const spec = child(obj, 'spec');
  if (spec === undefined) return obj;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  for (const p of dicts(spec.ports)) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
  if (spec.type === 'ExternalName') return obj;
  spec.internalTrafficPolicy ??= 'Cluster';
  const self = `${metaString(obj, 'namespace') ?? ''}/${metaString(obj, 'name') ?? ''}`;
  const used = usedAddresses(ctx.peers(), self);
  const oldSpec = ctx.old === undefined ? undefined : dict(ctx.old.spec);
  const causes = allocateClusterIP(spec, oldSpec, used.ips);
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') causes.push(...allocateNodePorts(spec, oldSpec, used.nodePorts));
  if (causes.length > 0) fail('', 'Service', obj, causes);
  return obj;
}

/** The names of a pod's scheduling gates (`spec.schedulingGates[].name`). */
export function schedulingGates(pod: KubeObject): string[] {
  return dicts(dict(pod.spec).schedulingGates).map((g) => (typeof g.name === 'string' ? g.name : ''));
}

/** Marks a pod created with scheduling gates as gated, as the real pod strategy does. */
export function gatePodOnCreate(obj: KubeObject): void {
  if (schedulingGates(obj).length === 0) return;
  obj.status = {
    ...dict(obj.status),
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates', lastProbeTime: null, lastTransitionTime: nowTimestamp() }],
  };
}

/** Scheduling gates are well-formed, and an update only removes them (ValidatePodUpdate). */
export function checkSchedulingGates(obj: KubeObject, ctx: WriteContext): KubeObject {
  const gates = schedulingGates(obj);
  const causes: StatusCause[] = [];
  gates.forEach((name, i) => {
    if (name === '') causes.push({ reason: 'FieldValueRequired', field: `spec.schedulingGates[${i}].name`, message: 'Required value' });
    else if (gates.indexOf(name) !== i) causes.push({ reason: 'FieldValueDuplicate', field: `spec.schedulingGates[${i}].name`, message: `Duplicate value: ${JSON.stringify(name)}` });
  });
  if (ctx.old === undefined) {
    if (gates.length > 0 && typeof dict(obj.spec).nodeName === 'string' && dict(obj.spec).nodeName !== '') {
      causes.push({ reason: 'FieldValueForbidden', field: 'spec.nodeName', message: 'Forbidden: cannot be set until all schedulingGates have been cleared' });
    }
  } else {
    const before = new Set(schedulingGates(ctx.old));
    for (const name of gates) {
      if (!before.has(name)) causes.push({ reason: 'FieldValueForbidden', field: 'spec.schedulingGates', message: `Forbidden: only deletion is allowed, but found new scheduling gate '${name}'` });
    }
  }
  if (causes.length > 0) fail('', 'Pod', obj, causes);
  return obj;
}

// ---- secrets ---------------------------------------------------------------------------------

/** A Secret or ConfigMap key (IsConfigMapKey): letters, digits, `-`, `_`, `.`; not `.`/`..`. */
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Merges a Secret's write-only `stringData` into `data` (stringData wins) and drops it. */
export function mergeStringData(obj: KubeObject): KubeObject {
  const given = obj.stringData;
  delete obj.stringData;
  if (given === undefined || given === null) return obj;
  if (!isDict(given)) fail('', 'Secret', obj, [{ reason: 'FieldValueInvalid', field: 'stringData', message: 'Invalid value: stringData must be a map of strings' }]);
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(given)) {
    if (!SECRET_KEY.test(key) || key === '.' || key === '..' || key.length > 253) {
      causes.push({ reason: 'FieldValueInvalid', field: `stringData[${key}]`, message: `Invalid value: ${JSON.stringify(key)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.'` });
    } else if (typeof value !== 'string') {
      causes.push({ reason: 'FieldValueInvalid', field: `stringData[${key}]`, message: 'Invalid value: must be a string' });
    }
  }
  if (causes.length > 0) fail('', 'Secret', obj, causes);
  const data = isDict(obj.data) ? { ...obj.data } : {};
  for (const [key, value] of Object.entries(given)) data[key] = Buffer.from(value as string, 'utf8').toString('base64');
  obj.data = data;
  return obj;
}

// ---- rbac ------------------------------------------------------------------------------------

export function checkRoleRef(kind: string): (obj: KubeObject, ctx: WriteContext) => KubeObject {
  return (obj, ctx) => {
    if (ctx.old !== undefined && !deepEqual(obj.roleRef, ctx.old.roleRef)) {
      const message = `Invalid value: ${JSON.stringify(obj.roleRef ?? null)}: cannot change roleRef`;
      fail('rbac.authorization.k8s.io', kind, obj, [{ reason: 'FieldValueInvalid', field: 'roleRef', message }]);
    }
    return obj;
  };
}
