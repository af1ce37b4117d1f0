// A protobuf encoder for tests and benchmarks: JSON object -> `k8s\0` + runtime.Unknown, from the
// same generated field table the server decodes with, following Go's (gogo) marshaller: it
// writes non-pointer scalars and structs even when zero or absent (which the decoder must drop
// again per the JSON rules), pointers only when set, map entries sorted by key, and a zero
// metav1.Time as an empty message. The real-client check of the table is the kubectl e2e test.
import protobuf from 'protobufjs';
import { PROTO_TABLE } from '../../src/apiserver/protobuf/table.ts';
import { FLAG_INLINE, FLAG_POINTER, FLAG_REPEATED, type ProtoRow } from '../../src/apiserver/protobuf/types.ts';

type Obj = Record<string, unknown>;

const SCALAR_WIRE: Record<string, number> = { string: 2, bytes: 2, bool: 0, int32: 0, int64: 0, uint32: 0, uint64: 0, double: 1, float: 5 };

function writeScalar(w: protobuf.Writer, type: string, value: unknown): void {
  switch (type) {
    case 'string': w.string(typeof value === 'string' ? value : ''); return;
    case 'bytes': w.bytes(Buffer.from(typeof value === 'string' ? value : '', 'base64')); return;
    case 'bool': w.bool(value === true); return;
    case 'int32': w.int32(Number(value ?? 0)); return;
    case 'uint32': w.uint32(Number(value ?? 0)); return;
    case 'int64': w.int64(Number(value ?? 0)); return;
    case 'uint64': w.uint64(Number(value ?? 0)); return;
    case 'double': w.double(Number(value ?? 0)); return;
    case 'float': w.float(Number(value ?? 0)); return;
    default: throw new Error(`scalar ${type}`);
  }
}

function special(type: string, value: unknown): Uint8Array | undefined {
  const w = protobuf.Writer.create();
  switch (type) {
    case 'meta.v1.Time':
    case 'meta.v1.MicroTime': {
      if (typeof value !== 'string') return new Uint8Array();
      const ms = Date.parse(value);
      w.uint32(8).int64(Math.floor(ms / 1000));
      const micros = /\.(\d{6})Z$/.exec(value)?.[1];
      if (micros !== undefined) w.uint32(16).int32(Number(micros) * 1000);
      return w.finish();
    }
    case 'intstr.IntOrString':
      if (typeof value === 'string') return w.uint32(8).int64(1).uint32(16).int32(0).uint32(26).string(value).finish();
      return w.uint32(8).int64(0).uint32(16).int32(Number(value ?? 0)).uint32(26).string('').finish();
    case 'resource.Quantity':
      return w.uint32(10).string(typeof value === 'string' ? value : String(typeof value === 'number' ? value : 0)).finish();
    case 'runtime.RawExtension':
    case 'meta.v1.FieldsV1':
      return w.uint32(10).bytes(Buffer.from(JSON.stringify(value))).finish();
    default:
      return undefined;
  }
}

function encodeValue(w: protobuf.Writer, num: number, type: string, value: unknown): void {
  const wire = SCALAR_WIRE[type];
  if (wire !== undefined) {
    w.uint32((num << 3) | wire);
    writeScalar(w, type, value);
    return;
  }
  w.uint32((num << 3) | 2).bytes(special(type, value) ?? encodeMessage(type, (value ?? {}) as Obj));
}

function encodeRow(w: protobuf.Writer, row: ProtoRow, obj: Obj): void {
  const [num, json, type, flags] = row;
  if ((flags & FLAG_INLINE) !== 0) {
    w.uint32((num << 3) | 2).bytes(encodeMessage(type, obj));
    return;
  }
  const value = obj[json];
  if (type.startsWith('map:')) {
    const entries = Object.entries((value ?? {}) as Obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [k, v] of entries) {
      const entry = protobuf.Writer.create().uint32(10).string(k);
      encodeValue(entry, 2, row[4] ?? 'string', v);
      w.uint32((num << 3) | 2).bytes(entry.finish());
    }
    return;
  }
  if ((flags & FLAG_REPEATED) !== 0) {
    for (const item of (value ?? []) as unknown[]) encodeValue(w, num, type, item);
    return;
  }
  if ((flags & FLAG_POINTER) !== 0 && (value === undefined || value === null)) return;
  encodeValue(w, num, type, value);
}

export function encodeMessage(message: string, obj: Obj): Uint8Array {
  const rows = PROTO_TABLE.messages[message];
  if (rows === undefined) throw new Error(`no table for ${message}`);
  const w = protobuf.Writer.create();
  for (const row of rows) encodeRow(w, row, obj);
  return w.finish();
}

/** The body client-go sends for `obj`: magic + runtime.Unknown{typeMeta, raw}. */
export function encodeProtobufBody(obj: Obj, override?: { apiVersion?: string; kind?: string; contentEncoding?: string }): Buffer {
  const apiVersion = override?.apiVersion ?? String(obj.apiVersion);
  const kind = override?.kind ?? String(obj.kind);
  const message = PROTO_TABLE.kinds[`${String(obj.apiVersion)}/${String(obj.kind)}`];
  if (message === undefined) throw new Error(`no table for ${String(obj.apiVersion)}/${String(obj.kind)}`);
  const typeMeta = protobuf.Writer.create().uint32(10).string(apiVersion).uint32(18).string(kind).finish();
  const env = protobuf.Writer.create().uint32(10).bytes(typeMeta).uint32(18).bytes(encodeMessage(message, obj));
  if (override?.contentEncoding !== undefined) env.uint32(26).string(override.contentEncoding);
  env.uint32(34).string('');
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), env.finish()]);
}

/** A Deployment as encoding/json renders the Go object (null zero times, {} for empty structs). */
export const FULL_DEPLOYMENT = {
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  metadata: {
    name: 'web', namespace: 'team-a', creationTimestamp: null, generateName: 'web-',
    labels: { app: 'web', tier: 'front' }, annotations: { 'example.com/note': 'a "quoted" value' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'u-1', controller: true }],
    finalizers: ['example.com/keep'],
  },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] },
    template: {
      metadata: { creationTimestamp: null, labels: { app: 'web' } },
      spec: {
        volumes: [
          { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          { name: 'cert', secret: { secretName: 'polecat-cert', defaultMode: 256, items: [{ key: 'tls.crt', path: 'client.crt', mode: 384 }] } },
          { name: 'cfg', configMap: { name: 'cfg', optional: true } },
        ],
        initContainers: [{
          name: 'clone', image: 'alpine/git:2', command: ['git', 'clone'], args: ['https://proxy:9876/v1/git/rig', '/work'],
          workingDir: '/work', resources: {}, volumeMounts: [{ name: 'scratch', mountPath: '/work' }],
        }],
        containers: [{
          name: 'agent', image: 'polecat:1', stdin: true, tty: true,
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { containerPort: 0 }],
          env: [
            { name: 'PLAIN', value: 'x' },
            { name: 'KEY', valueFrom: { secretKeyRef: { name: 'model', key: 'api-key', optional: false } } },
            { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
            { name: 'EMPTY' },
          ],
          resources: { limits: { cpu: '2', memory: '4Gi' }, requests: { cpu: '500m', memory: '1Gi' } },
          volumeMounts: [{ name: 'cert', mountPath: '/etc/gt', readOnly: true }],
          livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 5, periodSeconds: 10 },
          readinessProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 1 },
          securityContext: { runAsNonRoot: true, runAsUser: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'IfNotPresent',
        }],
        restartPolicy: 'Always', terminationGracePeriodSeconds: 30, activeDeadlineSeconds: 3600,
        nodeSelector: { 'kubernetes.io/os': 'linux' }, serviceAccountName: 'polecat', automountServiceAccountToken: false,
        securityContext: { fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        imagePullSecrets: [{ name: 'registry' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['agents'] }] }] } } },
        tolerations: [{ key: 'agents', operator: 'Equal', value: 'true', effect: 'NoSchedule', tolerationSeconds: 60 }],
        runtimeClassName: 'gvisor',
      },
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
    revisionHistoryLimit: 10,
  },
  status: {},
};
