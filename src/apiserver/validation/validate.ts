// OpenAPI v3 value validation of custom resources, with the messages the real server builds
// (kube-openapi pkg/validation/validate + apiextensions-apiserver kubeOpenAPIResultToFieldErrors,
// Kubernetes 1.32), list-type set/map uniqueness (structurallisttype), and validation ratcheting
// (CRDValidationRatcheting, on by default since 1.30: on update, a value deep-equal to its
// correlated old value is not re-validated, so objects stored under an older schema stay
// updatable).
//
// Guarantees: types (`integer` rejects non-integral numbers, `x-kubernetes-int-or-string`,
// `nullable`), `enum`, `required`, `pattern`, `format` (./formats.ts), `minimum`/`maximum`
// (+ exclusive), `multipleOf`, `minLength`/`maxLength` (in code points, as Go counts runes),
// `minItems`/`maxItems`, `minProperties`/`maxProperties`, `allOf`/`anyOf`/`oneOf`/`not`, with the
// real cause types and bodies, e.g. `Invalid value: "integer": spec.x in body must be of type
// string: "integer"`, `Too long: may not be more than 5 bytes`, `Too many: 3: must have at most 2
// items`. Correlation for ratcheting follows object keys, map values, `x-kubernetes-list-type:
// map` items by key and `set` items by value; atomic lists are not correlated (as upstream).
// Deviation: causes come out in schema order; Go iterates maps randomly, so the real order varies.
import { compilePattern } from './regex.ts';
import { conformsToFormat } from './formats.ts';
import type { FieldCause, JSONSchemaProps } from './types.ts';
import { FieldPath, deepEqual, fieldErrors, goNumber, isObject } from './types.ts';

/** A correlated old value (present only on update, only where correlation is possible). */
export interface OldValue {
  value: unknown;
}

export interface Sink {
  schema: FieldCause[];
  lists: FieldCause[];
}

export function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

function expectedType(s: JSONSchemaProps): string | undefined {
  return s['x-kubernetes-int-or-string'] ? 'integer,string' : s.type;
}

function typeMatches(expected: string, actual: string): boolean {
  if (expected === 'integer,string') return actual === 'integer' || actual === 'string';
  if (expected === 'number') return actual === 'number' || actual === 'integer';
  return expected === actual;
}

function checkType(s: JSONSchemaProps, v: unknown, p: FieldPath, out: FieldCause[]): boolean {
  const expected = expectedType(s);
  if (!expected) return true;
  const actual = jsonType(v);
  if (actual === 'null' && s.nullable) return true;
  if (typeMatches(expected, actual)) return true;
  out.push(fieldErrors.typeInvalid(p, actual, `${p.text} in body must be of type ${expected}: "${actual}"`));
  return false;
}

function checkEnum(s: JSONSchemaProps, v: unknown, p: FieldPath, out: FieldCause[]): void {
  if (!s.enum || s.enum.length === 0 || s.enum.some((e) => deepEqual(e, v))) return;
  const shown = s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
  out.push(fieldErrors.notSupported(p, v, shown));
}

function checkString(s: JSONSchemaProps, v: string, p: FieldPath, out: FieldCause[]): void {
  const len = [...v].length;
  if (s.maxLength !== undefined && len > s.maxLength) out.push(fieldErrors.tooLong(p, s.maxLength));
  if (s.minLength !== undefined && len < s.minLength) {
    out.push(fieldErrors.invalid(p, v, `${p.text} in body should be at least ${s.minLength} chars long`));
  }
  if (s.pattern !== undefined && !patternMatches(s.pattern, v)) {
    out.push(fieldErrors.invalid(p, v, `${p.text} in body should match '${s.pattern}'`));
  }
  if (s.format !== undefined && !conformsToFormat(s.format, v)) {
    out.push(fieldErrors.typeInvalid(p, v, `${p.text} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
  }
}

function patternMatches(pattern: string, v: string): boolean {
  try {
    return compilePattern(pattern).test(v);
  } catch {
    // Unreachable for CRDs accepted by validateCrdSchema, which rejects such patterns.
    return true;
  }
}

function checkNumber(s: JSONSchemaProps, v: number, p: FieldPath, out: FieldCause[]): void {
  const at = `${p.text} in body should be`;
  if (s.multipleOf !== undefined && s.multipleOf > 0 && !Number.isInteger(v / s.multipleOf)) {
    out.push(fieldErrors.invalid(p, v, `${at} a multiple of ${goNumber(s.multipleOf)}`));
  }
  if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
    const rel = s.exclusiveMaximum ? 'less than' : 'less than or equal to';
    out.push(fieldErrors.invalid(p, v, `${at} ${rel} ${goNumber(s.maximum)}`));
  }
  if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
    const rel = s.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
    out.push(fieldErrors.invalid(p, v, `${at} ${rel} ${goNumber(s.minimum)}`));
  }
}

function checkArrayBounds(s: JSONSchemaProps, v: unknown[], p: FieldPath, out: FieldCause[]): void {
  if (s.minItems !== undefined && v.length < s.minItems) {
    out.push(fieldErrors.invalid(p, v.length, `${p.text} in body should have at least ${s.minItems} items`));
  }
  if (s.maxItems !== undefined && v.length > s.maxItems) out.push(fieldErrors.tooMany(p, v.length, s.maxItems));
}

function checkObjectBounds(s: JSONSchemaProps, v: Record<string, unknown>, p: FieldPath, out: FieldCause[]): void {
  const n = Object.keys(v).length;
  if (s.minProperties !== undefined && n < s.minProperties) {
    out.push(fieldErrors.invalid(p, n, `${p.text} in body should have at least ${s.minProperties} properties`));
  }
  if (s.maxProperties !== undefined && n > s.maxProperties) out.push(fieldErrors.tooMany(p, n, s.maxProperties));
}

// ---------------------------------------------------------------------------------------------
// Correlation of old values

function mapKeyOf(item: unknown, keys: readonly string[]): string | undefined {
  if (!isObject(item)) return undefined;
  return JSON.stringify(keys.map((k) => item[k] ?? null));
}

/** The old value correlated with `v[index]`, for map and set lists only. */
export function correlateItem(s: JSONSchemaProps, item: unknown, old: OldValue | undefined): OldValue | undefined {
  if (!old || !Array.isArray(old.value)) return undefined;
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') {
    return old.value.some((o) => deepEqual(o, item)) ? { value: item } : undefined;
  }
  if (listType !== 'map') return undefined;
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  const key = mapKeyOf(item, keys);
  const list: unknown[] = old.value;
  const match = list.find((o) => key !== undefined && mapKeyOf(o, keys) === key);
  return match === undefined ? undefined : { value: match };
}

export function correlateField(k: string, old: OldValue | undefined): OldValue | undefined {
  if (!old || !isObject(old.value) || !Object.hasOwn(old.value, k)) return undefined;
  return { value: old.value[k] };
}

// ---------------------------------------------------------------------------------------------
// The walk

function checkListUniqueness(s: JSONSchemaProps, v: unknown[], p: FieldPath, out: FieldCause[]): void {
  const listType = s['x-kubernetes-list-type'];
  if (listType !== 'set' && listType !== 'map') return;
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Set<string>();
  v.forEach((item, i) => {
    const id = listType === 'set' ? JSON.stringify(item) : mapKeyOf(item, keys);
    if (id === undefined) return;
    if (seen.has(id)) {
      const shown = listType === 'set' || !isObject(item) ? item : Object.fromEntries(keys.map((k) => [k, item[k]]));
      out.push(fieldErrors.duplicate(p.index(i), shown));
    }
    seen.add(id);
  });
}

function walkChildren(s: JSONSchemaProps, v: unknown, p: FieldPath, old: OldValue | undefined, sink: Sink): void {
  if (Array.isArray(v)) {
    const items = s.items;
    if (items) v.forEach((item, i) => validateNode(items, item, p.index(i), correlateItem(s, item, old), sink));
    return;
  }
  if (!isObject(v)) return;
  const ap = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  for (const [k, prop] of Object.entries(s.properties ?? {})) {
    if (Object.hasOwn(v, k)) validateNode(prop, v[k], p.child(k), correlateField(k, old), sink);
  }
  if (!ap) return;
  for (const [k, val] of Object.entries(v)) {
    if (!s.properties?.[k]) validateNode(ap, val, p.child(k), correlateField(k, old), sink);
  }
}

function checkRequired(s: JSONSchemaProps, v: unknown, p: FieldPath, out: FieldCause[]): void {
  if (!isObject(v)) return;
  for (const r of s.required ?? []) {
    if (!Object.hasOwn(v, r)) out.push(fieldErrors.required(p.child(r)));
  }
}

function combinators(s: JSONSchemaProps, v: unknown, p: FieldPath, out: FieldCause[]): void {
  const quoted = JSON.stringify(p.text);
  const root = FieldPath.root();
  const run = (sub: JSONSchemaProps): FieldCause[] => {
    const sink: Sink = { schema: [], lists: [] };
    validateNode(sub, v, p, undefined, sink);
    return sink.schema;
  };
  if (s.anyOf?.length) {
    const results = s.anyOf.map(run);
    if (!results.some((r) => r.length === 0)) {
      out.push(fieldErrors.invalid(root, '', `${quoted} must validate at least one schema (anyOf)`), ...(results[0] ?? []));
    }
  }
  if (s.oneOf?.length) {
    const results = s.oneOf.map(run);
    const valid = results.filter((r) => r.length === 0).length;
    if (valid !== 1) {
      const extra = valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`;
      out.push(fieldErrors.invalid(root, '', `${quoted} must validate one and only one schema (oneOf). ${extra}`));
      if (valid === 0) out.push(...(results[0] ?? []));
    }
  }
  if (s.allOf?.length) {
    const results = s.allOf.map(run);
    const valid = results.filter((r) => r.length === 0).length;
    out.push(...results.flat());
    if (valid !== results.length) {
      out.push(fieldErrors.invalid(root, '', `${quoted} must validate all the schemas (allOf)${valid === 0 ? '. None validated' : ''}`));
    }
  }
  if (s.not && run(s.not).length === 0) {
    out.push(fieldErrors.invalid(root, '', `${quoted} must not validate the schema (not)`));
  }
}

function checkValue(s: JSONSchemaProps, v: unknown, p: FieldPath, out: FieldCause[]): void {
  if (typeof v === 'string') checkString(s, v, p, out);
  else if (typeof v === 'number') checkNumber(s, v, p, out);
  else if (Array.isArray(v)) checkArrayBounds(s, v, p, out);
  else if (isObject(v)) checkObjectBounds(s, v, p, out);
}

/** Validates `v` against `s`, appending schema causes and list-uniqueness causes to `sink`. */
export function validateNode(s: JSONSchemaProps, v: unknown, p: FieldPath, old: OldValue | undefined, sink: Sink): void {
  if (old && deepEqual(old.value, v)) return;
  const out = sink.schema;
  const typeOk = checkType(s, v, p, out);
  combinators(s, v, p, out);
  if (v === null) {
    checkEnum(s, v, p, out);
    return;
  }
  if (typeOk) checkValue(s, v, p, out);
  checkEnum(s, v, p, out);
  if (!typeOk) return;
  walkChildren(s, v, p, old, sink);
  checkRequired(s, v, p, out);
  if (Array.isArray(v)) checkListUniqueness(s, v, p, sink.lists);
}
