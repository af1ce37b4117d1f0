// Types shared by the custom-resource validation modules, and the field-error rendering of
// k8s.io/apimachinery/pkg/util/validation/field (v0.32): `ErrorBody()` and the aggregate message
// of `apierrors.NewInvalid`.
//
// Deviation: Go renders non-scalar bad values with `%#v` (Go syntax); this module renders them as
// JSON, which is what a client could actually read. Scalars match byte for byte.

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/** The apiextensions.k8s.io/v1 JSONSchemaProps subset a structural schema may use. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  title?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: boolean | JSONSchemaProps;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minProperties?: number;
  maxProperties?: number;
  default?: unknown;
  nullable?: boolean;
  example?: unknown;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

export type FieldCauseReason =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueTypeInvalid'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueForbidden'
  | 'FieldValueDuplicate'
  | 'InternalError';

/**
 * One `metav1.StatusCause` of a 422 Invalid: `reason` is the cause type, `field` the field path
 * (`<nil>` for the object root, as the real server writes it) and `message` the error body
 * (`Invalid value: 11: spec.replicas in body should be less than or equal to 10`).
 */
export interface FieldCause {
  reason: FieldCauseReason | (string & {});
  field: string;
  message: string;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepCopy<T>(v: T): T {
  return structuredClone(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Go's `%v` of the scalar values a decoded JSON document holds; JSON for anything else. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Go's `%v` for an int64 (integral values) or a float64 (`%g`, shortest: exponent below 1e-4 or from 1e6). */
export function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return BigInt(n).toString();
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = n.toExponential().split('e');
    const sign = (e ?? '+0').startsWith('-') ? '-' : '+';
    const digits = (e ?? '0').replace(/^[+-]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  return String(n);
}

/**
 * A field path, rendered like `field.Path.String()`. `text` is the path kube-openapi names in
 * its messages (relative to where validation started); `prefix` is the path of that start
 * (e.g. `spec.versions[0]...default` when a default value is validated), used in `field`.
 */
export class FieldPath {
  readonly text: string;
  readonly prefix: string;
  private constructor(prefix: string, text: string) {
    this.prefix = prefix;
    this.text = text;
  }
  static root(prefix = ''): FieldPath {
    return new FieldPath(prefix, '');
  }
  child(name: string): FieldPath {
    return new FieldPath(this.prefix, this.text ? `${this.text}.${name}` : name);
  }
  index(i: number): FieldPath {
    return new FieldPath(this.prefix, `${this.text}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(this.prefix, `${this.text}[${k}]`);
  }
  toString(): string {
    const full = this.prefix && this.text ? `${this.prefix}${this.text.startsWith('[') ? '' : '.'}${this.text}` : this.prefix || this.text;
    return full === '' ? '<nil>' : full;
  }
}

function cause(reason: FieldCauseReason, path: FieldPath, message: string): FieldCause {
  return { reason, field: path.toString(), message };
}

const withDetail = (s: string, detail: string): string => (detail ? `${s}: ${detail}` : s);

export const fieldErrors = {
  required: (p: FieldPath, detail = ''): FieldCause => cause('FieldValueRequired', p, withDetail('Required value', detail)),
  forbidden: (p: FieldPath, detail: string): FieldCause => cause('FieldValueForbidden', p, withDetail('Forbidden', detail)),
  invalid: (p: FieldPath, value: unknown, detail: string): FieldCause =>
    cause('FieldValueInvalid', p, withDetail(`Invalid value: ${goValue(value)}`, detail)),
  typeInvalid: (p: FieldPath, value: unknown, detail: string): FieldCause =>
    cause('FieldValueTypeInvalid', p, withDetail(`Invalid value: ${goValue(value)}`, detail)),
  notSupported: (p: FieldPath, value: unknown, valid: readonly string[]): FieldCause =>
    cause(
      'FieldValueNotSupported',
      p,
      withDetail(
        `Unsupported value: ${goValue(value)}`,
        valid.length ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '',
      ),
    ),
  tooLong: (p: FieldPath, max: number): FieldCause =>
    cause('FieldValueTooLong', p, `Too long: ${max >= 0 ? `may not be more than ${max} bytes` : 'value is too long'}`),
  tooMany: (p: FieldPath, actual: number, max: number): FieldCause =>
    cause('FieldValueTooMany', p, `Too many: ${actual}: must have at most ${max} items`),
  duplicate: (p: FieldPath, value: unknown): FieldCause => cause('FieldValueDuplicate', p, `Duplicate value: ${goValue(value)}`),
  internal: (p: FieldPath, detail: string): FieldCause => cause('InternalError', p, `Internal error: ${detail}`),
} as const;

/** `field.Error.Error()`: `<field>: <body>`. */
export function causeToString(c: FieldCause): string {
  return `${c.field}: ${c.message}`;
}

/**
 * The message of `apierrors.NewInvalid(qualifiedKind, name, errs)`:
 * `Widget.example.com "w1" is invalid: <one error>` or `... is invalid: [<e1>, <e2>]`, with
 * duplicate messages removed as `ToAggregate` does. `kindWithGroup` is `Kind.group` (or `Kind`
 * for the core group).
 */
export function formatCauses(kindWithGroup: string, name: string, causes: readonly FieldCause[]): string {
  const head = `${kindWithGroup} ${JSON.stringify(name)} is invalid`;
  const msgs = [...new Set(causes.map(causeToString))];
  if (msgs.length === 0) return head;
  if (msgs.length === 1) return `${head}: ${msgs[0]}`;
  return `${head}: [${msgs.join(', ')}]`;
}
