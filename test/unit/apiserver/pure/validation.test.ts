import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compilePattern,
  compileRule,
  evaluateRule,
  formatCauses,
  validateCrdSchema,
  validateCustomResource,
} from '../../../../src/apiserver/validation/index.ts';
import type { FieldCause, JSONSchemaProps } from '../../../../src/apiserver/validation/index.ts';

const widgetSchema: JSONSchemaProps = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'string', enum: ['small', 'large'] },
        replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
        name: { type: 'string', minLength: 3, maxLength: 5, pattern: '^[a-z]+$' },
        ratio: { type: 'number', exclusiveMaximum: true, maximum: 1 },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
        when: { type: 'string', format: 'date-time' },
        nested: {
          type: 'object',
          properties: { mode: { type: 'string', default: 'auto' }, level: { type: 'integer', default: 3 } },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        opt: { type: 'string', nullable: true },
        items: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, v: { type: 'integer' } } },
        },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};

const wrap = (spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w1', namespace: 'default', labels: { a: 'b' }, annotations: { x: 'y' } },
  spec,
});

const msgs = (causes: FieldCause[]): string[] => causes.map((c) => `${c.field}: ${c.message}`);

describe('validateCustomResource: pruning and defaulting', () => {
  test('unknown fields are pruned, metadata/apiVersion/kind kept, preserve-unknown-fields kept', () => {
    const { object, causes } = validateCustomResource(
      widgetSchema,
      { ...wrap({ size: 'small', bogus: 1, free: { anything: { deep: true } }, nested: { mode: 'x', junk: 2 } }), extra: 1 },
      undefined,
    );
    assert.deepEqual(causes, []);
    assert.equal('extra' in object, false);
    const spec = object.spec as Record<string, unknown>;
    assert.equal('bogus' in spec, false);
    assert.deepEqual(spec.free, { anything: { deep: true } });
    assert.deepEqual(spec.nested, { mode: 'x', level: 3 });
    assert.deepEqual(object.metadata, { name: 'w1', namespace: 'default', labels: { a: 'b' }, annotations: { x: 'y' } });
  });

  test('defaults: absent fields get defaults, nested defaults only where the parent exists', () => {
    const { object } = validateCustomResource(widgetSchema, wrap({ size: 'small' }), undefined);
    assert.deepEqual(object.spec, { size: 'small', replicas: 1 });
  });

  test('null of a non-nullable field: defaulted if it has a default, else dropped; nullable kept', () => {
    const { object, causes } = validateCustomResource(widgetSchema, wrap({ size: 'small', replicas: null, name: null, opt: null }), undefined);
    assert.deepEqual(causes, []);
    assert.deepEqual(object.spec, { size: 'small', replicas: 1, opt: null });
  });

  test('the input is not mutated', () => {
    const input = wrap({ size: 'small', bogus: 1 });
    const before = structuredClone(input);
    validateCustomResource(widgetSchema, input, undefined);
    assert.deepEqual(input, before);
  });
});

describe('validateCustomResource: the real messages', () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['required', {}, ['spec.size: Required value']],
    ['enum', { size: 'huge' }, ['spec.size: Unsupported value: "huge": supported values: "small", "large"']],
    ['maximum', { size: 'small', replicas: 11 }, ['spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10']],
    ['minimum', { size: 'small', replicas: 0 }, ['spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1']],
    ['exclusiveMaximum', { size: 'small', ratio: 1 }, ['spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1']],
    ['integer type', { size: 'small', replicas: 1.5 }, ['spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"']],
    ['string type', { size: 'small', name: 5 }, ['spec.name: Invalid value: "integer": spec.name in body must be of type string: "integer"']],
    ['object type', { size: 'small', nested: 'x' }, ['spec.nested: Invalid value: "string": spec.nested in body must be of type object: "string"']],
    ['int-or-string', { size: 'small', port: true }, ['spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"']],
    ['minLength', { size: 'small', name: 'ab' }, ['spec.name: Invalid value: "ab": spec.name in body should be at least 3 chars long']],
    ['maxLength', { size: 'small', name: 'abcdef' }, ['spec.name: Too long: may not be more than 5 bytes']],
    ['pattern', { size: 'small', name: 'AbC' }, ["spec.name: Invalid value: \"AbC\": spec.name in body should match '^[a-z]+$'"]],
    ['minItems', { size: 'small', tags: [] }, ['spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items']],
    ['maxItems', { size: 'small', tags: ['a', 'b', 'c'] }, ['spec.tags: Too many: 3: must have at most 2 items']],
    ['array item type', { size: 'small', tags: ['a', 1] }, ['spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"']],
    ['format', { size: 'small', when: 'yesterday' }, ['spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"']],
    ['map values', { size: 'small', labels: { a: 1 } }, ['spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"']],
    ['list map duplicate', { size: 'small', items: [{ name: 'a' }, { name: 'a', v: 1 }] }, ['spec.items[1]: Duplicate value: {"name":"a"}']],
    ['required in item', { size: 'small', items: [{ v: 1 }] }, ['spec.items[0].name: Required value']],
  ];
  for (const [name, spec, want] of cases) {
    test(name, () => {
      assert.deepEqual(msgs(validateCustomResource(widgetSchema, wrap(spec), undefined).causes), want);
    });
  }

  test('valid values pass, including int-or-string and RFC 3339 times', () => {
    const spec = { size: 'large', replicas: 10, name: 'abc', ratio: 0.5, port: 'http', tags: ['x'], when: '2026-11-01T10:00:00Z' };
    assert.deepEqual(validateCustomResource(widgetSchema, wrap(spec), undefined).causes, []);
  });

  test('cause reasons are the StatusCause types', () => {
    const { causes } = validateCustomResource(widgetSchema, wrap({ size: 'huge', replicas: 11, name: 'abcdef', tags: [1, 2, 3] }), undefined);
    assert.deepEqual(
      causes.map((c) => c.reason),
      ['FieldValueNotSupported', 'FieldValueInvalid', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid', 'FieldValueTypeInvalid', 'FieldValueTypeInvalid'],
    );
  });
});

describe('formatCauses', () => {
  test('several causes in brackets, as apierrors.NewInvalid', () => {
    const { causes } = validateCustomResource(widgetSchema, wrap({ size: 'huge', replicas: 11 }), undefined);
    assert.equal(
      formatCauses('Widget.example.com', 'w1', causes),
      'Widget.example.com "w1" is invalid: [spec.size: Unsupported value: "huge": supported values: "small", "large", ' +
        'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10]',
    );
  });
  test('a single cause without brackets; duplicates collapse; none → bare', () => {
    const c: FieldCause = { reason: 'FieldValueRequired', field: 'spec.size', message: 'Required value' };
    assert.equal(formatCauses('Widget.example.com', 'w1', [c, c]), 'Widget.example.com "w1" is invalid: spec.size: Required value');
    assert.equal(formatCauses('ConfigMap', 'x', []), 'ConfigMap "x" is invalid');
  });
});

describe('x-kubernetes-validations', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        'x-kubernetes-validations': [
          { rule: 'self.minReplicas <= self.replicas', message: 'replicas must be at least minReplicas' },
          { rule: "!has(self.mode) || self.mode in ['a', 'b']" },
          { rule: 'self.size() > 0', messageExpression: "'spec has ' + string(self.size()) + ' fields'" },
        ],
        properties: {
          replicas: { type: 'integer', default: 1 },
          minReplicas: { type: 'integer', default: 0 },
          mode: { type: 'string' },
          zone: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'zone is immutable' }] },
          names: {
            type: 'array',
            items: { type: 'string' },
            'x-kubernetes-validations': [{ rule: 'self.all(n, n.startsWith("x-"))', reason: 'FieldValueForbidden', fieldPath: '.names' }],
          },
          owner: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] },
        },
      },
    },
    'x-kubernetes-validations': [{ rule: "self.metadata.name.startsWith('w')" }],
  };
  const obj = (spec: Record<string, unknown>, name = 'w1') => ({ apiVersion: 'e.com/v1', kind: 'W', metadata: { name, uid: 'u' }, spec });

  test('comparisons, has(), in, messages', () => {
    const { causes } = validateCustomResource(schema, obj({ replicas: 1, minReplicas: 3, mode: 'c' }), undefined);
    assert.deepEqual(msgs(causes), [
      'spec: Invalid value: "object": replicas must be at least minReplicas',
      "spec: Invalid value: \"object\": failed rule: !has(self.mode) || self.mode in ['a', 'b']",
    ]);
  });

  test('root rules see metadata.name; the root field is <nil>', () => {
    const { causes } = validateCustomResource(schema, obj({}, 'v1'), undefined);
    assert.deepEqual(msgs(causes), ["<nil>: Invalid value: \"object\": failed rule: self.metadata.name.startsWith('w')"]);
  });

  test('self == oldSelf: ignored on create, enforced on update, default message', () => {
    assert.deepEqual(validateCustomResource(schema, obj({ zone: 'a', owner: 'x' }), undefined).causes, []);
    const old = obj({ zone: 'a', owner: 'x' });
    assert.deepEqual(validateCustomResource(schema, obj({ zone: 'a', owner: 'x' }), old).causes, []);
    assert.deepEqual(msgs(validateCustomResource(schema, obj({ zone: 'b', owner: 'y' }), old).causes), [
      'spec.zone: Invalid value: "string": zone is immutable',
      'spec.owner: Invalid value: "string": failed rule: self == oldSelf',
    ]);
  });

  test('transition rule does not run when the old object lacks the field', () => {
    assert.deepEqual(validateCustomResource(schema, obj({ zone: 'b' }), obj({})).causes, []);
  });

  test('macros, reason and fieldPath', () => {
    const { causes } = validateCustomResource(schema, obj({ names: ['x-a', 'b'] }), undefined);
    assert.deepEqual(causes, [{ reason: 'FieldValueForbidden', field: 'spec.names.names', message: 'Forbidden: failed rule: self.all(n, n.startsWith("x-"))' }]);
  });

  test('messageExpression', () => {
    const s: JSONSchemaProps = {
      type: 'object',
      properties: { spec: { type: 'object', properties: { n: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.n > 2', messageExpression: "'n is ' + string(self.n)" }] } },
    };
    assert.deepEqual(msgs(validateCustomResource(s, { spec: { n: 1 } }, undefined).causes), ['spec: Invalid value: "object": n is 1']);
  });

  test('runtime error: no such key', () => {
    const s: JSONSchemaProps = {
      type: 'object',
      properties: { spec: { type: 'object', properties: { n: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.n > 2' }] } },
    };
    assert.deepEqual(msgs(validateCustomResource(s, { spec: {} }, undefined).causes), [
      'spec: Invalid value: "object": no such key: n evaluating rule: self.n > 2',
    ]);
  });

  test('blocking schema errors skip the rules with the real notice', () => {
    const { causes } = validateCustomResource(schema, obj({ replicas: 'x', minReplicas: 3 }), undefined);
    assert.deepEqual(msgs(causes), [
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });
});

describe('ratcheting on update', () => {
  test('an unchanged invalid value is not re-validated; a changed one is', () => {
    const old = wrap({ size: 'small', name: 'TOOLONGNAME' });
    assert.deepEqual(validateCustomResource(widgetSchema, wrap({ size: 'large', name: 'TOOLONGNAME' }), old).causes, []);
    assert.equal(validateCustomResource(widgetSchema, wrap({ size: 'large', name: 'TOOLONGNAMEX' }), old).causes.length, 2);
  });
});

describe('CEL subset evaluator', () => {
  const cases: Array<[string, unknown, unknown]> = [
    ['self.a + self.b * 2', { a: 1, b: 3 }, 7],
    ['self.a / 2', { a: 5 }, 2],
    ['self.s.size() == 3 && size(self.l) == 2', { s: 'abc', l: [1, 2] }, true],
    ["self.s.matches('^a.c$')", { s: 'abc' }, true],
    ["self.s.endsWith('c') ? 'yes' : 'no'", { s: 'abc' }, 'yes'],
    ['self.l.exists(x, x > 1)', { l: [1, 2] }, true],
    ['self.l.exists_one(x, x > 0)', { l: [1, 2] }, false],
    ['self.l.map(x, x * 2)', { l: [1, 2] }, [2, 4]],
    ['self.l.filter(x, x > 1)', { l: [1, 2, 3] }, [2, 3]],
    ["'k' in self.m && !('z' in self.m)", { m: { k: 1 } }, true],
    ["self.m['k'] == 1", { m: { k: 1 } }, true],
    ['self.l[1]', { l: [1, 2] }, 2],
    ['false && self.missing', {}, false],
    ['self.missing || true', {}, true],
    ['int("12") + 1', {}, 13],
    ['-self.a', { a: 2 }, -2],
    ['[1, 2] + [3]', {}, [1, 2, 3]],
    ["{'a': 1}.a", {}, 1],
  ];
  for (const [rule, self, want] of cases) {
    test(rule, () => assert.deepEqual(evaluateRule(compileRule(rule), self), want));
  }
  const errors: Array<[string, unknown, string]> = [
    ['self.l[5]', { l: [] }, 'index out of bounds: 5'],
    ['self.a / 0', { a: 1 }, 'division by zero'],
    ["self.a + 'x'", { a: 1 }, 'no such overload'],
    ['self.x', {}, 'no such key: x'],
  ];
  for (const [rule, self, message] of errors) {
    test(`error ${rule}`, () => assert.throws(() => evaluateRule(compileRule(rule), self), { name: 'CelEvalError', message }));
  }
  test('no code execution: unknown identifiers and functions do not compile', () => {
    assert.throws(() => compileRule('process.exit(1)'), /undeclared reference to 'process'/);
    assert.throws(() => compileRule('self.constructor("x")'), /undeclared reference to 'constructor'/);
    assert.throws(() => compileRule('self.a +'), /Syntax error/);
    assert.throws(() => evaluateRule(compileRule('self.__proto__'), {}), /no such key: __proto__/);
  });
});

describe('RE2 patterns', () => {
  test('translations and rejections', () => {
    assert.equal(compilePattern('(?i)^abc$').test('ABC'), true);
    assert.equal(compilePattern('^[[:alpha:]]+\\z').test('abc'), true);
    assert.equal(compilePattern('^\\pL+$').test('äb'), true);
    assert.throws(() => compilePattern('^(?=a)'), /invalid or unsupported Perl syntax/);
    assert.throws(() => compilePattern('(a)\\1'), /invalid escape sequence/);
    assert.throws(() => compilePattern('a++'), /invalid nested repetition operator/);
    assert.equal(compilePattern('^\\++$').test('++'), true);
    assert.equal(compilePattern('^\\\\1$').test('\\1'), true);
    assert.equal(compilePattern('^[a-z]([-a-z0-9]*[a-z0-9])?$').test('my-name'), true);
  });
});

describe('validateCrdSchema', () => {
  const crd = (schema: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
      ...extra,
    },
  });
  const P = 'spec.versions[0].schema.openAPIV3Schema';

  test('a good schema passes; singular/listKind are derived', () => {
    assert.deepEqual(validateCrdSchema(crd(widgetSchema)), []);
  });

  const cases: Array<[string, unknown, string[]]> = [
    ['missing type', { type: 'object', properties: { spec: { properties: {} } } }, [`${P}.properties[spec].type: Required value: must not be empty for specified object fields`]],
    ['root type', { type: 'string' }, [`${P}.type: Invalid value: "string": must be object at the root`]],
    ['array without items', { type: 'object', properties: { a: { type: 'array' } } }, [`${P}.properties[a].items: Required value: must be specified`]],
    ['$ref', { type: 'object', properties: { a: { type: 'string', $ref: '#/x' } } }, [`${P}.properties[a].$ref: Forbidden: $ref is not supported`]],
    ['uniqueItems', { type: 'object', properties: { a: { type: 'array', items: { type: 'string' }, uniqueItems: true } } }, [`${P}.properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`]],
    ['props+additionalProperties', { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } }, additionalProperties: { type: 'string' } } } }, [`${P}.properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`]],
    ['patternProperties', { type: 'object', properties: { a: { type: 'object', patternProperties: {} } } }, [`${P}.properties[a].patternProperties: Forbidden: patternProperties is not supported`]],
    ['metadata', { type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } }, [`${P}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`]],
    ['bad default', { type: 'object', properties: { a: { type: 'integer', maximum: 3, default: 5 } } }, [`${P}.properties[a].default: Invalid value: 5:  in body should be less than or equal to 3`]],
    ['unpruned default', { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } }, default: { c: 1 } } } }, [`${P}.properties[a].default: Invalid value: {"c":1}: must not have unknown fields`]],
    ['bad pattern', { type: 'object', properties: { a: { type: 'string', pattern: '(?=x)' } } }, [`${P}.properties[a].pattern: Invalid value: "(?=x)": must be a valid regular expression, but isn't: invalid or unsupported Perl syntax: \`(?=\``]],
    ['type in allOf', { type: 'object', properties: { a: { type: 'string', allOf: [{ type: 'string' }] } } }, [`${P}.properties[a].allOf[0].type: Forbidden: must be empty to be structural`]],
  ];
  for (const [name, schema, want] of cases) {
    test(name, () => assert.deepEqual(msgs(validateCrdSchema(crd(schema))), want));
  }

  test('int-or-string anyOf pattern is structural', () => {
    const s = { type: 'object', properties: { p: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } } };
    assert.deepEqual(validateCrdSchema(crd(s)), []);
  });

  test('rule outside the CEL subset is rejected, naming the rule', () => {
    const s = { type: 'object', properties: { a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.lowerAscii() == quantity("1")' }] } } };
    const [c, ...rest] = validateCrdSchema(crd(s));
    assert.equal(rest.length, 0);
    assert.equal(c?.field, `${P}.properties[a].x-kubernetes-validations[0].rule`);
    assert.match(c?.message ?? '', /undeclared reference to 'quantity'.*CEL subset/);
  });

  test('oldSelf under an atomic list is uncorrelatable', () => {
    const s = { type: 'object', properties: { l: { type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] } } } };
    assert.deepEqual(msgs(validateCrdSchema(crd(s))), [
      `${P}.properties[l].items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within ${P}.properties[l]`,
    ]);
  });

  test('names, scope, group, storage versions', () => {
    const bad = crd(widgetSchema);
    const spec = bad.spec as Record<string, unknown>;
    spec.group = 'example';
    spec.scope = 'Global';
    spec.names = { plural: 'Widgets', kind: 'Widget', listKind: 'Widget' };
    (spec.versions as Array<Record<string, unknown>>)[0]!.storage = false;
    assert.deepEqual(msgs(validateCrdSchema(bad)), [
      'metadata.name: Invalid value: "widgets.example.com": must be spec.names.plural+"."+spec.group',
      'spec.group: Invalid value: "example": should be a domain with at least one dot',
      'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
      `spec.versions: Invalid value: ${JSON.stringify(spec.versions)}: must have exactly one version marked as storage version`,
      "spec.names.plural: Invalid value: \"Widgets\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      'spec.names.listKind: Invalid value: "Widget": kind and listKind may not be the same',
    ]);
  });
});
