// OpenAPI v3 discovery, enough for kubectl 1.32:
// - `/openapi/v3` lists one document per group version (with a content hash, so kubectl's
//   cache notices new CRDs);
// - each document declares the resource paths with their PATCH operation, the
//   `x-kubernetes-group-version-kind` extension and the `fieldValidation` parameter. kubectl
//   checks exactly this to decide that the server validates fields itself (so `kubectl apply`
//   sends fieldValidation=Strict instead of downloading /openapi/v2 for client-side
//   validation, which this server does not serve);
// - components carry each CRD version's schema (so `kubectl explain` works for custom
//   resources); built-in kinds get an open object schema.
// `/openapi/v2` is an empty Swagger 2.0 document (JSON, or the gnostic protobuf encoding
// kubectl asks for). kubectl still fetches it to validate `kind: List` files client-side; with
// no definitions it skips that validation and the server validates each item instead.
import { createHash } from 'node:crypto';
import type { Registry } from './registry/registry.ts';
import type { ResourceType } from './registry/types.ts';

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string' }, uniqueItems: true }));

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function schemaName(t: ResourceType): string {
  const reversed = t.group === '' ? 'io.k8s.api.core' : t.group.split('.').reverse().join('.');
  return `${reversed}.${t.version}.${t.kind}`;
}

function operations(t: ResourceType): Record<string, unknown> {
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const ref = { $ref: `#/components/schemas/${schemaName(t)}` };
  const ok = { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } };
  const op = (action: string): Record<string, unknown> => ({
    operationId: `${action}${t.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    parameters: QUERY_PARAMS,
    responses: ok,
  });
  return { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
}

function componentSchema(t: ResourceType): Record<string, unknown> {
  const gvk = [{ group: t.group, version: t.version, kind: t.kind }];
  const base = t.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return { ...base, description: (base.description) ?? `${t.kind} (${t.resource})`, 'x-kubernetes-group-version-kind': gvk };
}

export function openapiV3Document(registry: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const t of types) {
    const prefix = `/${gvPath(group, version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}/{name}`;
    paths[prefix] = operations(t);
    if (t.statusSubresource) paths[`${prefix}/status`] = operations(t);
    schemas[schemaName(t)] = componentSchema(t);
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}

export function openapiV3Root(registry: Registry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const t of registry.all()) {
    const key = gvPath(t.group, t.version);
    if (seen.has(key)) continue;
    seen.add(key);
    const doc = openapiV3Document(registry, t.group, t.version);
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 32).toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}

/** Protobuf wire encoding of a length-delimited field (all this document needs). */
function pbField(field: number, payload: Buffer): Buffer {
  const varint: number[] = [];
  let n = payload.length;
  while (n > 0x7f) {
    varint.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  varint.push(n);
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint]), payload]);
}

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** openapi_v2.Document{swagger: "2.0", info: {title, version}} in protobuf. */
export function openapiV2Protobuf(): Buffer {
  const info = Buffer.concat([pbField(1, Buffer.from('Kubernetes')), pbField(2, Buffer.from('v1.32.0'))]);
  return Buffer.concat([pbField(1, Buffer.from('2.0')), pbField(2, info)]);
}

export function openapiV2Json(): Record<string, unknown> {
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions: {} };
}
