// Validation of CustomResourceDefinition objects (apiextensions.k8s.io/v1) as the real server
// does at create/update (apiextensions-apiserver pkg/apis/apiextensions/validation and
// pkg/apiserver/schema/validation.go, Kubernetes 1.32), with the real paths and texts, e.g.
// `spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be
// empty for specified object fields`.
//
// Guarantees: group, names (DNS-1035 plural/singular/shortNames/categories, kind/listKind,
// `metadata.name == plural.group`), scope, versions (unique names, exactly one storage, a
// schema each), printer columns, and for every schema node: the forbidden keywords (`$ref`,
// `id`, `patternProperties`, `definitions`, `dependencies`, `additionalItems`, `uniqueItems`,
// tuple `items`, `type: null`), `properties` + `additionalProperties` exclusivity, structural
// invariants (a type everywhere except int-or-string / preserve-unknown-fields nodes, `items`
// for arrays, object at the root, root metadata restricted to name/generateName, string
// kind/apiVersion, value validations (allOf/anyOf/oneOf/not) free of structural keywords),
// list-type/map-keys consistency, patterns compilable under RE2 rules, defaults that are pruned
// and valid, and rules this server's CEL subset can parse.
// Deviations: a rule outside the CEL subset (./cel.ts) is REJECTED here with
// `rule compile error`-style detail naming the rule, rather than accepted and silently skipped;
// CEL cost estimation and `selectableFields`, conversion webhooks and status checks are not
// validated. `singular` and `listKind` are derived when absent (v1 defaulting), not required.
import { compileRule, CelCompileError } from './cel.ts';
import { compilePattern, PatternError } from './regex.ts';
import { pruneValue } from './prune.ts';
import type { FieldCause, JSONSchemaProps } from './types.ts';
import { FieldPath, deepCopy, deepEqual, fieldErrors, isObject } from './types.ts';
import { validateNode } from './validate.ts';

const DNS1035_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_RE = new RegExp(`^${DNS1035_FMT}$`);
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const DNS1123_SUB_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const DNS1123_SUB_RE = new RegExp(`^${DNS1123_SUB_FMT}$`);
const DNS1123_SUB_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const OPENAPI_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'name', 'password'];
const RULE_REASONS = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];

export function dns1035Errors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1035_RE.test(v)) {
    errs.push(`${DNS1035_MSG} (e.g. 'my-name', or 'abc-123', regex used for validation is '${DNS1035_FMT}')`);
  }
  return errs;
}

function dns1123SubdomainErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUB_RE.test(v)) errs.push(`${DNS1123_SUB_MSG} (e.g. 'example.com', regex used for validation is '${DNS1123_SUB_FMT}')`);
  return errs;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> => (isObject(v) ? v : {});

/** v1 defaulting of a CRD: `singular` = lowercase kind, `listKind` = kind + "List". */
export function applyCrdDefaults(crd: Record<string, unknown>): Record<string, unknown> {
  const copy = deepCopy(crd);
  const spec = obj(copy.spec);
  const names = obj(spec.names);
  if (isObject(spec.names)) {
    if (!names.singular && str(names.kind)) names.singular = str(names.kind).toLowerCase();
    if (!names.listKind && str(names.kind)) names.listKind = `${str(names.kind)}List`;
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Names, group, scope, versions, columns

function validateNames(names: Record<string, unknown>, p: FieldPath, out: FieldCause[]): void {
  for (const f of ['plural', 'singular', 'kind', 'listKind']) {
    if (!str(names[f])) out.push(fieldErrors.required(p.child(f)));
  }
  for (const f of ['plural', 'singular']) {
    const errs = str(names[f]) ? dns1035Errors(str(names[f])) : [];
    if (errs.length) out.push(fieldErrors.invalid(p.child(f), names[f], errs.join(',')));
  }
  for (const f of ['kind', 'listKind']) {
    const errs = str(names[f]) ? dns1035Errors(str(names[f]).toLowerCase()) : [];
    if (errs.length) out.push(fieldErrors.invalid(p.child(f), names[f], `may have mixed case, but should otherwise match: ${errs.join(',')}`));
  }
  for (const f of ['shortNames', 'categories']) {
    arr(names[f]).forEach((v, i) => {
      const errs = dns1035Errors(str(v));
      if (errs.length) out.push(fieldErrors.invalid(p.child(f).index(i), v, errs.join(',')));
    });
  }
  if (str(names.kind) && names.kind === names.listKind) {
    out.push(fieldErrors.invalid(p.child('listKind'), names.listKind, 'kind and listKind may not be the same'));
  }
}

function validateGroupAndScope(spec: Record<string, unknown>, p: FieldPath, out: FieldCause[]): void {
  const group = str(spec.group);
  if (!group) out.push(fieldErrors.required(p.child('group')));
  else if (dns1123SubdomainErrors(group).length) out.push(fieldErrors.invalid(p.child('group'), group, dns1123SubdomainErrors(group).join(',')));
  else if (group.split('.').length < 2) out.push(fieldErrors.invalid(p.child('group'), group, 'should be a domain with at least one dot'));
  const scope = str(spec.scope);
  if (!scope) out.push(fieldErrors.required(p.child('scope')));
  else if (scope !== 'Cluster' && scope !== 'Namespaced') out.push(fieldErrors.notSupported(p.child('scope'), scope, ['Cluster', 'Namespaced']));
}

function validateColumns(cols: unknown[], p: FieldPath, out: FieldCause[]): void {
  cols.forEach((c, i) => {
    const col = obj(c);
    const cp = p.index(i);
    if (!str(col.name)) out.push(fieldErrors.required(cp.child('name')));
    if (!str(col.type)) out.push(fieldErrors.required(cp.child('type'), `must be one of ${COLUMN_TYPES.join(',')}`));
    else if (!COLUMN_TYPES.includes(str(col.type))) out.push(fieldErrors.invalid(cp.child('type'), col.type, `must be one of ${COLUMN_TYPES.join(',')}`));
    if (str(col.format) && !COLUMN_FORMATS.includes(str(col.format))) {
      out.push(fieldErrors.invalid(cp.child('format'), col.format, `must be one of ${COLUMN_FORMATS.join(',')}`));
    }
    const jp = str(col.jsonPath);
    if (!jp) out.push(fieldErrors.required(cp.child('JSONPath')));
    else if (!jp.startsWith('.')) out.push(fieldErrors.invalid(cp.child('JSONPath'), jp, 'must be a simple json path starting with .'));
  });
}

function validateVersions(versions: unknown[], p: FieldPath, out: FieldCause[]): void {
  const seen = new Set<string>();
  let storage = 0;
  let unique = true;
  versions.forEach((v, i) => {
    const version = obj(v);
    const vp = p.index(i);
    const name = str(version.name);
    if (seen.has(name)) unique = false;
    seen.add(name);
    if (version.storage === true) storage++;
    const errs = dns1035Errors(name);
    if (errs.length) out.push(fieldErrors.invalid(vp.child('name'), name, errs.join(',')));
    const schema = obj(version.schema).openAPIV3Schema;
    if (!isObject(schema)) out.push(fieldErrors.required(vp.child('schema').child('openAPIV3Schema'), 'schemas are required'));
    else validateSchemaTree(schema, vp.child('schema').child('openAPIV3Schema'), out);
    validateColumns(arr(version.additionalPrinterColumns), vp.child('additionalPrinterColumns'), out);
  });
  if (versions.length === 0) out.push(fieldErrors.invalid(p, [], 'must have exactly one version marked as storage version'));
  if (!unique) out.push(fieldErrors.invalid(p, versions, 'must contain unique version names'));
  if (versions.length > 0 && storage !== 1) out.push(fieldErrors.invalid(p, versions, 'must have exactly one version marked as storage version'));
}

/**
 * Validates a CRD object. Returns the causes of a 422 (empty when valid). Call on the object as
 * submitted; `singular`/`listKind` are derived first (see `applyCrdDefaults`).
 */
export function validateCrdSchema(crd: Record<string, unknown>): FieldCause[] {
  const out: FieldCause[] = [];
  const defaulted = applyCrdDefaults(crd);
  const spec = obj(defaulted.spec);
  const names = obj(spec.names);
  const root = FieldPath.root();
  const name = str(obj(defaulted.metadata).name);
  if (!name) out.push(fieldErrors.required(root.child('metadata').child('name'), 'name or generateName is required'));
  else if (name !== `${str(names.plural)}.${str(spec.group)}`) {
    out.push(fieldErrors.invalid(root.child('metadata').child('name'), name, 'must be spec.names.plural+"."+spec.group'));
  }
  const sp = root.child('spec');
  validateGroupAndScope(spec, sp, out);
  validateVersions(arr(spec.versions), sp.child('versions'), out);
  validateNames(names, sp.child('names'), out);
  if (spec.preserveUnknownFields === true) {
    out.push(fieldErrors.invalid(sp.child('preserveUnknownFields'), true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Schema nodes

type Level = 'root' | 'item' | 'field';

interface NodeCtx {
  p: FieldPath;
  level: Level;
  /** Path of the nearest enclosing atomic list (oldSelf cannot be used below it). */
  uncorrelatable: string | undefined;
  inMetadata: boolean;
}

const FORBIDDEN_KEYWORDS: Array<[string, string]> = [
  ['id', 'id is not supported'],
  ['additionalItems', 'additionalItems is not supported'],
  ['patternProperties', 'patternProperties is not supported'],
  ['definitions', 'definitions is not supported'],
  ['dependencies', 'dependencies is not supported'],
  ['$ref', '$ref is not supported'],
];

function validateKeywords(raw: Record<string, unknown>, s: JSONSchemaProps, p: FieldPath, out: FieldCause[]): void {
  if (s.type !== undefined && !OPENAPI_TYPES.includes(s.type)) out.push(fieldErrors.notSupported(p.child('type'), s.type, OPENAPI_TYPES));
  if ((s.type as string | undefined) === 'null') out.push(fieldErrors.forbidden(p.child('type'), 'type cannot be set to null, use nullable as an alternative'));
  for (const [k, msg] of FORBIDDEN_KEYWORDS) {
    if (raw[k] !== undefined) out.push(fieldErrors.forbidden(p.child(k), msg));
  }
  if (Array.isArray(raw.items)) out.push(fieldErrors.forbidden(p.child('items'), 'items must be a schema object and not an array'));
  if (raw.uniqueItems === true) out.push(fieldErrors.forbidden(p.child('uniqueItems'), 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  if (s.additionalProperties !== undefined && Object.keys(s.properties ?? {}).length > 0 && s.additionalProperties !== true) {
    out.push(fieldErrors.forbidden(p.child('additionalProperties'), 'additionalProperties and properties are mutual exclusive'));
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    out.push(fieldErrors.invalid(p.child('x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'));
  }
  if (s.pattern !== undefined) {
    try {
      compilePattern(s.pattern);
    } catch (err) {
      if (!(err instanceof PatternError)) throw err;
      out.push(fieldErrors.invalid(p.child('pattern'), s.pattern, `must be a valid regular expression, but isn't: ${err.message}`));
    }
  }
}

function validateListType(s: JSONSchemaProps, p: FieldPath, out: FieldCause[]): void {
  const lt = s['x-kubernetes-list-type'];
  const keys = s['x-kubernetes-list-map-keys'];
  if (lt !== undefined) {
    if (s.type !== 'array') out.push(s.type ? fieldErrors.invalid(p.child('type'), s.type, 'must be array if x-kubernetes-list-type is specified') : fieldErrors.required(p.child('type'), 'must be array if x-kubernetes-list-type is specified'));
    if (!['atomic', 'set', 'map'].includes(lt)) out.push(fieldErrors.notSupported(p.child('x-kubernetes-list-type'), lt, ['atomic', 'set', 'map']));
  }
  if (keys?.length && lt !== 'map') {
    out.push(lt === undefined ? fieldErrors.required(p.child('x-kubernetes-list-type'), 'must be map if x-kubernetes-list-map-keys is non-empty') : fieldErrors.invalid(p.child('x-kubernetes-list-type'), lt, 'must be map if x-kubernetes-list-map-keys is non-empty'));
  }
  if (lt !== 'map') return;
  if (!keys?.length) out.push(fieldErrors.required(p.child('x-kubernetes-list-map-keys'), 'must not be empty if x-kubernetes-list-type is map'));
  if (!s.items) {
    out.push(fieldErrors.required(p.child('items'), 'must have a schema if x-kubernetes-list-type is map'));
    return;
  }
  if (s.items.type !== 'object') out.push(fieldErrors.invalid(p.child('items').child('type'), s.items.type ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
  if (keys?.some((k) => !s.items?.properties?.[k])) out.push(fieldErrors.invalid(p.child('x-kubernetes-list-map-keys'), keys, 'entries must all be names of item properties'));
  if (keys && new Set(keys).size !== keys.length) out.push(fieldErrors.invalid(p.child('x-kubernetes-list-map-keys'), keys, 'must not contain duplicate entries'));
}

function validateRulesAt(s: JSONSchemaProps, n: NodeCtx, out: FieldCause[]): void {
  (s['x-kubernetes-validations'] ?? []).forEach((rule, i) => {
    const rp = n.p.child('x-kubernetes-validations').index(i);
    if (!rule.rule?.trim()) {
      out.push(fieldErrors.required(rp.child('rule'), 'rule is not specified'));
      return;
    }
    if (rule.message !== undefined && rule.message.trim() === '') out.push(fieldErrors.invalid(rp.child('message'), rule.message, 'message must be non-empty if specified'));
    if (rule.message?.includes('\n')) out.push(fieldErrors.invalid(rp.child('message'), rule.message, 'message must not contain line breaks'));
    if (rule.reason !== undefined && !RULE_REASONS.includes(rule.reason)) out.push(fieldErrors.notSupported(rp.child('reason'), rule.reason, RULE_REASONS));
    if (rule.optionalOldSelf !== undefined) out.push(fieldErrors.forbidden(rp.child('optionalOldSelf'), 'optionalOldSelf is not supported by this API server'));
    for (const [field, text] of [['rule', rule.rule], ['messageExpression', rule.messageExpression]] as const) {
      if (text === undefined) continue;
      try {
        const compiled = compileRule(text);
        if (field === 'rule' && compiled.usesOldSelf && n.uncorrelatable !== undefined) {
          out.push(fieldErrors.invalid(rp.child('rule'), text, `oldSelf cannot be used on the uncorrelatable portion of the schema within ${n.uncorrelatable}`));
        }
      } catch (err) {
        if (!(err instanceof CelCompileError)) throw err;
        out.push(fieldErrors.invalid(rp.child(field), rule, `compilation failed: ${err.message} (rule outside the CEL subset this API server evaluates)`));
      }
    }
  });
}

function validateStructure(s: JSONSchemaProps, n: NodeCtx, out: FieldCause[]): void {
  const { p, level } = n;
  if (s.type === 'array' && !s.items) out.push(fieldErrors.required(p.child('items'), 'must be specified'));
  if (s.additionalProperties !== undefined && level === 'root') out.push(fieldErrors.forbidden(p.child('additionalProperties'), 'must not be used at the root'));
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  if (embedded && s.type !== 'object') {
    out.push(s.type ? fieldErrors.invalid(p.child('type'), s.type, 'must be object if x-kubernetes-embedded-resource is true') : fieldErrors.required(p.child('type'), 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (!s.type && !s['x-kubernetes-int-or-string'] && !s['x-kubernetes-preserve-unknown-fields']) {
    const where = { root: 'at the root', item: 'for specified array items', field: 'for specified object fields' }[level];
    out.push(fieldErrors.required(p.child('type'), `must not be empty ${where}`));
  }
  if (level === 'root' && s.type && s.type !== 'object') out.push(fieldErrors.invalid(p.child('type'), s.type, 'must be object at the root'));
  if (embedded && !s['x-kubernetes-preserve-unknown-fields'] && Object.keys(s.properties ?? {}).length === 0) {
    out.push(fieldErrors.required(p.child('properties'), 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
  if (level === 'root' || embedded) validateResourceMeta(s, p, level === 'root', out);
}

function validateResourceMeta(s: JSONSchemaProps, p: FieldPath, isRoot: boolean, out: FieldCause[]): void {
  for (const f of ['kind', 'apiVersion']) {
    const prop = s.properties?.[f];
    if (prop && prop.type !== 'string') out.push(fieldErrors.invalid(p.child('properties').key(f).child('type'), prop.type ?? '', 'must be string'));
  }
  const meta = s.properties?.metadata;
  if (!meta) return;
  const mp = p.child('properties').key('metadata');
  if (meta.type !== 'object') out.push(fieldErrors.invalid(mp.child('type'), meta.type ?? '', 'must be object'));
  if (!isRoot) return;
  // Upstream drops `type`, `default` and a `properties` holding only name/generateName, then
  // requires nothing else to remain.
  const extraProps = Object.keys(meta.properties ?? {}).filter((k) => k !== 'name' && k !== 'generateName');
  const rest = Object.keys(meta).filter((k) => k !== 'type' && k !== 'default' && k !== 'properties');
  if (extraProps.length > 0 || rest.length > 0) {
    out.push(fieldErrors.forbidden(mp, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
  }
}

const VALUE_VALIDATION_FORBIDDEN: Array<[keyof JSONSchemaProps, string]> = [
  ['type', 'must be empty to be structural'],
  ['additionalProperties', 'must be undefined to be structural'],
  ['default', 'must be undefined to be structural'],
  ['title', 'must be empty to be structural'],
  ['description', 'must be empty to be structural'],
  ['nullable', 'must be false to be structural'],
  ['x-kubernetes-preserve-unknown-fields', 'must be false to be structural'],
  ['x-kubernetes-embedded-resource', 'must be false to be structural'],
  ['x-kubernetes-int-or-string', 'must be false to be structural'],
  ['x-kubernetes-list-map-keys', 'must be empty to be structural'],
  ['x-kubernetes-list-type', 'must be undefined to be structural'],
  ['x-kubernetes-map-type', 'must be undefined to be structural'],
];

function isIntOrStringPattern(s: JSONSchemaProps, members: JSONSchemaProps[] | undefined): boolean {
  return s['x-kubernetes-int-or-string'] === true && members?.length === 2 &&
    members.some((m) => m.type === 'integer') && members.some((m) => m.type === 'string');
}

function validateValueValidation(v: JSONSchemaProps, p: FieldPath, skipTypes: boolean, out: FieldCause[]): void {
  for (const [k, msg] of VALUE_VALIDATION_FORBIDDEN) {
    const val = v[k];
    if (val === undefined || val === false || (skipTypes && k === 'type')) continue;
    out.push(fieldErrors.forbidden(p.child(k), msg));
  }
  for (const [k, child] of Object.entries(v.properties ?? {})) validateValueValidation(child, p.child('properties').key(k), false, out);
  if (v.items) validateValueValidation(v.items, p.child('items'), false, out);
  for (const c of ['allOf', 'anyOf', 'oneOf'] as const) v[c]?.forEach((m, i) => validateValueValidation(m, p.child(c).index(i), false, out));
  if (v.not) validateValueValidation(v.not, p.child('not'), false, out);
}

function validateCombinators(s: JSONSchemaProps, p: FieldPath, out: FieldCause[]): void {
  for (const c of ['allOf', 'anyOf', 'oneOf'] as const) {
    const skip = c === 'anyOf' && isIntOrStringPattern(s, s.anyOf);
    s[c]?.forEach((m, i) => validateValueValidation(m, p.child(c).index(i), skip, out));
  }
  if (s.not) validateValueValidation(s.not, p.child('not'), false, out);
}

function validateDefault(s: JSONSchemaProps, n: NodeCtx, out: FieldCause[]): void {
  if (s.default === undefined || n.inMetadata) return;
  const dp = n.p.child('default');
  const prefix = dp.toString();
  const pruned = deepCopy(s.default);
  pruneValue(pruned, s);
  if (!deepEqual(pruned, s.default)) {
    out.push(fieldErrors.invalid(dp, s.default, 'must not have unknown fields'));
    return;
  }
  const sink = { schema: [] as FieldCause[], lists: [] as FieldCause[] };
  validateNode(s, s.default, FieldPath.root(prefix), undefined, sink);
  out.push(...sink.schema, ...sink.lists);
}

function validateNodeSchema(s: JSONSchemaProps, n: NodeCtx, out: FieldCause[]): void {
  const raw: unknown = s;
  if (!isObject(raw)) return;
  validateKeywords(raw, s, n.p, out);
  validateStructure(s, n, out);
  validateListType(s, n.p, out);
  validateCombinators(s, n.p, out);
  validateRulesAt(s, n, out);
  validateDefault(s, n, out);
  const isRootMeta = (k: string): boolean => n.level === 'root' && k === 'metadata';
  for (const [k, child] of Object.entries(s.properties ?? {})) {
    validateNodeSchema(child, { ...n, p: n.p.child('properties').key(k), level: 'field', inMetadata: n.inMetadata || isRootMeta(k) }, out);
  }
  if (isObject(s.additionalProperties)) {
    validateNodeSchema(s.additionalProperties, { ...n, p: n.p.child('additionalProperties'), level: 'field' }, out);
  }
  if (isObject(s.items)) {
    const lt = s['x-kubernetes-list-type'];
    const uncorrelatable = n.uncorrelatable ?? (lt === 'map' || lt === 'set' ? undefined : n.p.toString());
    validateNodeSchema(s.items, { ...n, p: n.p.child('items'), level: 'item', uncorrelatable }, out);
  }
}

/** Validates one version's `openAPIV3Schema`; `p` is where it sits in the CRD. */
export function validateSchemaTree(schema: JSONSchemaProps, p: FieldPath, out: FieldCause[] = []): FieldCause[] {
  validateNodeSchema(schema, { p, level: 'root', uncorrelatable: undefined, inMetadata: false }, out);
  return out;
}

