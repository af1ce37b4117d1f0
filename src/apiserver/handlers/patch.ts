// PATCH: the patch types of the real server, each turned into an update of the current object
// (so every update rule in mutate.ts applies, including optimistic locking when the patch
// carries metadata.resourceVersion):
//   application/merge-patch+json            RFC 7386
//   application/json-patch+json             RFC 6902 (with `test`)
//   application/strategic-merge-patch+json  built-in kinds only; custom resources → 415
//   application/apply-patch+yaml            server-side apply (patch/apply.ts); creates if absent
// Anything else → 415 UnsupportedMediaType.
import { parse as parseYaml } from 'yaml';
import { badRequest, conflict, notFound, STALE_OBJECT, unsupportedMediaType } from '../errors.ts';
import { isDict, metaString } from '../meta.ts';
import { serverSideApply } from '../patch/apply.ts';
import { applyJsonPatch } from '../patch/json.ts';
import { applyMergePatch } from '../patch/merge.ts';
import { applyStrategicMergePatch } from '../patch/strategic.ts';
import type { ResourceType } from '../registry/types.ts';
import { apiVersionOf, groupResource } from '../registry/types.ts';
import type { KubeObject } from '../types.ts';
import type { Core } from './core.ts';
import { candidate, checkIdentity, checkTypeMeta, commitUpdate, createObject, type WriteOptions, type WriteResult } from './mutate.ts';

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

export function acceptedPatchTypes(type: ResourceType): string[] {
  return type.strategicMerge ? [JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH] : [JSON_PATCH, MERGE_PATCH, APPLY_PATCH];
}

export interface PatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  name: string;
  subresource: 'status' | undefined;
  contentType: string;
  body: string;
  fieldManager: string | undefined;
  force: boolean;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function parseApplyConfig(text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text) as unknown;
  } catch (err) {
    throw badRequest(`error decoding YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isDict(doc)) throw badRequest('error decoding YAML: the apply configuration must be an object');
  if (typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') {
    throw badRequest('invalid object type: apply configurations need apiVersion and kind');
  }
  return doc;
}

function patched(req: PatchRequest, current: KubeObject): unknown {
  const { type } = req;
  switch (req.contentType) {
    case MERGE_PATCH: {
      const patch = parseJson(req.body);
      if (!isDict(patch)) throw badRequest('a merge patch of an object must be a JSON object');
      return applyMergePatch(current, patch);
    }
    case JSON_PATCH:
      return applyJsonPatch(current, parseJson(req.body));
    case STRATEGIC_PATCH: {
      const patch = parseJson(req.body);
      if (!isDict(patch)) throw badRequest('a strategic merge patch must be a JSON object');
      return applyStrategicMergePatch(current, patch, { group: type.group, version: type.version, kind: type.kind });
    }
    default:
      throw unsupportedMediaType(req.contentType, acceptedPatchTypes(type));
  }
}

function apply(core: Core, req: PatchRequest, current: KubeObject | undefined, opts: WriteOptions): WriteResult {
  const { type } = req;
  if (req.fieldManager === undefined || req.fieldManager === '') throw badRequest('PATCH, application/apply-patch+yaml requires fieldManager to be set');
  const config = checkTypeMeta(type, parseApplyConfig(req.body));
  checkIdentity(type, config, req.namespace, req.name);
  const next = serverSideApply({
    live: current,
    config,
    manager: req.fieldManager,
    force: req.force,
    apiVersion: apiVersionOf(type),
    subresource: req.subresource,
    skipStatus: type.statusSubresource && req.subresource === undefined,
    gr: groupResource(type),
    name: req.name,
  });
  if (current === undefined) {
    if (req.subresource !== undefined) throw notFound(groupResource(type), req.name);
    return createObject(core, type, req.namespace, next, opts);
  }
  const rv = metaString(config, 'resourceVersion');
  if (rv !== undefined && rv !== metaString(current, 'resourceVersion')) throw conflict(groupResource(type), req.name, STALE_OBJECT);
  return { object: commitUpdate(core, type, current, candidate(type, { ...next, apiVersion: apiVersionOf(type), kind: type.kind }, current, req.subresource), opts), created: false };
}

export function patchObject(core: Core, req: PatchRequest, opts: WriteOptions): WriteResult {
  const { type } = req;
  const accepted = acceptedPatchTypes(type);
  if (!accepted.includes(req.contentType)) throw unsupportedMediaType(req.contentType, accepted);
  const ns = type.namespaced ? (req.namespace ?? '') : '';
  const stored = core.store.get(type.storageKey, ns, req.name);
  const current = stored === undefined ? undefined : core.present(type, stored);
  if (req.contentType === APPLY_PATCH) return apply(core, req, current, opts);
  if (current === undefined) throw notFound(groupResource(type), req.name);
  const body = checkTypeMeta(type, patched(req, current));
  checkIdentity(type, body, req.namespace, req.name);
  const rv = metaString(body, 'resourceVersion');
  if (rv !== undefined && rv !== metaString(current, 'resourceVersion')) throw conflict(groupResource(type), req.name, STALE_OBJECT);
  return { object: commitUpdate(core, type, current, candidate(type, body, current, req.subresource), opts), created: false };
}
