// What the API knows about one kind (names, spec and status schemas, printer columns), and
// decoding of objects read from the API server into typed values with readable errors.
//
// Each kind module (rig.ts, polecat.ts, convoy.ts) fills in a KindDefinition; crd.ts turns the
// definitions into CustomResourceDefinitions, and the controllers decode with `decoderFor`.
import type { z } from 'zod';
import type { Kind, ResourceNames } from './constants.ts';

/** An `additionalPrinterColumns` entry of a CRD version. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  /** 0 (default) shows in `kubectl get`; 1 only with `-o wide`. */
  readonly priority?: number;
}

/** A CEL rule (`x-kubernetes-validations` entry). */
export interface ValidationRule {
  readonly rule: string;
  readonly message?: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface KindDefinition<Spec extends z.ZodType = z.ZodType, Status extends z.ZodType = z.ZodType> {
  readonly names: ResourceNames;
  /** Top-level description of the kind, shown by `kubectl explain <kind>`. */
  readonly description: string;
  readonly specSchema: Spec;
  readonly statusSchema: Status;
  readonly printerColumns: readonly PrinterColumn[];
}

/** One problem found while decoding, with a dotted path (`spec.trackedBeads[2]`). */
export interface ResourceIssue {
  readonly path: string;
  readonly message: string;
}

/** An object read from the API does not have the shape of its kind. */
export class InvalidResourceError extends Error {
  readonly kind = 'InvalidResource';
  readonly resourceKind: Kind;
  /** `namespace/name` or `name`, when the object had one. */
  readonly objectKey: string | undefined;
  readonly issues: readonly ResourceIssue[];

  constructor(resourceKind: Kind, objectKey: string | undefined, issues: readonly ResourceIssue[]) {
    const subject = objectKey === undefined ? resourceKind : `${resourceKind} ${JSON.stringify(objectKey)}`;
    super(`${subject} is invalid: ${issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ')}`);
    this.name = 'InvalidResourceError';
    this.resourceKind = resourceKind;
    this.objectKey = objectKey;
    this.issues = issues;
  }
}

export type DecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: InvalidResourceError };

export interface Decoder<T> {
  /** Decodes an object read from the API; errors are values. Applies schema defaults. */
  readonly decode: (obj: unknown) => DecodeResult<T>;
  /** Like `decode`, but throws the InvalidResourceError. */
  readonly parse: (obj: unknown) => T;
}

/** `spec.trackedBeads[2]` from zod's `['spec', 'trackedBeads', 2]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function objectKeyOf(obj: unknown): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const metadata = (obj as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { name, namespace } = metadata as { name?: unknown; namespace?: unknown };
  if (typeof name !== 'string') return undefined;
  return typeof namespace === 'string' && namespace !== '' ? `${namespace}/${name}` : name;
}

/** Builds the decoder of a kind from its full resource schema. */
export function decoderFor<S extends z.ZodType>(kind: Kind, schema: S): Decoder<z.output<S>> {
  const decode = (obj: unknown): DecodeResult<z.output<S>> => {
    const result = schema.safeParse(obj);
    if (result.success) return { ok: true, value: result.data };
    const issues = result.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
    return { ok: false, error: new InvalidResourceError(kind, objectKeyOf(obj), issues) };
  };
  const parse = (obj: unknown): z.output<S> => {
    const result = decode(obj);
    if (!result.ok) throw result.error;
    return result.value;
  };
  return { decode, parse };
}
