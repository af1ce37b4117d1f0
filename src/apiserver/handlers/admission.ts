// Validation and server-side defaulting that run on every create and update, after the verb
// has built the candidate object and before it is committed:
// - metadata of every object (name, labels, annotations, finalizers), with the real messages;
// - custom resources against their CRD version's schema (defaults, pruning, rules incl.
//   `self == oldSelf`) through the validation module;
// - CRDs: names/scope/versions and structural schema, then the status the apiextensions
//   controllers would publish (NamesAccepted/Established, acceptedNames, storedVersions).
// Failures throw 422 Invalid with `details.causes`, as the real server does.
import { badRequest, invalid, type StatusCause } from '../errors.ts';
import { dict, finalizersOf, isDict, metadataOf, nameError, nowTimestamp, isDeleting, type Dict } from '../meta.ts';
import { CRD_CLEANUP_FINALIZER, crdStatus, crdUpdateCauses, namesConflict, readCrd } from '../registry/crd.ts';
import { CRD_STORAGE_KEY } from '../registry/builtins.ts';
import type { ResourceType } from '../registry/types.ts';
import { labelValueErrors, qualifiedNameErrors } from '../selectors/index.ts';
import type { KubeObject } from '../types.ts';
import { applyCrdDefaults, formatCauses, validateCrdSchema, validateCustomResource } from '../validation/index.ts';
import type { Core } from './core.ts';

const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** How unknown fields are treated (the `fieldValidation` query parameter; default Warn). */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface AdmitContext {
  fieldValidation: FieldValidation;
  /** Warning texts for the response's `Warning` headers. */
  warnings: string[];
}

/** Paths present in `before` but pruned from `after` (nulls do not count: they are dropped silently). */
function removedFields(before: unknown, after: unknown, path: string, out: string[]): string[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    before.forEach((v, i) => removedFields(v, after[i], `${path}[${i}]`, out));
  } else if (isDict(before) && isDict(after)) {
    for (const [k, v] of Object.entries(before)) {
      const child = path === '' ? k : `${path}.${k}`;
      if (!(k in after)) {
        if (v !== null) out.push(child);
      } else {
        removedFields(v, after[k], child, out);
      }
    }
  }
  return out;
}

export function kindWithGroup(type: ResourceType): string {
  return type.group === '' ? type.kind : `${type.kind}.${type.group}`;
}

function mapCauses(field: string, value: Dict): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(value)) {
    for (const e of qualifiedNameErrors(k)) causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(k)}: ${e}` });
    if (typeof v !== 'string') {
      causes.push({ reason: 'FieldValueTypeInvalid', field: `${field}.${k}`, message: 'Invalid value: must be a string' });
    } else if (field === 'metadata.labels') {
      for (const e of labelValueErrors(v)) causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(v)}: ${e}` });
    }
  }
  return causes;
}

function metadataCauses(type: ResourceType, obj: KubeObject): StatusCause[] {
  const meta = metadataOf(obj);
  const causes: StatusCause[] = [];
  const name = typeof meta.name === 'string' ? meta.name : '';
  const err = nameError(name, type.nameIsLabel);
  if (err !== undefined) causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: ${JSON.stringify(name)}: ${err}` });
  causes.push(...mapCauses('metadata.labels', dict(meta.labels)), ...mapCauses('metadata.annotations', dict(meta.annotations)));
  if (JSON.stringify(meta.annotations ?? {}).length > ANNOTATIONS_MAX_BYTES) {
    causes.push({ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: `Too long: must have at most ${ANNOTATIONS_MAX_BYTES} bytes` });
  }
  finalizersOf(obj).forEach((f, i) => {
    for (const e of qualifiedNameErrors(f)) causes.push({ reason: 'FieldValueInvalid', field: `metadata.finalizers[${i}]`, message: `Invalid value: ${JSON.stringify(f)}: ${e}` });
  });
  return causes;
}

function finalizerCauses(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
  if (old === undefined || !isDeleting(old)) return [];
  const before = new Set(finalizersOf(old));
  const added = finalizersOf(obj).filter((f) => !before.has(f));
  if (added.length === 0) return [];
  return [{
    reason: 'FieldValueForbidden',
    field: 'metadata.finalizers',
    message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
  }];
}

function fail(type: ResourceType, obj: KubeObject, causes: StatusCause[]): never {
  const name = typeof metadataOf(obj).name === 'string' ? (metadataOf(obj).name as string) : '';
  throw invalid(type.group, type.kind, name, formatCauses(kindWithGroup(type), name, causes), causes);
}

function admitCustomResource(type: ResourceType, obj: KubeObject, old: KubeObject | undefined, ctx: AdmitContext): KubeObject {
  if (type.schema === undefined) return obj;
  const result = validateCustomResource(type.schema, obj, old);
  if (ctx.fieldValidation !== 'Ignore') {
    const { metadata: _a, ...before } = obj;
    const { metadata: _b, ...after } = result.object;
    const unknown = removedFields(before, after, '', []).map((f) => `unknown field ${JSON.stringify(f)}`);
    if (unknown.length > 0 && ctx.fieldValidation === 'Strict') {
      throw badRequest(`${type.kind} in version ${JSON.stringify(type.version)} cannot be handled as a ${type.kind}: strict decoding error: ${unknown.join(', ')}`);
    }
    ctx.warnings.push(...unknown);
  }
  if (result.causes.length > 0) fail(type, obj, result.causes);
  // Metadata is the server's business, not the schema's: keep ours exactly.
  return { ...result.object, metadata: obj.metadata };
}

function admitCrd(core: Core, type: ResourceType, submitted: KubeObject, old: KubeObject | undefined): KubeObject {
  const causes: StatusCause[] = validateCrdSchema(submitted);
  if (causes.length > 0) fail(type, submitted, causes);
  const obj = applyCrdDefaults(submitted);
  const spec = readCrd(obj);
  if (old !== undefined) causes.push(...crdUpdateCauses(spec, readCrd(old)));
  if (causes.length > 0) fail(type, obj, causes);
  const others = [...core.store.snapshot(CRD_STORAGE_KEY, '').values()].map(readCrd);
  const conflict = namesConflict(spec, others);
  const meta = { ...metadataOf(obj) };
  if (old === undefined && !finalizersOf(obj).includes(CRD_CLEANUP_FINALIZER)) {
    meta.finalizers = [...finalizersOf(obj), CRD_CLEANUP_FINALIZER];
  }
  const previousStatus = old === undefined ? undefined : old.status;
  return { ...obj, metadata: meta, status: crdStatus(spec, conflict, isDeleting(obj), previousStatus, nowTimestamp()) };
}

/**
 * Validates `obj` (the candidate, stored form) against `old` (undefined on create) and returns
 * the object to commit, with server-side defaults applied. Throws ApiError 422 on failure.
 */
export function admit(core: Core, type: ResourceType, obj: KubeObject, old: KubeObject | undefined, ctx: AdmitContext): KubeObject {
  const causes = [...metadataCauses(type, obj), ...finalizerCauses(obj, old)];
  if (causes.length > 0) fail(type, obj, causes);
  if (type.crdName !== undefined) return admitCustomResource(type, obj, old, ctx);
  if (type.storageKey === CRD_STORAGE_KEY) return admitCrd(core, type, obj, old);
  return obj;
}
