import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FieldLabelNotSupportedError,
  SelectorParseError,
  labelSelectorFromObject,
  labelSelectorToString,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../../../../src/apiserver/selectors/index.ts';

describe('parseLabelSelector + matchesLabels', () => {
  const cases: Array<[string, Record<string, string> | undefined, boolean]> = [
    ['', undefined, true],
    ['', { a: 'b' }, true],
    ['app=web', { app: 'web' }, true],
    ['app=web', { app: 'db' }, false],
    ['app=web', undefined, false],
    ['app==web', { app: 'web' }, true],
    ['app!=web', { app: 'db' }, true],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['app in (web,db)', { app: 'db' }, true],
    ['app in (web,db)', { app: 'cache' }, false],
    ['app in (web,db)', {}, false],
    ['app notin (web,db)', { app: 'cache' }, true],
    ['app notin (web,db)', {}, true],
    ['app notin (web,db)', { app: 'web' }, false],
    ['app', { app: '' }, true],
    ['app', {}, false],
    ['!app', {}, true],
    ['!app', { app: 'x' }, false],
    ['app=web,tier=front', { app: 'web', tier: 'front' }, true],
    ['app=web,tier=front', { app: 'web', tier: 'back' }, false],
    ['  app  =  web ,  !gone  ', { app: 'web' }, true],
    ['app in ( web , db )', { app: 'web' }, true],
    ['app=', { app: '' }, true],
    ['app=', { app: 'x' }, false],
    ['app in (), x', { app: '', x: '1' }, true],
    ['example.com/role=lead', { 'example.com/role': 'lead' }, true],
    ['x in (in,notin)', { x: 'notin' }, true],
    ['n>5', { n: '6' }, true],
    ['n>5', { n: '5' }, false],
    ['n<5', { n: '-1' }, true],
    ['n<5', { n: 'abc' }, false],
    ['n<5', {}, false],
  ];
  for (const [sel, labels, want] of cases) {
    test(`${JSON.stringify(sel)} on ${JSON.stringify(labels)} -> ${want}`, () => {
      assert.equal(matchesLabels(parseLabelSelector(sel), labels), want);
    });
  }

  test('requirements are sorted by key and set values sorted, like labels.Parse', () => {
    const sel = parseLabelSelector('z=1,a in (c,b),!m,k');
    assert.equal(labelSelectorToString(sel), 'a in (b,c),k,!m,z=1');
  });
});

describe('parseLabelSelector errors carry the apiserver texts', () => {
  const cases: Array<[string, string]> = [
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b,', "found '', expected: identifier after ','"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a (b)', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['=', "found '=', expected: !, identifier, or 'end of string'"],
    [
      'a=b c',
      "found 'c', expected: ',' or 'end of string'",
    ],
    [
      'Foo_=x',
      'unable to parse requirement: <nil>: Invalid value: "Foo_": name part must consist of alphanumeric characters, ' +
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or " +
        "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ],
    [
      'a=b_',
      'unable to parse requirement: values[0][a]: Invalid value: "b_": a valid label must be an empty string or consist of ' +
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. " +
        "'MyValue', or 'my_value', or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ],
    ['/a', 'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty'],
    ['n>x', 'unable to parse requirement: values[0]: Invalid value: "x": for \'Gt\', \'Lt\' operators, the value must be an integer'],
    ['a=!', "unable to parse requirement: found '!', expected: identifier"],
    ['a<<b', "unable to parse requirement: found '<', expected: identifier"],
  ];
  for (const [sel, message] of cases) {
    test(JSON.stringify(sel), () => {
      assert.throws(() => parseLabelSelector(sel), (err: unknown) => {
        assert.ok(err instanceof SelectorParseError);
        assert.equal(err.message, message);
        return true;
      });
    });
  }

  test('a 64-character name part is too long', () => {
    assert.throws(() => parseLabelSelector(`${'a'.repeat(64)}=x`), /name part must be no more than 63 characters/);
  });
});

describe('labelSelectorFromObject', () => {
  test('matchLabels and matchExpressions are ANDed', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'edge'] },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    assert.equal(matchesLabels(sel, { app: 'web', tier: 'edge' }), true);
    assert.equal(matchesLabels(sel, { app: 'web', tier: 'edge', legacy: '1' }), false);
    assert.equal(matchesLabels(sel, { app: 'web', tier: 'back' }), false);
  });
  test('empty object selects everything', () => {
    assert.equal(matchesLabels(labelSelectorFromObject({}), { x: 'y' }), true);
  });
  test('unknown operator and empty In set are rejected', () => {
    assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Gt' }] }), {
      message: '"Gt" is not a valid label selector operator',
    });
    assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), {
      message: "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty",
    });
  });
});

describe('field selectors', () => {
  const obj = { metadata: { name: 'w1', namespace: 'ns1' }, spec: { x: 1 } };
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['', obj, true],
    ['metadata.name=w1', obj, true],
    ['metadata.name==w1', obj, true],
    ['metadata.name!=w1', obj, false],
    ['metadata.name=w2', obj, false],
    ['metadata.name=w1,metadata.namespace=ns1', obj, true],
    ['metadata.name=w1,metadata.namespace=ns2', obj, false],
    ['metadata.namespace=', { metadata: { name: 'c' } }, true],
    ['metadata.namespace!=', { metadata: { name: 'c' } }, false],
    ['metadata.name=a\\,b', { metadata: { name: 'a,b' } }, true],
    ['metadata.name=a\\=b', { metadata: { name: 'a=b' } }, true],
  ];
  for (const [sel, o, want] of cases) {
    test(`${JSON.stringify(sel)} -> ${want}`, () => {
      assert.equal(matchesFields(parseFieldSelector(sel), o), want);
    });
  }

  test('unsupported field label: the real message', () => {
    assert.throws(() => matchesFields(parseFieldSelector('spec.x=1'), obj), (err: unknown) => {
      assert.ok(err instanceof FieldLabelNotSupportedError);
      assert.equal(err.message, 'field label not supported: spec.x');
      return true;
    });
  });

  test('blanks are not trimmed, as in fields.ParseSelector', () => {
    assert.throws(() => matchesFields(parseFieldSelector('metadata.name = w1'), obj), {
      message: 'field label not supported: metadata.name ',
    });
  });

  test('extra supported labels (built-ins) are read by dotted path', () => {
    const pod = { metadata: { name: 'p' }, status: { phase: 'Running' } };
    assert.equal(matchesFields(parseFieldSelector('status.phase=Running'), pod, ['status.phase']), true);
  });

  const errors: Array<[string, string]> = [
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ['a=b,c', "invalid selector: 'a=b,c'; can't understand 'c'"],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
    ['a==b=c', 'invalid field selector: unescaped character in value: 61'],
  ];
  for (const [sel, message] of errors) {
    test(`error ${JSON.stringify(sel)}`, () => {
      assert.throws(() => parseFieldSelector(sel), (err: unknown) => {
        assert.ok(err instanceof SelectorParseError);
        assert.equal(err.message, message);
        return true;
      });
    });
  }
});
