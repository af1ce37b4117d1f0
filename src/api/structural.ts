// The OpenAPI v3 schema subset of apiextensions.k8s.io/v1 (JSONSchemaProps), and a checker for
// the rules that make a CRD schema *structural* and acceptable to a real API server.
//
// The rules follow the Kubernetes documentation ("Specifying a structural schema") and the
// apiextensions validation: every node typed (unless int-or-string / preserve-unknown-fields),
// no type/description/default/nullable/additionalProperties inside allOf/anyOf/oneOf/not, fields
// used in junctors also specified outside them, metadata restricted to name/generateName,
// `additionalProperties` neither false nor beside `properties`, no `$ref`, no `uniqueItems: true`,
// list-type/map-keys consistent, and patterns that Go's RE2 can compile. The generator runs this
// on every schema it emits, so a non-structural CRD fails at generation time, not at install.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

/** A CEL validation rule as carried by `x-kubernetes-validations`. */
export interface SchemaValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/** JSONSchemaProps of apiextensions.k8s.io/v1, as far as this operator uses it. */
export interface JsonSchemaProps {
  type?: SchemaType;
  format?: string;
  title?: string;
  description?: string;
  default?: JsonValue;
  enum?: JsonValue[];
  nullable?: boolean;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  items?: JsonSchemaProps;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  properties?: Record<string, JsonSchemaProps>;
  required?: string[];
  additionalProperties?: JsonSchemaProps | boolean;
  minProperties?: number;
  maxProperties?: number;
  allOf?: JsonSchemaProps[];
  anyOf?: JsonSchemaProps[];
  oneOf?: JsonSchemaProps[];
  not?: JsonSchemaProps;
  example?: JsonValue;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: SchemaValidationRule[];
}

/** Every keyword JSONSchemaProps accepts. Anything else is rejected by a strict API server. */
export const SCHEMA_KEYWORDS: ReadonlySet<string> = new Set([
  'type', 'format', 'title', 'description', 'default', 'enum', 'nullable', 'pattern', 'minLength',
  'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'items',
  'minItems', 'maxItems', 'uniqueItems', 'properties', 'required', 'additionalProperties',
  'minProperties', 'maxProperties', 'allOf', 'anyOf', 'oneOf', 'not', 'example', 'externalDocs',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations',
]);

const SCHEMA_TYPES: ReadonlySet<string> = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const JUNCTORS = ['allOf', 'anyOf', 'oneOf'] as const;
/** Keywords a value validation inside a junctor must not carry (structural rule 3). */
const FORBIDDEN_IN_JUNCTOR = ['type', 'description', 'default', 'additionalProperties', 'nullable'] as const;

/** One reason a schema is not structural, at a JSON path like `.properties.spec.properties.rig`. */
export interface StructuralViolation {
  readonly path: string;
  readonly message: string;
}

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function childEntries(node: Node): [string, unknown][] {
  const out: [string, unknown][] = [];
  if (isNode(node.properties)) {
    for (const [key, value] of Object.entries(node.properties)) out.push([`.properties.${key}`, value]);
  }
  if (node.items !== undefined) out.push(['.items', node.items]);
  if (isNode(node.additionalProperties)) out.push(['.additionalProperties', node.additionalProperties]);
  return out;
}

/**
 * Constructs Go's RE2 does not support but ECMAScript does: lookaround, back-references and
 * named groups in the ECMAScript `(?<name>` spelling.
 */
export function re2Incompatibility(pattern: string): string | undefined {
  if (/\(\?[=!]/.test(pattern)) return 'lookahead is not supported by RE2';
  if (/\(\?<[=!]/.test(pattern)) return 'lookbehind is not supported by RE2';
  if (/\(\?<[A-Za-z]/.test(pattern)) return 'use (?P<name>...) for named groups in RE2';
  if (/(^|[^\\])(\\\\)*\\[1-9]/.test(pattern)) return 'back-references are not supported by RE2';
  return undefined;
}

function checkKeywords(node: Node, path: string, out: StructuralViolation[]): void {
  for (const key of Object.keys(node)) {
    if (!SCHEMA_KEYWORDS.has(key)) out.push({ path, message: `keyword ${JSON.stringify(key)} is not allowed in a CRD schema` });
  }
}

function checkType(node: Node, path: string, out: StructuralViolation[]): void {
  const exempt = node['x-kubernetes-int-or-string'] === true || node['x-kubernetes-preserve-unknown-fields'] === true;
  if (node.type === undefined) {
    if (!exempt) out.push({ path, message: 'type must be specified' });
    return;
  }
  if (typeof node.type !== 'string' || !SCHEMA_TYPES.has(node.type)) {
    out.push({ path, message: `type must be one of ${[...SCHEMA_TYPES].join(', ')}` });
  }
}

function checkObject(node: Node, path: string, out: StructuralViolation[]): void {
  if (node.additionalProperties === false) out.push({ path, message: 'additionalProperties must not be false' });
  if (node.properties !== undefined && node.additionalProperties !== undefined) {
    out.push({ path, message: 'additionalProperties and properties are mutually exclusive' });
  }
  if (node.required !== undefined) {
    const props = isNode(node.properties) ? node.properties : {};
    const required = Array.isArray(node.required) ? (node.required as unknown[]) : [];
    for (const name of required) {
      if (typeof name !== 'string' || !(name in props)) {
        out.push({ path, message: `required field ${JSON.stringify(name)} is not among the properties` });
      }
    }
  }
  if ((node.properties !== undefined || node.additionalProperties !== undefined) && node.type !== 'object') {
    out.push({ path, message: 'properties/additionalProperties need type object' });
  }
}

function checkListMapKeys(node: Node, path: string, out: StructuralViolation[]): void {
  const keys = node['x-kubernetes-list-map-keys'];
  if (keys === undefined) return;
  if (node['x-kubernetes-list-type'] !== 'map') {
    out.push({ path, message: 'x-kubernetes-list-map-keys needs x-kubernetes-list-type map' });
  }
  const items = isNode(node.items) ? node.items : {};
  const itemProps = isNode(items.properties) ? items.properties : {};
  const required = Array.isArray(items.required) ? (items.required as unknown[]) : [];
  for (const key of Array.isArray(keys) ? (keys as unknown[]) : []) {
    const prop = typeof key === 'string' ? itemProps[key] : undefined;
    if (!isNode(prop)) {
      out.push({ path, message: `list map key ${JSON.stringify(key)} is not a property of the items` });
      continue;
    }
    if (!required.includes(key) && prop.default === undefined) {
      out.push({ path, message: `list map key ${JSON.stringify(key)} must be required or defaulted` });
    }
    if (prop.type === 'object' || prop.type === 'array') {
      out.push({ path, message: `list map key ${JSON.stringify(key)} must be a scalar` });
    }
  }
}

function checkArray(node: Node, path: string, out: StructuralViolation[]): void {
  if (node.type === 'array' && !isNode(node.items)) out.push({ path, message: 'arrays need a single items schema' });
  if (node.uniqueItems === true) out.push({ path, message: 'uniqueItems cannot be true (use x-kubernetes-list-type: set)' });
  const listType = node['x-kubernetes-list-type'];
  if (listType !== undefined && node.type !== 'array') out.push({ path, message: 'x-kubernetes-list-type needs type array' });
  if (listType === 'map' && !(isNode(node.items) && node.items.type === 'object')) {
    out.push({ path, message: 'x-kubernetes-list-type map needs object items' });
  }
  if (listType === 'set' && isNode(node.items) && (node.items.type === 'object' || node.items.type === 'array')) {
    out.push({ path, message: 'x-kubernetes-list-type set needs scalar items' });
  }
  checkListMapKeys(node, path, out);
}

function checkPattern(node: Node, path: string, out: StructuralViolation[]): void {
  if (node.pattern === undefined) return;
  if (typeof node.pattern !== 'string') {
    out.push({ path, message: 'pattern must be a string' });
    return;
  }
  try {
    new RegExp(node.pattern);
  } catch {
    out.push({ path, message: `pattern ${JSON.stringify(node.pattern)} does not compile` });
  }
  const problem = re2Incompatibility(node.pattern);
  if (problem !== undefined) out.push({ path, message: `pattern ${JSON.stringify(node.pattern)}: ${problem}` });
}

function defaultMatchesType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'boolean': return typeof value === 'boolean';
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'array': return Array.isArray(value);
    case 'object': return isNode(value);
    default: return true;
  }
}

function checkDefault(node: Node, path: string, out: StructuralViolation[]): void {
  if (node.default === undefined || (node.default === null && node.nullable === true)) return;
  if (!defaultMatchesType(node.default, node.type)) out.push({ path, message: `default does not match type ${String(node.type)}` });
  if (Array.isArray(node.enum) && !node.enum.some((v) => JSON.stringify(v) === JSON.stringify(node.default))) {
    out.push({ path, message: 'default is not one of the enum values' });
  }
}

/** Field names a junctor branch specifies (rule 2 needs them specified outside as well). */
function checkJunctorBranch(branch: unknown, outer: Node, path: string, out: StructuralViolation[]): void {
  if (!isNode(branch)) {
    out.push({ path, message: 'junctor branches must be schemas' });
    return;
  }
  const intOrString = outer['x-kubernetes-int-or-string'] === true;
  for (const key of FORBIDDEN_IN_JUNCTOR) {
    if (branch[key] === undefined) continue;
    if (key === 'type' && intOrString) continue;
    out.push({ path, message: `${key} is not allowed inside allOf/anyOf/oneOf/not` });
  }
  if (isNode(branch.properties)) {
    const outerProps = isNode(outer.properties) ? outer.properties : {};
    for (const name of Object.keys(branch.properties)) {
      if (!(name in outerProps)) out.push({ path, message: `field ${JSON.stringify(name)} must also be specified outside the junctor` });
    }
  }
  if (branch.items !== undefined && outer.items === undefined) {
    out.push({ path, message: 'items must also be specified outside the junctor' });
  }
  for (const junctor of [...JUNCTORS, 'not'] as const) {
    const nested = branch[junctor];
    const nestedBranches = Array.isArray(nested) ? (nested as unknown[]) : nested === undefined ? [] : [nested];
    nestedBranches.forEach((b, i) => checkJunctorBranch(b, outer, `${path}.${junctor}[${i}]`, out));
  }
}

function checkJunctors(node: Node, path: string, out: StructuralViolation[]): void {
  for (const junctor of JUNCTORS) {
    const branches = node[junctor];
    if (branches === undefined) continue;
    if (!Array.isArray(branches)) {
      out.push({ path, message: `${junctor} must be a list` });
      continue;
    }
    (branches as unknown[]).forEach((b, i) => checkJunctorBranch(b, node, `${path}.${junctor}[${i}]`, out));
  }
  if (node.not !== undefined) checkJunctorBranch(node.not, node, `${path}.not`, out);
}

function checkNode(node: unknown, path: string, out: StructuralViolation[]): void {
  if (!isNode(node)) {
    out.push({ path, message: 'a schema must be an object' });
    return;
  }
  checkKeywords(node, path, out);
  checkType(node, path, out);
  checkObject(node, path, out);
  checkArray(node, path, out);
  checkPattern(node, path, out);
  checkDefault(node, path, out);
  checkJunctors(node, path, out);
  for (const [suffix, child] of childEntries(node)) checkNode(child, `${path}${suffix}`, out);
}

function checkRootMetadata(root: Node, out: StructuralViolation[]): void {
  const metadata = isNode(root.properties) ? root.properties.metadata : undefined;
  if (!isNode(metadata)) return;
  const path = '.properties.metadata';
  if (metadata.type !== 'object') out.push({ path, message: 'metadata must be type object' });
  const allowed = new Set(['type', 'properties', 'description']);
  for (const key of Object.keys(metadata)) {
    if (!allowed.has(key)) out.push({ path, message: `metadata may only restrict name and generateName, found ${key}` });
  }
  if (isNode(metadata.properties)) {
    for (const name of Object.keys(metadata.properties)) {
      if (name !== 'name' && name !== 'generateName') {
        out.push({ path, message: `metadata may only restrict name and generateName, found ${name}` });
      }
    }
  }
}

export interface StructuralCheckOptions {
  /**
   * `true` (default): `schema` is a whole `openAPIV3Schema`, whose root must be an object and
   * whose `metadata` may only restrict name and generateName. `false`: a schema nested in one.
   */
  readonly root?: boolean;
}

/**
 * Reasons `schema` (a CRD version's `openAPIV3Schema`, or a part of one) is not a valid
 * structural schema. Empty when it is. Accepts any JSON, so it can check YAML read from disk.
 */
export function structuralSchemaViolations(schema: unknown, options: StructuralCheckOptions = {}): StructuralViolation[] {
  const out: StructuralViolation[] = [];
  checkNode(schema, '', out);
  if (options.root !== false && isNode(schema)) {
    if (schema.type !== 'object') out.push({ path: '', message: 'the root must be type object' });
    checkRootMetadata(schema, out);
  }
  return out;
}
