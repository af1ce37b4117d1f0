// Structural pruning and defaulting of custom resources
// (apiextensions-apiserver pkg/apiserver/schema/pruning and .../defaulting, v1.32).
//
// Guarantees (all functions mutate their argument in place; callers pass a deep copy):
// - `prune`: drops every field the schema does not specify, unless the node has
//   `x-kubernetes-preserve-unknown-fields: true` (known fields below it are still pruned by their
//   own schemas). At the resource root and at `x-kubernetes-embedded-resource` nodes `apiVersion`,
//   `kind` and `metadata` are kept; `metadata` itself is left untouched (it is the server's
//   business, not the schema's). `x-kubernetes-int-or-string` values are kept as they are. A map
//   under a schemaless `additionalProperties: true` is emptied, as the real algorithm does.
// - `pruneNonNullableNulls`: removes `null` fields whose schema is neither `nullable` nor
//   defaulted (PruneNonNullableNullsWithoutDefaults), so `{x: null}` reads as "x absent".
// - `applyDefaults`: sets a property's `default` (deep-copied) where the property is absent, or
//   `null` and not nullable; then descends, so nested defaults apply wherever the parent exists,
//   including parents that were just defaulted. Array items and additionalProperties values
//   are defaulted the same way.
import type { JSONSchemaProps } from './types.ts';
import { deepCopy, isObject } from './types.ts';

const META_FIELDS = ['apiVersion', 'kind', 'metadata'];

function pruneMap(x: Record<string, unknown>, s: JSONSchemaProps | undefined, keepMeta: boolean): void {
  if (!s) {
    for (const k of Object.keys(x)) delete x[k];
    return;
  }
  const ap = s.additionalProperties;
  for (const [k, v] of Object.entries(x)) {
    if (keepMeta && META_FIELDS.includes(k)) {
      if (k !== 'metadata') pruneNode(v, s.properties?.[k], false);
      continue;
    }
    const prop = s.properties?.[k];
    if (prop) pruneNode(v, prop, false);
    else if (ap !== undefined && ap !== false) pruneNode(v, ap === true ? undefined : ap, false);
    else if (!s['x-kubernetes-preserve-unknown-fields']) delete x[k];
  }
}

function pruneNode(x: unknown, s: JSONSchemaProps | undefined, isRoot: boolean): void {
  if (s?.['x-kubernetes-int-or-string'] && !isObject(x) && !Array.isArray(x)) return;
  if (isObject(x)) {
    if (s?.['x-kubernetes-preserve-unknown-fields'] && !s.properties && s.additionalProperties === undefined) return;
    pruneMap(x, s, isRoot || s?.['x-kubernetes-embedded-resource'] === true);
  } else if (Array.isArray(x)) {
    if (s?.['x-kubernetes-preserve-unknown-fields'] && !s.items) return;
    for (const item of x) pruneNode(item, s?.items, false);
  }
}

/** Prunes a whole custom resource (the schema is the version's `openAPIV3Schema`). */
export function prune(obj: Record<string, unknown>, schema: JSONSchemaProps): void {
  pruneNode(obj, schema, true);
}

/** Prunes a value against a (sub)schema, as used to check that a `default` is pruned. */
export function pruneValue(value: unknown, schema: JSONSchemaProps): void {
  pruneNode(value, schema, schema['x-kubernetes-embedded-resource'] === true);
}

const dropsNull = (s: JSONSchemaProps | undefined): boolean =>
  s !== undefined && !s.nullable && s.default === undefined;

export function pruneNonNullableNulls(x: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (Array.isArray(x)) {
    for (const item of x) pruneNonNullableNulls(item, s.items);
    return;
  }
  if (!isObject(x)) return;
  const ap = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  for (const [k, v] of Object.entries(x)) {
    const prop = s.properties?.[k] ?? ap;
    if (v === null && dropsNull(prop)) delete x[k];
    else pruneNonNullableNulls(v, prop);
  }
}

const needsDefault = (v: unknown, s: JSONSchemaProps): boolean =>
  s.default !== undefined && (v === undefined || (v === null && !s.nullable));

export function applyDefaults(x: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (Array.isArray(x)) {
    const items = s.items;
    if (!items) return;
    x.forEach((v, i) => {
      if (v === null && needsDefault(v, items)) x[i] = deepCopy(items.default);
      applyDefaults(x[i], items);
    });
    return;
  }
  if (!isObject(x)) return;
  for (const [k, prop] of Object.entries(s.properties ?? {})) {
    if (needsDefault(x[k], prop)) x[k] = deepCopy(prop.default);
  }
  const ap = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  for (const k of Object.keys(x)) {
    const prop = s.properties?.[k];
    if (prop) {
      applyDefaults(x[k], prop);
    } else if (ap) {
      if (x[k] === null && needsDefault(null, ap)) x[k] = deepCopy(ap.default);
      applyDefaults(x[k], ap);
    }
  }
}
