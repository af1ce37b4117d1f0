// CustomResourceDefinitions generated from the zod schemas: the one source of the API.
//
// zod 4 emits OpenAPI 3.0 (`z.toJSONSchema(..., { target: 'openapi-3.0' })`), but not what a CRD
// accepts: it can emit `additionalProperties: false`, `anyOf` with a `type` in each branch, `$ref`,
// and JavaScript's safe-integer bounds on every integer. So the conversion is two steps:
//   1. zod's `override` hook cleans each node zod emits (artefacts of JavaScript, not of the API);
//   2. `toStructural` rewrites the result into apiextensions.k8s.io/v1 JSONSchemaProps, keeping
//      only keywords a CRD accepts and failing loudly on anything it cannot express
//      structurally (so a schema change that would produce an invalid CRD breaks generation).
// Every emitted schema is then checked with `structuralSchemaViolations`.
//
// `x-kubernetes-*` extensions come from zod metadata (`.meta({ 'x-kubernetes-list-type': 'map' })`),
// which zod copies into its output; descriptions come from `.describe()`.
import { stringify } from 'yaml';
import { z } from 'zod';
import { API_GROUP, API_VERSION, CATEGORY, type Kind } from './constants.ts';
import { ConvoyDefinition } from './convoy.ts';
import type { KindDefinition, PrinterColumn } from './kind.ts';
import { PolecatDefinition } from './polecat.ts';
import { RigDefinition } from './rig.ts';
import {
  SCHEMA_KEYWORDS,
  structuralSchemaViolations,
  type JsonSchemaProps,
  type JsonValue,
  type SchemaType,
} from './structural.ts';

/** The kinds of the API, in the order manifests are written. */
export const KIND_DEFINITIONS: readonly KindDefinition[] = [RigDefinition, PolecatDefinition, ConvoyDefinition];

export interface CustomResourceDefinitionVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: JsonSchemaProps };
  subresources: { status: Record<string, never> };
  additionalPrinterColumns: PrinterColumn[];
}

/** apiextensions.k8s.io/v1 CustomResourceDefinition, as far as this API uses it. */
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Cluster' | 'Namespaced';
    versions: CustomResourceDefinitionVersion[];
  };
}

/** A zod schema cannot be turned into a CRD schema; `path` locates the node. */
export class CrdSchemaError extends Error {
  readonly kind = 'CrdSchemaError';
  readonly path: string;

  constructor(path: string, message: string) {
    super(`${path === '' ? '<root>' : path}: ${message}`);
    this.name = 'CrdSchemaError';
    this.path = path;
  }
}

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** zod types whose JSON Schema would silently lose meaning in a CRD (tuples become plain arrays). */
const UNSUPPORTED_ZOD_TYPES: ReadonlySet<string> = new Set(['tuple', 'intersection', 'set', 'map', 'promise', 'function']);

function jsonPointerPath(path: readonly (string | number)[]): string {
  return path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`)).join('');
}

/**
 * Step 1, per node as zod emits it: refuse zod types a CRD cannot mean, and drop what only
 * exists because of JavaScript or zod:
 * - `additionalProperties: false` (zod's strict/output objects; the API server prunes instead);
 * - the ±2^53-1 bounds zod puts on every `z.int()`;
 * - the long regex zod adds beside `format: date-time` (the format says it, RE2 needn't).
 */
function cleanZodNode(ctx: { zodSchema: { _zod: { def: { type: string } } }; jsonSchema: Node; path: (string | number)[] }): void {
  const zodType = ctx.zodSchema._zod.def.type;
  if (UNSUPPORTED_ZOD_TYPES.has(zodType)) {
    throw new CrdSchemaError(jsonPointerPath(ctx.path), `z.${zodType}() cannot be expressed in a CRD schema`);
  }
  const node = ctx.jsonSchema;
  if (node.additionalProperties === false) delete node.additionalProperties;
  if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
  if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
  if (node.format === 'date-time') delete node.pattern;
  delete node.$schema;
}

function asJsonValue(value: unknown, path: string): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.map((v, i) => asJsonValue(v, `${path}[${i}]`));
  if (isNode(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asJsonValue(v, `${path}.${k}`)]));
  throw new CrdSchemaError(path, `${typeof value} is not a JSON value`);
}

const SCALAR_TYPES: ReadonlySet<string> = new Set(['string', 'integer', 'number', 'boolean']);

/**
 * A union zod emitted as `anyOf`. Two shapes are structural:
 * - string | integer: `x-kubernetes-int-or-string`, the one place a branch may carry a type;
 * - branches of one scalar type: the type is hoisted out, branches keep only value validations.
 */
function convertUnion(node: Node, path: string): Node {
  const branches = node.anyOf;
  if (!Array.isArray(branches) || !branches.every(isNode)) throw new CrdSchemaError(path, 'anyOf must be a list of schemas');
  const { anyOf: _anyOf, ...outer } = node;
  const types = new Set(branches.map((b) => b.type));
  if (types.size === 2 && types.has('string') && types.has('integer') && branches.length === 2) {
    if (branches.some((b) => Object.keys(b).some((k) => k !== 'type'))) {
      throw new CrdSchemaError(path, 'the branches of an int-or-string union cannot carry validations');
    }
    return { ...outer, 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  }
  const [only] = types;
  if (types.size === 1 && typeof only === 'string' && SCALAR_TYPES.has(only) && outer.type === undefined) {
    if (branches.some((b) => b.default !== undefined || b.nullable !== undefined)) {
      throw new CrdSchemaError(path, 'put default and nullable on the union, not on its branches');
    }
    // Branch descriptions are documentation only; structural schemas do not allow them there.
    const stripped = branches.map(({ type: _type, description: _description, ...rest }) => rest);
    if (stripped.every((b) => Object.keys(b).length === 0)) return { ...outer, type: only };
    return { ...outer, type: only, anyOf: stripped };
  }
  throw new CrdSchemaError(path, 'unions are only supported as string|integer or as alternatives of one scalar type');
}

function convertObjectShape(node: Node, path: string, out: JsonSchemaProps): void {
  if (isNode(node.properties)) {
    out.properties = {};
    for (const [key, value] of Object.entries(node.properties)) out.properties[key] = toStructural(value, `${path}.properties.${key}`);
  }
  const extra = node.additionalProperties;
  if (extra === undefined || extra === false) return;
  if (extra === true || (isNode(extra) && Object.keys(extra).length === 0)) {
    // A loose object (unknown fields allowed) or a map of anything: keep unknown fields.
    out['x-kubernetes-preserve-unknown-fields'] = true;
    return;
  }
  if (out.properties !== undefined) throw new CrdSchemaError(path, 'an object cannot have both fixed and additional properties');
  out.additionalProperties = toStructural(extra, `${path}.additionalProperties`);
}

function copyScalarKeywords(node: Node, path: string, out: JsonSchemaProps): void {
  const target = out as Record<string, unknown>;
  for (const [key, value] of Object.entries(node)) {
    if (['type', 'properties', 'additionalProperties', 'items', 'anyOf'].includes(key)) continue;
    if (!SCHEMA_KEYWORDS.has(key)) throw new CrdSchemaError(path, `zod emitted ${JSON.stringify(key)}, which a CRD schema cannot carry`);
    target[key] = asJsonValue(value, `${path}.${key}`);
  }
}

/**
 * Step 2: one zod-emitted node (and its children) to a structural JSONSchemaProps node.
 * `const` (emitted for literals by some targets) becomes a one-value enum. Nodes inside a
 * junctor (`inJunctor`) are value validations and carry no type.
 */
function toStructural(raw: unknown, path: string, inJunctor = false): JsonSchemaProps {
  if (!isNode(raw)) throw new CrdSchemaError(path, 'expected a schema object');
  let node: Node = raw;
  for (const key of ['$ref', '$defs', 'definitions', 'allOf', 'oneOf', 'not']) {
    if (node[key] !== undefined) throw new CrdSchemaError(path, `${key} cannot be expressed structurally; restructure the zod schema`);
  }
  if (node.const !== undefined) {
    const { const: value, ...rest } = node;
    node = { ...rest, enum: [value] };
  }
  if (node.anyOf !== undefined) node = convertUnion(node, path);

  const out: JsonSchemaProps = {};
  const type = node.type;
  if (type !== undefined) {
    if (typeof type !== 'string' || !['object', 'array', ...SCALAR_TYPES].includes(type)) {
      throw new CrdSchemaError(path, `unsupported type ${JSON.stringify(type)}`);
    }
    out.type = type as SchemaType;
  }
  copyScalarKeywords(node, path, out);
  if (Array.isArray(node.anyOf)) out.anyOf = node.anyOf.map((b, i) => toStructural(b, `${path}.anyOf[${i}]`, true));
  if (node.items !== undefined) {
    if (!isNode(node.items)) throw new CrdSchemaError(path, 'tuples cannot be expressed in a CRD schema');
    out.items = toStructural(node.items, `${path}.items`);
  }
  convertObjectShape(node, path, out);
  const untypedAllowed = inJunctor || out['x-kubernetes-int-or-string'] === true || out['x-kubernetes-preserve-unknown-fields'] === true;
  if (out.type === undefined && !untypedAllowed) {
    throw new CrdSchemaError(path, 'every node needs a type; z.unknown()/z.any() are not supported');
  }
  return withSortedKeywords(out);
}

/**
 * Keywords in alphabetical order (as controller-gen writes them), so the YAML does not change
 * when a zod release emits keywords in another order. Property names keep their source order.
 */
function withSortedKeywords(node: JsonSchemaProps): JsonSchemaProps {
  const entries = Object.entries(node).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/**
 * The structural OpenAPI v3 schema of one zod schema. Defaulted fields are optional (zod's
 * input view), defaults are kept, and the result is verified to be structural.
 */
export function toStructuralSchema(schema: z.ZodType, path = ''): JsonSchemaProps {
  const emitted = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    reused: 'inline',
    cycles: 'throw',
    unrepresentable: 'throw',
    override: cleanZodNode,
  });
  const result = toStructural(emitted, path);
  const violations = structuralSchemaViolations(result, { root: false });
  const [first] = violations;
  if (first !== undefined) throw new CrdSchemaError(`${path}${first.path}`, first.message);
  return result;
}

const TYPE_META_DESCRIPTION = {
  apiVersion:
    'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized ' +
    'schemas to the latest internal value, and may reject unrecognized values. ' +
    'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
  kind:
    'Kind is a string value representing the REST resource this object represents. Servers may infer this from the ' +
    'endpoint the client submits requests to. Cannot be updated. In CamelCase. ' +
    'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
} as const;

/** The `openAPIV3Schema` of one kind: the standard type/object meta plus its spec and status. */
export function openApiSchemaFor(definition: KindDefinition): JsonSchemaProps {
  const root: JsonSchemaProps = withSortedKeywords({
    type: 'object',
    description: definition.description,
    properties: {
      apiVersion: { description: TYPE_META_DESCRIPTION.apiVersion, type: 'string' },
      kind: { description: TYPE_META_DESCRIPTION.kind, type: 'string' },
      metadata: { type: 'object' },
      spec: toStructuralSchema(definition.specSchema, '.properties.spec'),
      status: toStructuralSchema(definition.statusSchema, '.properties.status'),
    },
    required: ['spec'],
  });
  const violations = structuralSchemaViolations(root);
  const [first] = violations;
  if (first !== undefined) throw new CrdSchemaError(first.path, first.message);
  return root;
}

/** The CustomResourceDefinition of one kind. */
export function crdFor(definition: KindDefinition): CustomResourceDefinition {
  const { names } = definition;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${names.plural}.${API_GROUP}`,
      labels: { 'app.kubernetes.io/name': 'gastown-operator', 'app.kubernetes.io/part-of': 'gastown-operator' },
    },
    spec: {
      group: API_GROUP,
      names: {
        kind: names.kind,
        listKind: names.listKind,
        plural: names.plural,
        singular: names.singular,
        shortNames: [...names.shortNames],
        categories: [CATEGORY],
      },
      scope: names.namespaced ? 'Namespaced' : 'Cluster',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: openApiSchemaFor(definition) },
          subresources: { status: {} },
          additionalPrinterColumns: definition.printerColumns.map((column) => ({ ...column })),
        },
      ],
    },
  };
}

/** The CRDs of the API: Rig, Polecat, Convoy. */
export function buildCrds(): CustomResourceDefinition[] {
  return KIND_DEFINITIONS.map(crdFor);
}

/** The CRD of one kind by name. */
export function crdForKind(kind: Kind): CustomResourceDefinition {
  const definition = KIND_DEFINITIONS.find((d) => d.names.kind === kind);
  if (definition === undefined) throw new Error(`no definition for kind ${kind}`);
  return crdFor(definition);
}

/** A generated file of `deploy/crds/`. */
export interface GeneratedManifest {
  readonly fileName: string;
  readonly content: string;
}

export const CRD_OUTPUT_DIR = 'deploy/crds';

const HEADER =
  '# Generated from src/api/ by scripts/gen-crds.ts. Do not edit: change the zod schemas and run\n' +
  '#   npm exec -- node scripts/gen-crds.ts\n';

/** `gastown.gastown.io_rigs.yaml`, the controller-gen naming. */
export function crdFileName(crd: CustomResourceDefinition): string {
  return `${crd.spec.group}_${crd.spec.names.plural}.yaml`;
}

function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, indent: 2, indentSeq: true, aliasDuplicateObjects: false });
}

/** Every file of `deploy/crds/`, rendered: one YAML per CRD and a kustomization listing them. */
export function renderCrdManifests(): GeneratedManifest[] {
  const files = buildCrds().map((crd) => ({ fileName: crdFileName(crd), content: HEADER + toYaml(crd) }));
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: files.map((f) => f.fileName),
  };
  return [...files, { fileName: 'kustomization.yaml', content: HEADER + toYaml(kustomization) }];
}
