// A small JSON Schema (draft-07) validator for the chart's values.schema.json, which is what
// helm checks values against on install/upgrade/lint/template. It supports the keywords the
// schema uses and throws on any other keyword, so the schema cannot silently grow checks
// that nothing here enforces: type, properties, required, additionalProperties (boolean or
// schema), items, enum, pattern, minLength, maxLength, minimum, maximum; annotations
// ($schema, title, description) are ignored.
export type JsonSchema = Record<string, unknown>;

const KNOWN = new Set([
  '$schema', 'title', 'description', 'type', 'properties', 'required', 'additionalProperties', 'items',
  'enum', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, got: string): boolean {
  return want === got || (want === 'number' && got === 'integer');
}

/** Every violation as `path: message`; empty when valid. */
export function validateJsonSchema(schema: JsonSchema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`${path}: schema keyword ${k} is not supported by this checker`);
  const errors: string[] = [];
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((w) => typeMatches(w, t))) return [`${path}: expected ${types.join('|')}, got ${t}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) errors.push(`${path}: must be one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${path}: does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
  }
  if (t === 'object') errors.push(...validateObject(schema, value as Record<string, unknown>, path));
  if (t === 'array' && schema.items !== undefined) {
    (value as unknown[]).forEach((item, i) => errors.push(...validateJsonSchema(schema.items as JsonSchema, item, `${path}[${i}]`)));
  }
  return errors;
}

function validateObject(schema: JsonSchema, obj: Record<string, unknown>, path: string): string[] {
  const errors: string[] = [];
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errors.push(`${path}: missing required ${r}`);
  for (const [k, v] of Object.entries(obj)) {
    const p = props[k];
    if (p) errors.push(...validateJsonSchema(p, v, `${path}.${k}`));
    else if (schema.additionalProperties === false) errors.push(`${path}: unknown property ${k}`);
    else if (typeof schema.additionalProperties === 'object') errors.push(...validateJsonSchema(schema.additionalProperties as JsonSchema, v, `${path}.${k}`));
  }
  return errors;
}
