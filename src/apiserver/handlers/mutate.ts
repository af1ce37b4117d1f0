// Create and update: the object-meta rules of the real apiserver's generic registry.
// - create: name or generateName, namespace from the URL (must exist and not be terminating),
//   uid/creationTimestamp/generation set by the server, status dropped when /status is separate;
// - update: optimistic concurrency on metadata.resourceVersion (409 Conflict), system fields
//   kept from the stored object, status or everything-but-status taken from the body depending
//   on the endpoint, generation bumped only when the spec (everything outside metadata and a
//   separate status) changed, no-op updates not written, and an object being deleted is removed
//   in the same request that clears its last finalizer;
// - both: the type's server-side defaults (`onWrite`: Service cluster IPs, Deployment replicas...).
import { ApiError, alreadyExists, badRequest, conflict, forbidden, invalid, notFound, STALE_OBJECT } from '../errors.ts';
import { clone, deepEqual, dict, generateName, isDeleting, isDict, metaString, metadataOf, newUid, nowTimestamp, type Dict } from '../meta.ts';
import { CRD_STORAGE_KEY, NAMESPACE_STORAGE_KEY } from '../registry/builtins.ts';
import type { ResourceType, WriteContext } from '../registry/types.ts';
import { apiVersionOf, groupResource as groupResourceOf } from '../registry/types.ts';
import type { Write } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { admit, kindWithGroup, type AdmitContext } from './admission.ts';
import { pendingFinalizers } from './delete.ts';
import type { Core } from './core.ts';

export interface WriteOptions extends AdmitContext {
  dryRun: boolean;
}

export interface WriteResult {
  object: KubeObject;
  created: boolean;
}

/** The name Go's encoding/json gives a JSON value's kind in "cannot unmarshal X into ...". */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'number' ? 'number' : typeof value === 'string' ? 'string' : 'object';
}

const OBJECT_META_STRINGS = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'selfLink', 'creationTimestamp', 'deletionTimestamp'];
const OWNER_REFERENCE_FIELDS: Record<string, 'string' | 'bool'> = { apiVersion: 'string', kind: 'string', name: 'string', uid: 'string', controller: 'bool', blockOwnerDeletion: 'bool' };
const MANAGED_FIELDS_FIELDS: Record<string, 'string' | 'bool'> = { manager: 'string', operation: 'string', apiVersion: 'string', time: 'string', fieldsType: 'string', subresource: 'string' };

type Decoded = string | undefined;

const absent = (v: unknown): boolean => v === undefined || v === null;

function wrongType(value: unknown, field: string, goType: string): string {
  return `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${field} of type ${goType}`;
}

function scalarFieldsError(meta: Dict): Decoded {
  for (const f of OBJECT_META_STRINGS) {
    const v = meta[f];
    if (!absent(v) && typeof v !== 'string') return wrongType(v, `ObjectMeta.metadata.${f}`, f.endsWith('Timestamp') ? 'v1.Time' : 'string');
  }
  for (const f of ['generation', 'deletionGracePeriodSeconds']) {
    const v = meta[f];
    if (!absent(v) && !Number.isInteger(v)) return wrongType(v, `ObjectMeta.metadata.${f}`, 'int64');
  }
  return undefined;
}

function stringMapError(value: unknown, field: string): Decoded {
  if (absent(value)) return undefined;
  if (!isDict(value)) return wrongType(value, field, 'map[string]string');
  const bad = Object.values(value).find((v) => !absent(v) && typeof v !== 'string');
  return bad === undefined ? undefined : wrongType(bad, field, 'string');
}

function stringArrayError(value: unknown, field: string): Decoded {
  if (absent(value)) return undefined;
  if (!Array.isArray(value)) return wrongType(value, field, '[]string');
  const bad = (value as unknown[]).find((v) => !absent(v) && typeof v !== 'string');
  return bad === undefined ? undefined : wrongType(bad, field, 'string');
}

function structFieldsError(item: Dict, struct: string, field: string, fields: Record<string, 'string' | 'bool'>): Decoded {
  for (const [k, t] of Object.entries(fields)) {
    const x = item[k];
    if (!absent(x) && typeof x !== (t === 'bool' ? 'boolean' : 'string')) {
      return wrongType(x, `${struct}.${field}.${k}`, t === 'bool' ? 'bool' : k === 'time' ? 'v1.Time' : 'string');
    }
  }
  return undefined;
}

function objectArrayError(value: unknown, field: string, goType: string, fields: Record<string, 'string' | 'bool'>): Decoded {
  if (absent(value)) return undefined;
  if (!Array.isArray(value)) return wrongType(value, `ObjectMeta.${field}`, `[]${goType}`);
  for (const item of value as unknown[]) {
    if (absent(item)) continue;
    if (!isDict(item)) return wrongType(item, `ObjectMeta.${field}`, goType);
    const err = structFieldsError(item, goType.replace(/^v1\./, ''), field, fields);
    if (err !== undefined) return err;
  }
  return undefined;
}

/**
 * What the real decoder says about ObjectMeta fields of the wrong JSON type (null is always
 * fine: it decodes to the zero value); undefined when the types are right.
 */
function objectMetaDecodeError(meta: Dict): Decoded {
  return scalarFieldsError(meta)
    ?? stringMapError(meta.labels, 'ObjectMeta.metadata.labels')
    ?? stringMapError(meta.annotations, 'ObjectMeta.metadata.annotations')
    ?? stringArrayError(meta.finalizers, 'ObjectMeta.metadata.finalizers')
    ?? objectArrayError(meta.ownerReferences, 'metadata.ownerReferences', 'v1.OwnerReference', OWNER_REFERENCE_FIELDS)
    ?? objectArrayError(meta.managedFields, 'metadata.managedFields', 'v1.ManagedFieldsEntry', MANAGED_FIELDS_FIELDS);
}

/** Checks apiVersion/kind of a request body and fills them in when absent. */
export function checkTypeMeta(type: ResourceType, body: unknown): KubeObject {
  if (!isDict(body)) throw badRequest(`the object provided is unrecognized (must be of type ${type.kind})`);
  const apiVersion = apiVersionOf(type);
  if (body.kind !== undefined && body.kind !== type.kind) {
    throw badRequest(`the kind of the object provided (${JSON.stringify(body.kind)}) does not match the expected kind (${type.kind})`);
  }
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${JSON.stringify(body.apiVersion)}) does not match the expected API version (${apiVersion})`);
  }
  if (body.metadata !== undefined && body.metadata !== null && !isDict(body.metadata)) throw badRequest('metadata must be an object');
  const decodeError = objectMetaDecodeError(dict(body.metadata));
  if (decodeError !== undefined) {
    throw badRequest(`${type.kind} in version ${JSON.stringify(type.version)} cannot be handled as a ${type.kind}: ${decodeError}`);
  }
  return { apiVersion, kind: type.kind, ...body, metadata: { ...dict(body.metadata) } };
}

function scopeNamespace(type: ResourceType, meta: Dict, namespace: string | undefined): void {
  if (!type.namespaced) {
    delete meta.namespace;
    return;
  }
  if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  meta.namespace = namespace;
}

/** Refuses new objects in a missing or terminating namespace, or for a terminating CRD. */
function checkCreatable(core: Core, type: ResourceType, namespace: string, name: string): void {
  if (type.namespaced) {
    const ns = core.store.get(NAMESPACE_STORAGE_KEY, '', namespace);
    if (ns === undefined) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (isDeleting(ns)) {
      throw forbidden(groupResourceOf(type), name, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }
  if (type.crdName !== undefined) {
    const crd = core.store.get(CRD_STORAGE_KEY, '', type.crdName);
    if (crd !== undefined && isDeleting(crd)) {
      throw new ApiError(405, 'MethodNotAllowed', `create not allowed while custom resource definition is terminating`);
    }
  }
}

/** The type's server-side defaults (`onWrite`) applied to a private copy of `obj`. */
function withDefaults(core: Core, type: ResourceType, obj: KubeObject, old: KubeObject | undefined): KubeObject {
  if (type.onWrite === undefined) return obj;
  const ctx: WriteContext = { old, peers: () => [...core.store.snapshot(type.storageKey, undefined).values()].map((o) => core.present(type, o)) };
  return type.onWrite(clone(obj), ctx);
}

export function createObject(core: Core, type: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions): WriteResult {
  const obj = checkTypeMeta(type, body);
  const meta = obj.metadata as Dict;
  scopeNamespace(type, meta, namespace);
  if ((meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '') {
    meta.name = generateName(meta.generateName);
  }
  if (typeof meta.name !== 'string' || meta.name === '') {
    const causes = [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }];
    throw invalid(type.group, type.kind, '', `${kindWithGroup(type)} "" is invalid: metadata.name: Required value: name or generateName is required`, causes);
  }
  const name = meta.name;
  const ns = type.namespaced ? (namespace ?? '') : '';
  meta.uid = newUid();
  meta.creationTimestamp = nowTimestamp();
  for (const f of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'resourceVersion', 'selfLink']) delete meta[f];
  if (type.tracksGeneration) meta.generation = 1;
  else delete meta.generation;
  if (type.statusSubresource) delete obj.status;
  type.onCreate?.(obj);
  const admitted = admit(core, type, withDefaults(core, type, obj, undefined), undefined, opts);
  checkCreatable(core, type, ns, name);
  if (core.store.get(type.storageKey, ns, name) !== undefined) throw alreadyExists(groupResourceOf(type), name);
  if (opts.dryRun) return { object: admitted, created: true };
  const [change] = core.commit([{ key: type.storageKey, namespace: ns, name, object: core.toStorage(type, admitted) }]);
  return { object: core.present(type, change?.object ?? admitted), created: true };
}

/** The fields of an object that make up its "spec" for generation purposes. */
function specPart(type: ResourceType, obj: KubeObject): Dict {
  const { metadata: _m, status, ...rest } = obj;
  return type.statusSubresource ? rest : { ...rest, status };
}

export function carrySystemMetadata(type: ResourceType, next: KubeObject, old: KubeObject): void {
  const meta = next.metadata as Dict;
  const oldMeta = metadataOf(old);
  if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== oldMeta.uid) {
    const message = `Invalid value: ${JSON.stringify(meta.uid)}: field is immutable`;
    const name = String(oldMeta.name);
    throw invalid(type.group, type.kind, name, `${kindWithGroup(type)} ${JSON.stringify(name)} is invalid: metadata.uid: ${message}`, [{ reason: 'FieldValueInvalid', field: 'metadata.uid', message }]);
  }
  for (const f of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace']) {
    if (oldMeta[f] === undefined) delete meta[f];
    else meta[f] = oldMeta[f];
  }
  if (meta.managedFields === undefined && oldMeta.managedFields !== undefined) meta.managedFields = oldMeta.managedFields;
  delete meta.selfLink;
}

/** Builds the candidate from the request body per endpoint (main vs /status). */
export function candidate(type: ResourceType, body: KubeObject, old: KubeObject, subresource: 'status' | undefined): KubeObject {
  if (subresource === 'status') {
    const next = clone(old);
    if (body.status === undefined) delete next.status;
    else next.status = body.status;
    const managed = metadataOf(body).managedFields;
    if (managed !== undefined) (next.metadata as Dict).managedFields = managed;
    return next;
  }
  const next: KubeObject = { ...body, metadata: { ...metadataOf(body) } };
  if (type.statusSubresource) {
    if (old.status === undefined) delete next.status;
    else next.status = old.status;
  }
  carrySystemMetadata(type, next, old);
  return next;
}

function checkVersion(type: ResourceType, body: KubeObject, old: KubeObject, name: string): void {
  const rv = metaString(body, 'resourceVersion');
  if (rv === undefined || rv === '') {
    if (type.unconditionalUpdate) return;
    const message = 'Invalid value: 0: must be specified for an update';
    throw invalid(type.group, type.kind, name, `${kindWithGroup(type)} ${JSON.stringify(name)} is invalid: metadata.resourceVersion: ${message}`, [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message }]);
  }
  if (rv !== metaString(old, 'resourceVersion')) throw conflict(groupResourceOf(type), name, STALE_OBJECT);
}

export function checkIdentity(type: ResourceType, body: KubeObject, namespace: string | undefined, name: string): void {
  const meta = body.metadata as Dict;
  if (meta.name === undefined || meta.name === '') meta.name = name;
  if (meta.name !== name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  scopeNamespace(type, meta, namespace);
}

/**
 * Namespaces: only `/finalize` may change `spec.finalizers` in Kubernetes (the namespace
 * strategy's PrepareForUpdate keeps the old ones), so an update never releases `kubernetes`.
 */
function keepNamespaceFinalizers(type: ResourceType, next: KubeObject, old: KubeObject): void {
  if (type.storageKey !== NAMESPACE_STORAGE_KEY) return;
  const before = dict(old.spec).finalizers;
  const spec = { ...dict(next.spec) };
  if (before === undefined) delete spec.finalizers;
  else spec.finalizers = clone(before);
  if (next.spec === undefined && Object.keys(spec).length === 0) return;
  next.spec = spec;
}

/**
 * Commits `next` over `old` (both in the requested version's form): admission (defaults,
 * pruning, validation) first, then generation and no-op detection on the admitted object, and
 * removal once a deleting object has nothing left holding it (`pendingFinalizers`, which
 * includes a namespace's `spec.finalizers`).
 */
export function commitUpdate(core: Core, type: ResourceType, old: KubeObject, candidateObject: KubeObject, opts: WriteOptions): KubeObject {
  delete (candidateObject.metadata as Dict).resourceVersion;
  keepNamespaceFinalizers(type, candidateObject, old);
  const next = withDefaults(core, type, candidateObject, old);
  const admitted = admit(core, type, next, old, opts);
  const meta = { ...metadataOf(admitted) };
  if (type.tracksGeneration) {
    const gen = typeof metadataOf(old).generation === 'number' ? (metadataOf(old).generation as number) : 1;
    meta.generation = deepEqual(specPart(type, admitted), specPart(type, old)) ? gen : gen + 1;
  }
  const result: KubeObject = { ...admitted, metadata: meta };
  const { resourceVersion: oldVersion, ...oldMetaRest } = metadataOf(old);
  if (deepEqual(result, { ...old, metadata: oldMetaRest })) return old;
  if (opts.dryRun) return { ...result, metadata: { ...meta, resourceVersion: oldVersion } };
  const ns = metaString(old, 'namespace') ?? '';
  const name = metaString(old, 'name') ?? '';
  const writes: Write[] = [{ key: type.storageKey, namespace: ns, name, object: core.toStorage(type, result) }];
  if (isDeleting(result) && pendingFinalizers(type, result).length === 0) writes.push({ key: type.storageKey, namespace: ns, name, object: undefined });
  const changes = core.commit(writes);
  const last = changes[changes.length - 1];
  return last === undefined ? result : core.present(type, last.object);
}

export function updateObject(
  core: Core,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  subresource: 'status' | undefined,
  body: unknown,
  opts: WriteOptions,
): WriteResult {
  const obj = checkTypeMeta(type, body);
  checkIdentity(type, obj, namespace, name);
  const ns = type.namespaced ? (namespace ?? '') : '';
  const stored = core.store.get(type.storageKey, ns, name);
  if (stored === undefined) {
    if (type.createOnUpdate && subresource === undefined) return createObject(core, type, namespace, obj, opts);
    throw notFound(groupResourceOf(type), name);
  }
  const old = core.present(type, stored);
  checkVersion(type, obj, old, name);
  const next = candidate(type, obj, old, subresource);
  return { object: commitUpdate(core, type, old, next, opts), created: false };
}
