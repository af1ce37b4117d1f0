// Strategic merge patch (application/strategic-merge-patch+json) for the built-in kinds the
// embedded server serves, following k8s.io/apimachinery/pkg/util/strategicpatch (v0.32) and the
// `patchStrategy`/`patchMergeKey` tags of k8s.io/api.
//
// Guarantees:
// - maps merge recursively; `null` deletes a key; lists are replaced unless the field has a
//   merge strategy: Pod `containers`/`initContainers`/`ephemeralContainers`/`volumes`/
//   `imagePullSecrets`/`schedulingGates`/`resourceClaims` by `name`, container `env` by `name`,
//   `ports` by `containerPort`, `volumeMounts` by `mountPath`, `volumeDevices` by `devicePath`,
//   `hostAliases` by `ip`, `topologySpreadConstraints` by `topologyKey`, status `conditions` by
//   `type`, `podIPs`/`hostIPs` by `ip`; `metadata.ownerReferences` by `uid`; primitive
//   `metadata.finalizers` merge as an ordered set union. Deployment `spec.template` is a pod
//   template (its `spec` merges as a Pod's; `spec.strategy` is retainKeys), Service
//   `spec.ports` merge by `port`, ServiceAccount `secrets` by `name`; RBAC kinds have no list
//   strategies (rules, subjects are replaced), as in k8s.io/api.
// - directives: `$patch: replace` (map or list element), `$patch: delete` (map, or list element
//   with its merge key), `$patch: merge`, `$retainKeys`, `$setElementOrder/<list>`,
//   `$deleteFromPrimitiveList/<list>`; no directive is ever stored.
// - malformed patches throw `StrategicMergePatchError` (HTTP 400 BadRequest for the caller) with
//   the upstream texts: `unknown patch type: x in map: ...`, `map: ... does not contain declared
//   merge key: name`, `invalid patch format of retainKeys`, `lists of lists are not supported`...
// Deviations: `$setElementOrder` puts the listed elements in the given order and appends the
// unlisted ones in their original order (upstream interleaves server-only items by their
// original index); kinds other than those listed merge maps and replace every list.

export class StrategicMergePatchError extends Error {
  readonly kind = 'StrategicMergePatch' as const;
  readonly code = 400;
  constructor(message: string) {
    super(message);
    this.name = 'StrategicMergePatchError';
  }
}

type Obj = Record<string, unknown>;

interface FieldMeta {
  /** The list merges (instead of being replaced); objects match on `mergeKey`. */
  merge?: boolean;
  mergeKey?: string;
  /** The items honour `$retainKeys` (documentation of the upstream tag; directives apply anywhere). */
  retainKeys?: boolean;
  /** Schema of the value (object fields) or of the list items. */
  fields?: Schema;
}

type Schema = Record<string, FieldMeta>;

const byName = (fields?: Schema): FieldMeta => ({ merge: true, mergeKey: 'name', ...(fields ? { fields } : {}) });

const CONTAINER: Schema = {
  ports: { merge: true, mergeKey: 'containerPort' },
  env: byName(),
  volumeMounts: { merge: true, mergeKey: 'mountPath' },
  volumeDevices: { merge: true, mergeKey: 'devicePath' },
};

const CONDITIONS: FieldMeta = { merge: true, mergeKey: 'type' };

const OBJECT_META: FieldMeta = {
  fields: {
    finalizers: { merge: true },
    ownerReferences: { merge: true, mergeKey: 'uid' },
  },
};

const POD_SPEC: FieldMeta = {
  fields: {
    containers: byName(CONTAINER),
    initContainers: byName(CONTAINER),
    ephemeralContainers: byName(CONTAINER),
    volumes: { ...byName(), retainKeys: true },
    imagePullSecrets: byName(),
    schedulingGates: byName(),
    resourceClaims: { ...byName(), retainKeys: true },
    hostAliases: { merge: true, mergeKey: 'ip' },
    topologySpreadConstraints: { merge: true, mergeKey: 'topologyKey' },
  },
};

const POD: Schema = {
  metadata: OBJECT_META,
  spec: POD_SPEC,
  status: {
    fields: {
      conditions: CONDITIONS,
      podIPs: { merge: true, mergeKey: 'ip' },
      hostIPs: { merge: true, mergeKey: 'ip' },
    },
  },
};

const POD_TEMPLATE: FieldMeta = { fields: { metadata: OBJECT_META, spec: POD_SPEC } };

/** apps/v1 Deployment: the pod template as a Pod; `strategy` honours `$retainKeys`. */
const DEPLOYMENT: Schema = {
  metadata: OBJECT_META,
  spec: { fields: { template: POD_TEMPLATE, strategy: { retainKeys: true } } },
  status: { fields: { conditions: CONDITIONS } },
};

/** core/v1 Service: `spec.ports` by `port` (the tag; the list-map key is port+protocol). */
const SERVICE: Schema = {
  metadata: OBJECT_META,
  spec: { fields: { ports: { merge: true, mergeKey: 'port' } } },
  status: { fields: { conditions: CONDITIONS } },
};

const SCHEMAS: Record<string, Schema> = {
  Pod: POD,
  Deployment: DEPLOYMENT,
  Service: SERVICE,
  ServiceAccount: { metadata: OBJECT_META, secrets: byName() },
  Role: { metadata: OBJECT_META },
  ClusterRole: { metadata: OBJECT_META },
  RoleBinding: { metadata: OBJECT_META },
  ClusterRoleBinding: { metadata: OBJECT_META },
  Namespace: { metadata: OBJECT_META, status: { fields: { conditions: CONDITIONS } } },
  ConfigMap: { metadata: OBJECT_META },
  Secret: { metadata: OBJECT_META },
  Event: { metadata: OBJECT_META },
  Lease: { metadata: OBJECT_META },
  CustomResourceDefinition: { metadata: OBJECT_META },
};

const PATCH = '$patch';
const RETAIN = '$retainKeys';
const ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's %v of a map, roughly: `map[k:v ...]` with sorted keys. */
function goMap(m: Obj): string {
  const show = (v: unknown): string => (isObj(v) ? goMap(v) : Array.isArray(v) ? `[${v.map(show).join(' ')}]` : String(v));
  return `map[${Object.keys(m).sort().map((k) => `${k}:${show(m[k])}`).join(' ')}]`;
}

function isDirectiveKey(k: string): boolean {
  return k === PATCH || k === RETAIN || k.startsWith(ORDER) || k.startsWith(DELETE_PRIMITIVE);
}

/** Strips directives from a value taken from the patch; `undefined` means "delete it". */
function removeDirectives(v: unknown): unknown {
  if (Array.isArray(v)) {
    if (v.some((x) => Array.isArray(x))) throw new StrategicMergePatchError('lists of lists are not supported');
    return v.map(removeDirectives).filter((x) => x !== undefined);
  }
  if (!isObj(v)) return v;
  if (v[PATCH] === 'delete') return undefined;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (isDirectiveKey(k)) continue;
    const clean = removeDirectives(x);
    if (clean !== undefined) out[k] = clean;
  }
  return out;
}

function patchDirective(patch: Obj): string | undefined {
  const d = patch[PATCH];
  if (d === undefined) return undefined;
  if (d !== 'replace' && d !== 'delete' && d !== 'merge') {
    throw new StrategicMergePatchError(`unknown patch type: ${String(typeof d === 'string' ? d : JSON.stringify(d))} in map: ${goMap(patch)}`);
  }
  return d;
}

function stringList(v: unknown, err: string): string[] {
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) throw new StrategicMergePatchError(err);
  return v;
}

function applyRetainKeys(original: Obj, patch: Obj): void {
  if (!(RETAIN in patch)) return;
  const keep = new Set(stringList(patch[RETAIN], 'invalid patch format of retainKeys'));
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

function applyDeleteFromPrimitiveLists(original: Obj, patch: Obj): void {
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith(DELETE_PRIMITIVE)) continue;
    if (!Array.isArray(v)) throw new StrategicMergePatchError('invalid patch format of primitive list');
    const field = k.slice(DELETE_PRIMITIVE.length);
    const list = original[field];
    if (Array.isArray(list)) original[field] = list.filter((x) => !v.some((d) => deepEqual(d, x)));
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function keyOf(item: unknown, mergeKey: string): unknown {
  if (!isObj(item)) throw new StrategicMergePatchError(`expected a map[string]interface {}, but received a ${typeof item}`);
  if (!(mergeKey in item)) throw new StrategicMergePatchError(`map: ${goMap(item)} does not contain declared merge key: ${mergeKey}`);
  return item[mergeKey];
}

function mergeKeyedList(original: unknown[], patch: unknown[], meta: FieldMeta & { mergeKey: string }): unknown[] {
  const result = [...original];
  for (const item of patch) {
    const key = keyOf(item, meta.mergeKey);
    const idx = result.findIndex((o) => isObj(o) && deepEqual(o[meta.mergeKey], key));
    const directive = patchDirective(item as Obj);
    if (directive === 'delete') {
      if (idx >= 0) result.splice(idx, 1);
      continue;
    }
    if (idx < 0 || directive === 'replace') {
      const clean = removeDirectives(item);
      if (idx < 0) result.push(clean);
      else result[idx] = clean;
      continue;
    }
    const existing = result[idx];
    result[idx] = mergeMap(isObj(existing) ? structuredClone(existing) : {}, item as Obj, meta.fields ?? {});
  }
  return result;
}

function mergeList(original: unknown[], patch: unknown[], meta: FieldMeta | undefined): unknown[] {
  if (patch.some((x) => Array.isArray(x))) throw new StrategicMergePatchError('lists of lists are not supported');
  const replaceIdx = patch.findIndex((x) => isObj(x) && x[PATCH] === 'replace' && Object.keys(x).length === 1);
  if (replaceIdx >= 0) return removeDirectives(patch.filter((_, i) => i !== replaceIdx)) as unknown[];
  if (!meta?.merge) return removeDirectives(patch) as unknown[];
  if (meta.mergeKey) return mergeKeyedList(original, patch, { ...meta, mergeKey: meta.mergeKey });
  const result = [...original];
  for (const item of patch) if (!result.some((o) => deepEqual(o, item))) result.push(item);
  return result;
}

function setElementOrder(list: unknown[], order: unknown, meta: FieldMeta | undefined): unknown[] {
  if (!Array.isArray(order)) throw new StrategicMergePatchError('invalid patch format of setElementOrder list');
  const identity = (x: unknown): string => JSON.stringify(meta?.mergeKey && isObj(x) ? x[meta.mergeKey] : x);
  const rank = new Map(order.map((o, i) => [identity(o), i] as const));
  const listed = list.filter((x) => rank.has(identity(x))).sort((a, b) => (rank.get(identity(a)) ?? 0) - (rank.get(identity(b)) ?? 0));
  return [...listed, ...list.filter((x) => !rank.has(identity(x)))];
}

function mergeValue(orig: unknown, pv: unknown, meta: FieldMeta | undefined): unknown {
  if (isObj(orig) && isObj(pv)) return mergeMap(orig, pv, meta?.fields ?? {});
  if (Array.isArray(orig) && Array.isArray(pv)) return mergeList(orig, pv, meta);
  return removeDirectives(pv);
}

function mergeMap(original: Obj, patch: Obj, schema: Schema): Obj | undefined {
  const directive = patchDirective(patch);
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return removeDirectives(patch) as Obj;
  applyRetainKeys(original, patch);
  applyDeleteFromPrimitiveLists(original, patch);
  for (const [k, pv] of Object.entries(patch)) {
    if (isDirectiveKey(k)) continue;
    if (pv === null) {
      delete original[k];
      continue;
    }
    const merged = k in original ? mergeValue(original[k], pv, schema[k]) : removeDirectives(pv);
    if (merged === undefined) delete original[k];
    else original[k] = merged;
  }
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(ORDER)) continue;
    const field = k.slice(ORDER.length);
    const list = original[field];
    if (Array.isArray(list)) original[field] = setElementOrder(list, order, schema[field]);
    else if (!Array.isArray(order)) throw new StrategicMergePatchError('invalid patch format of setElementOrder list');
  }
  return original;
}

/**
 * Applies a strategic merge patch to a copy of `original`. `gvk.kind` selects the patch
 * strategies; the result never contains directives. Throws `StrategicMergePatchError` for
 * malformed patches (including a top-level `$patch: delete`, which would delete the object).
 */
export function applyStrategicMergePatch(
  original: Record<string, unknown>,
  patch: Record<string, unknown>,
  gvk: { group: string; version: string; kind: string },
): Record<string, unknown> {
  if (!isObj(patch)) throw new StrategicMergePatchError('invalid JSON document');
  const schema = SCHEMAS[gvk.kind] ?? {};
  const result = mergeMap(structuredClone(original), patch, schema);
  if (result === undefined) throw new StrategicMergePatchError('strategic merge patch format is not supported');
  return result;
}
