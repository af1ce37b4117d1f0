// JSON patch (RFC 6902, including `test`) on top of fast-json-patch, with the real server's
// split of errors: a malformed patch document is 400 BadRequest, a well-formed patch that does
// not apply (failed `test`, missing path) is 422, as in Kubernetes' patch handler.
import jsonpatch, { type Operation } from 'fast-json-patch';
import { ApiError, badRequest } from '../errors.ts';

const MALFORMED = new Set([
  'SEQUENCE_NOT_AN_ARRAY',
  'OPERATION_NOT_AN_OBJECT',
  'OPERATION_OP_INVALID',
  'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED',
  'OPERATION_VALUE_REQUIRED',
  'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
]);

function describe(err: InstanceType<typeof jsonpatch.JsonPatchError>): string {
  const op = err.operation as Partial<Operation> | undefined;
  const path = op?.path ?? '';
  switch (err.name) {
    case 'TEST_OPERATION_FAILED':
      return `testing value ${path} failed: test failed`;
    case 'OPERATION_PATH_UNRESOLVABLE':
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `${String(op?.op)} operation does not apply: doc is missing path: "${path}": missing value`;
    default:
      return `${String(op?.op)} operation at ${path} failed: ${err.message.split('\n')[0] ?? ''}`;
  }
}

export function applyJsonPatch(document: Record<string, unknown>, patch: unknown): Record<string, unknown> {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    const result = jsonpatch.applyPatch(structuredClone(document), patch as Operation[], true, true, true);
    const doc = result.newDocument as unknown;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw badRequest('the patch replaced the whole object with a non-object');
    return doc as Record<string, unknown>;
  } catch (err) {
    if (err instanceof jsonpatch.JsonPatchError) {
      if (MALFORMED.has(err.name)) throw badRequest(`invalid JSON patch: ${err.message.split('\n')[0] ?? ''}`);
      throw new ApiError(422, 'Invalid', describe(err));
    }
    throw err;
  }
}
