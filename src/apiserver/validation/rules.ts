// Evaluation of `x-kubernetes-validations` over a custom resource, as
// apiextensions-apiserver pkg/apiserver/schema/cel/validation.go does it (Kubernetes 1.32):
// - rules run at every node whose value is present (absent or null values are skipped);
// - transition rules (those naming `oldSelf`) run only on update and only where the node has a
//   correlated old value (object fields, map values, list-type map/set items);
// - a failed rule yields `fieldErrorForReason(path[.fieldPath], <schema type>, message)`:
//   `Invalid value: "object": <message>` (or Forbidden/Required/Duplicate per `reason`); the
//   message is `messageExpression`'s result, else `message`, else `failed rule: <rule>`;
// - runtime errors yield `Invalid value: "<type>": <err> evaluating rule: <rule or message>`, a
//   rule the subset cannot parse yields `rule compile error: <detail>`;
// - ratcheting: on update, a non-transition rule failing on a value equal to its old value is
//   not reported (the real server downgrades it to a warning).
// At the resource root `self.metadata` holds only `name` and `generateName`, as upstream.
import { CelCompileError, CelEvalError, compileRule, evaluateRule } from './cel.ts';
import type { FieldCause, JSONSchemaProps, ValidationRule } from './types.ts';
import { FieldPath, deepEqual, fieldErrors, isObject } from './types.ts';
import type { OldValue } from './validate.ts';
import { correlateField, correlateItem } from './validate.ts';

function schemaTypeName(s: JSONSchemaProps): string {
  return s['x-kubernetes-int-or-string'] ? '' : (s.type ?? '');
}

function ruleText(rule: ValidationRule): string {
  return rule.message?.trim() ? rule.message.trim() : rule.rule.trim();
}

function defaultMessage(rule: ValidationRule): string {
  return rule.message?.trim() ? rule.message.trim() : `failed rule: ${rule.rule.trim()}`;
}

function errorForReason(rule: ValidationRule, p: FieldPath, typeName: string, detail: string): FieldCause {
  switch (rule.reason) {
    case 'FieldValueForbidden': return fieldErrors.forbidden(p, detail);
    case 'FieldValueRequired': return fieldErrors.required(p, detail);
    case 'FieldValueDuplicate': return fieldErrors.duplicate(p, typeName);
    default: return fieldErrors.invalid(p, typeName, detail);
  }
}

function failureMessage(rule: ValidationRule, self: unknown, old: OldValue | undefined): string {
  if (!rule.messageExpression) return defaultMessage(rule);
  try {
    const msg = evaluateRule(compileRule(rule.messageExpression), self, old);
    return typeof msg === 'string' && msg.trim() !== '' && !msg.includes('\n') ? msg : defaultMessage(rule);
  } catch {
    return defaultMessage(rule);
  }
}

function runtimeError(err: CelEvalError, rule: ValidationRule, p: FieldPath, typeName: string): FieldCause {
  if (err.message.startsWith('no such overload')) {
    return fieldErrors.invalid(
      p,
      typeName,
      `'${err.message}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleText(rule)}`,
    );
  }
  return fieldErrors.invalid(p, typeName, `${err.message} evaluating rule: ${ruleText(rule)}`);
}

interface NodeCtx {
  s: JSONSchemaProps;
  self: unknown;
  p: FieldPath;
  old: OldValue | undefined;
  ratchet: boolean;
}

function evalRule(rule: ValidationRule, n: NodeCtx, out: FieldCause[]): void {
  const typeName = schemaTypeName(n.s);
  let compiled;
  try {
    compiled = compileRule(rule.rule);
  } catch (err) {
    if (!(err instanceof CelCompileError)) throw err;
    out.push(fieldErrors.invalid(n.p, typeName, `rule compile error: compilation failed: ${err.message}`));
    return;
  }
  if (compiled.usesOldSelf && !n.old) return;
  let result: unknown;
  try {
    result = evaluateRule(compiled, n.self, compiled.usesOldSelf ? n.old : undefined);
  } catch (err) {
    if (!(err instanceof CelEvalError)) throw err;
    out.push(runtimeError(err, rule, n.p, typeName));
    return;
  }
  if (result === true) return;
  if (!compiled.usesOldSelf && n.ratchet) return;
  const path = rule.fieldPath ? n.p.child(rule.fieldPath.replace(/^\./, '')) : n.p;
  out.push(errorForReason(rule, path, typeName, failureMessage(rule, n.self, n.old)));
}

function rootSelf(obj: unknown): unknown {
  if (!isObject(obj) || !isObject(obj.metadata)) return obj;
  const { name, generateName } = obj.metadata;
  const metadata: Record<string, unknown> = {};
  if (name !== undefined) metadata.name = name;
  if (generateName !== undefined) metadata.generateName = generateName;
  return { ...obj, metadata };
}

function walk(n: NodeCtx, out: FieldCause[]): void {
  const { s, self: v, p, old } = n;
  if (v === undefined || v === null) return;
  const ratchet = n.ratchet || (old !== undefined && deepEqual(old.value, v));
  for (const rule of s['x-kubernetes-validations'] ?? []) evalRule(rule, { ...n, ratchet }, out);
  for (const sub of s.allOf ?? []) walk({ s: sub, self: v, p, old, ratchet }, out);
  if (Array.isArray(v)) {
    const items = s.items;
    if (items) v.forEach((item, i) => walk({ s: items, self: item, p: p.index(i), old: correlateItem(s, item, old), ratchet }, out));
    return;
  }
  if (!isObject(v)) return;
  const ap = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  for (const [k, val] of Object.entries(v)) {
    const prop = s.properties?.[k] ?? ap;
    if (prop) walk({ s: prop, self: val, p: p.child(k), old: correlateField(k, old), ratchet }, out);
  }
}

/** True when any node of the schema carries validation rules. */
export function hasRules(s: JSONSchemaProps | undefined): boolean {
  if (!s) return false;
  if (s['x-kubernetes-validations']?.length) return true;
  const ap = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  const children = [...Object.values(s.properties ?? {}), s.items, ap, ...(s.allOf ?? [])];
  return children.some((c) => hasRules(c));
}

/** Evaluates every rule of the resource's schema; `old` is the stored object on update. */
export function validateRules(schema: JSONSchemaProps, obj: Record<string, unknown>, old: Record<string, unknown> | undefined): FieldCause[] {
  const out: FieldCause[] = [];
  const rootOld = old ? { value: rootSelf(old) } : undefined;
  const { properties } = schema;
  // Root rules see the restricted metadata; children below metadata see their own schema.
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    const ratchet = rootOld !== undefined && deepEqual(rootOld.value, rootSelf(obj));
    evalRule(rule, { s: schema, self: rootSelf(obj), p: FieldPath.root(), old: rootOld, ratchet }, out);
  }
  const rootOldRaw = old ? { value: old } : undefined;
  const ratchet = old !== undefined && deepEqual(old, obj);
  for (const sub of schema.allOf ?? []) walk({ s: sub, self: obj, p: FieldPath.root(), old: rootOldRaw, ratchet }, out);
  for (const [k, val] of Object.entries(obj)) {
    const prop = properties?.[k];
    if (prop) walk({ s: prop, self: val, p: FieldPath.root().child(k), old: correlateField(k, rootOldRaw), ratchet }, out);
  }
  return out;
}
