// The structural-schema checker: it must catch each construct a real API server refuses, or the
// "every generated CRD is structural" test would pass for the wrong reason.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { re2Incompatibility, structuralSchemaViolations } from '../../../src/api/index.ts';

const root = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties, ...extra });

function violations(schema: unknown): string[] {
  return structuralSchemaViolations(schema).map((v) => `${v.path}: ${v.message}`);
}

function assertViolation(schema: unknown, expected: RegExp): void {
  const found = violations(schema);
  assert.ok(found.some((v) => expected.test(v)), `expected a violation matching ${String(expected)}, got ${JSON.stringify(found)}`);
}

describe('structuralSchemaViolations', () => {
  test('a typical structural schema passes', () => {
    const schema = root({
      metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 63 } } },
      spec: root({
        size: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: root({ name: { type: 'string' }, port: { type: 'integer' } }, { required: ['name'] }),
        },
      }),
    });
    assert.deepEqual(violations(schema), []);
  });

  test('every node needs a type', () => {
    assertViolation(root({ spec: { properties: { a: { type: 'string' } } } }), /^\.properties\.spec: type must be specified/);
    assertViolation(root({ a: { type: 'array', items: {} } }), /^\.properties\.a\.items: type must be specified/);
    assertViolation(root({ a: { type: 'text' } }), /type must be one of/);
  });

  test('additionalProperties: false, or beside properties, is refused', () => {
    assertViolation(root({ a: root({ x: { type: 'string' } }, { additionalProperties: false }) }), /additionalProperties must not be false/);
    assertViolation(root({ a: root({ x: { type: 'string' } }, { additionalProperties: { type: 'string' } }) }), /mutually exclusive/);
  });

  test('$ref and other foreign keywords are refused', () => {
    assertViolation(root({ a: { $ref: '#/definitions/A' } }), /keyword "\$ref" is not allowed/);
    assertViolation(root({ a: { type: 'string', const: 'x' } }), /keyword "const" is not allowed/);
  });

  test('type, default or nullable inside a junctor is refused', () => {
    assertViolation(root({ a: { type: 'string', anyOf: [{ type: 'string', pattern: '^a' }] } }), /\.anyOf\[0\]: type is not allowed/);
    assertViolation(root({ a: { type: 'string', oneOf: [{ default: 'x' }] } }), /default is not allowed/);
    assertViolation(root({ a: { type: 'string', not: { nullable: true } } }), /nullable is not allowed/);
  });

  test('fields named inside a junctor must also exist outside', () => {
    assertViolation(root({ a: root({ x: { type: 'string' } }, { anyOf: [{ required: ['y'], properties: { y: {} } }] }) }), /field "y" must also be specified outside/);
  });

  test('metadata may only restrict name and generateName', () => {
    assertViolation(root({ metadata: root({ labels: { type: 'object' } }) }), /metadata may only restrict name and generateName, found labels/);
    assert.deepEqual(violations(root({ metadata: { type: 'object' } })), []);
  });

  test('list types are consistent', () => {
    assertViolation(root({ a: { type: 'array', items: { type: 'string' }, uniqueItems: true } }), /uniqueItems cannot be true/);
    assertViolation(root({ a: { type: 'array' } }), /arrays need a single items schema/);
    assertViolation(
      root({ a: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'], items: root({ k: { type: 'string' } }) } }),
      /list map key "k" must be required or defaulted/,
    );
    assertViolation(root({ a: { type: 'array', 'x-kubernetes-list-map-keys': ['k'], items: root({ k: { type: 'string' } }, { required: ['k'] }) } }), /needs x-kubernetes-list-type map/);
    assertViolation(root({ a: { type: 'array', 'x-kubernetes-list-type': 'set', items: root({}) } }), /set needs scalar items/);
  });

  test('required fields must be properties', () => {
    assertViolation(root({ a: root({ x: { type: 'string' } }, { required: ['y'] }) }), /required field "y" is not among the properties/);
  });

  test('defaults must match the type and the enum', () => {
    assertViolation(root({ a: { type: 'integer', default: 'one' } }), /default does not match type integer/);
    assertViolation(root({ a: { type: 'string', enum: ['x'], default: 'y' } }), /default is not one of the enum values/);
  });

  test('patterns must compile and be RE2', () => {
    assertViolation(root({ a: { type: 'string', pattern: '(' } }), /does not compile/);
    assertViolation(root({ a: { type: 'string', pattern: '^(?!x)' } }), /lookahead/);
    assertViolation(root({ a: { type: 'string', pattern: '^(a)\\1$' } }), /back-references/);
  });

  test('the root must be an object', () => {
    assertViolation({ type: 'string' }, /^: the root must be type object/);
    assert.deepEqual(structuralSchemaViolations({ type: 'string' }, { root: false }), []);
  });
});

describe('re2Incompatibility', () => {
  test('accepts what RE2 and ECMAScript share, including escaped backslashes before digits', () => {
    for (const ok of ['^[a-z]+$', '^(?:/x)+$', '\\\\1', '[\\x00-\\x1f]', '^\\d{4}$']) assert.equal(re2Incompatibility(ok), undefined, ok);
  });
  test('refuses lookbehind and ECMAScript named groups', () => {
    assert.match(re2Incompatibility('(?<=a)b') ?? '', /lookbehind/);
    assert.match(re2Incompatibility('(?<year>\\d{4})') ?? '', /named groups/);
  });
});
