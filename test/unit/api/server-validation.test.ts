// The generated CRD schemas, enforced by the embedded API server's validation pipeline (prune,
// default, OpenAPI validation, CEL rules): the API server refuses what the zod schemas refuse,
// defaults what they default, and keeps Polecat.spec.rig immutable.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { API_GROUP_VERSION, crdForKind, type JsonSchemaProps, type Kind } from '../../../src/api/index.ts';
import { validateCustomResource, type JSONSchemaProps } from '../../../src/apiserver/validation/index.ts';

interface Cause {
  field: string;
  message: string;
}

function schemaOf(kind: Kind): JsonSchemaProps {
  const version = crdForKind(kind).spec.versions[0];
  assert.ok(version);
  return version.schema.openAPIV3Schema;
}

function validate(kind: Kind, spec: Record<string, unknown>, oldSpec?: Record<string, unknown>) {
  const wrap = (s: Record<string, unknown>) => ({
    apiVersion: API_GROUP_VERSION,
    kind,
    metadata: { name: 'x', ...(kind === 'Rig' ? {} : { namespace: 'town' }), generation: 1 },
    spec: s,
  });
  // The generator's schema type and the server's are declared apart; the JSON is the same.
  return validateCustomResource(schemaOf(kind) as unknown as JSONSchemaProps, wrap(spec), oldSpec === undefined ? undefined : wrap(oldSpec));
}

/** Fields with causes; `<nil>` is upstream's "rules not checked because the object was invalid". */
function fieldsOf(result: { causes: Cause[] }): string[] {
  return [...new Set(result.causes.map((c) => c.field))].filter((f) => f !== '<nil>');
}

describe('generated schemas in the embedded API server', () => {
  test('valid objects pass, and defaults are applied', () => {
    assert.deepEqual(validate('Rig', { localPath: '/srv/gt/gastown', beadsPrefix: 'gt' }).causes, []);
    const polecat = validate('Polecat', { rig: 'news_api', beadID: 'gt-abc12' });
    assert.deepEqual(polecat.causes, []);
    assert.deepEqual(polecat.object.spec, { rig: 'news_api', beadID: 'gt-abc12', desiredState: 'Idle' });
    const convoy = validate('Convoy', { trackedBeads: ['gt-abc12', 'gt-def34.1'] });
    assert.deepEqual(convoy.causes, []);
    assert.deepEqual(convoy.object.spec, { trackedBeads: ['gt-abc12', 'gt-def34.1'], notifyOnComplete: false, notifyAddress: 'mayor/' });
  });

  test('what the zod schemas refuse, the API server refuses, at the same field', () => {
    assert.deepEqual(fieldsOf(validate('Rig', { localPath: 'gt/gastown' })), ['spec.localPath']);
    assert.deepEqual(fieldsOf(validate('Rig', { localPath: '/srv/../etc' })), ['spec.localPath']);
    assert.deepEqual(fieldsOf(validate('Rig', { localPath: '/srv/gt\0' })), ['spec.localPath']);
    assert.deepEqual(fieldsOf(validate('Rig', {})), ['spec.localPath']);
    assert.deepEqual(fieldsOf(validate('Polecat', { rig: 'news-api' })), ['spec.rig']);
    assert.deepEqual(fieldsOf(validate('Polecat', { rig: 'gastown', desiredState: 'Running' })), ['spec.desiredState']);
    assert.deepEqual(fieldsOf(validate('Polecat', { rig: 'gastown', beadID: 'gt_abc12' })), ['spec.beadID']);
    assert.deepEqual(fieldsOf(validate('Convoy', { trackedBeads: [] })), ['spec.trackedBeads']);
    assert.deepEqual(fieldsOf(validate('Convoy', { trackedBeads: ['nope'] })), ['spec.trackedBeads[0]']);
    assert.deepEqual(fieldsOf(validate('Convoy', { trackedBeads: ['gt-abc12', 'gt-abc12'] })), ['spec.trackedBeads[1]']);
  });

  test('Polecat.spec.rig is immutable', () => {
    const changed = validate('Polecat', { rig: 'beads' }, { rig: 'gastown' });
    assert.deepEqual(fieldsOf(changed), ['spec.rig']);
    assert.match(changed.causes[0]?.message ?? '', /rig is immutable/);
    assert.deepEqual(validate('Polecat', { rig: 'gastown', desiredState: 'Working' }, { rig: 'gastown' }).causes, []);
  });
});
