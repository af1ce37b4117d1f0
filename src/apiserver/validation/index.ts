// Custom-resource validation for the embedded API server: the pipeline the real server runs on
// every create and update of a custom resource (Kubernetes 1.32), on a deep copy:
//   1. prune unknown fields (./prune.ts), and `null`s of non-nullable, non-defaulted fields;
//   2. apply schema defaults (also to the old object, as the real server defaults on read);
//   3. validate against the OpenAPI schema with ratcheting (./validate.ts), then list-type
//      set/map uniqueness;
//   4. evaluate `x-kubernetes-validations` (./rules.ts) unless step 3 found a blocking error
//      (Unsupported/Required/TooLong/TooMany/TypeInvalid), in which case one extra cause says
//      `some validation rules were not checked because the object was invalid; ...`, as upstream.
// `metadata`, `apiVersion` and `kind` at the root are never pruned or defaulted here: they are
// the server's business. Use `formatCauses` for the Status message and `validateCrdSchema` at
// CRD create/update (it rejects anything this pipeline could not enforce faithfully).
import { applyDefaults, prune, pruneNonNullableNulls } from './prune.ts';
import { hasRules, validateRules } from './rules.ts';
import type { FieldCause, JSONSchemaProps } from './types.ts';
import { FieldPath, deepCopy, fieldErrors } from './types.ts';
import { validateNode } from './validate.ts';

export type { FieldCause, FieldCauseReason, JSONSchemaProps, ValidationRule } from './types.ts';
export { causeToString, formatCauses } from './types.ts';
export { applyCrdDefaults, dns1035Errors, validateCrdSchema, validateSchemaTree } from './structural.ts';
export { CelCompileError, CelEvalError, compileRule, evaluateRule } from './cel.ts';
export { PatternError, compilePattern } from './regex.ts';

const BLOCKING = new Set([
  'FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid',
]);

/** Prunes and defaults a copy of `obj` (no validation): what the server stores or returns. */
export function pruneAndDefault(schema: JSONSchemaProps, obj: Record<string, unknown>): Record<string, unknown> {
  const copy = deepCopy(obj);
  prune(copy, schema);
  pruneNonNullableNulls(copy, schema);
  applyDefaults(copy, schema);
  return copy;
}

/**
 * Prunes, defaults and validates a custom resource. `old` is the stored object on update
 * (enables transition rules and ratcheting), `undefined` on create. Returns the object to store
 * and the causes of a 422 Invalid (empty when valid).
 */
export function validateCustomResource(
  schema: JSONSchemaProps,
  obj: Record<string, unknown>,
  old: Record<string, unknown> | undefined,
): { object: Record<string, unknown>; causes: FieldCause[] } {
  const object = pruneAndDefault(schema, obj);
  const oldObject = old ? pruneAndDefault(schema, old) : undefined;
  const sink = { schema: [] as FieldCause[], lists: [] as FieldCause[] };
  validateNode(schema, object, FieldPath.root(), oldObject ? { value: oldObject } : undefined, sink);
  const causes = [...sink.schema, ...sink.lists];
  if (hasRules(schema)) {
    if (causes.some((c) => BLOCKING.has(c.reason))) {
      causes.push(
        fieldErrors.invalid(
          FieldPath.root(),
          'null',
          'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
        ),
      );
    } else {
      causes.push(...validateRules(schema, object, oldObject));
    }
  }
  return { object, causes };
}
