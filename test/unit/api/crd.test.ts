// The generated CRDs: checked-in YAML matches the source, every schema is structural, and the
// names, columns, defaults and validations are the ones the API promises.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { validateCrdSchema } from '../../../src/apiserver/validation/index.ts';
import { z } from 'zod';
import {
  buildCrds,
  CRD_OUTPUT_DIR,
  CrdSchemaError,
  crdForKind,
  type CustomResourceDefinition,
  type JsonSchemaProps,
  renderCrdManifests,
  structuralSchemaViolations,
  toStructuralSchema,
} from '../../../src/api/index.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');
const crdDir = join(repoRoot, CRD_OUTPUT_DIR);

function schemaOf(crd: CustomResourceDefinition): JsonSchemaProps {
  const [version] = crd.spec.versions;
  assert.ok(version);
  return version.schema.openAPIV3Schema;
}

function at(schema: JsonSchemaProps, ...path: string[]): JsonSchemaProps {
  let node = schema;
  for (const key of path) {
    const next = key === '[]' ? node.items : node.properties?.[key];
    assert.ok(next, `no schema at ${path.join('.')}`);
    node = next;
  }
  return node;
}

/** Every schema node, depth first, with its path. */
function* walk(node: JsonSchemaProps, path = ''): Generator<[string, JsonSchemaProps]> {
  yield [path, node];
  for (const [key, child] of Object.entries(node.properties ?? {})) yield* walk(child, `${path}.${key}`);
  if (node.items) yield* walk(node.items, `${path}[]`);
  if (typeof node.additionalProperties === 'object') yield* walk(node.additionalProperties, `${path}.*`);
}

describe('deploy/crds', () => {
  test('the checked-in files are exactly what the source generates (run scripts/gen-crds.ts)', async () => {
    const expected = renderCrdManifests();
    const onDisk = (await readdir(crdDir)).filter((f) => f.endsWith('.yaml')).sort();
    assert.deepEqual(onDisk, expected.map((m) => m.fileName).sort(), 'deploy/crds holds other files than the generator writes');
    for (const { fileName, content } of expected) {
      const actual = await readFile(join(crdDir, fileName), 'utf8');
      assert.ok(actual === content, `${CRD_OUTPUT_DIR}/${fileName} is out of date: run npm exec -- node scripts/gen-crds.ts`);
    }
  });

  test('the YAML parses back to the generated objects', async () => {
    for (const crd of buildCrds()) {
      const text = await readFile(join(crdDir, `gastown.gastown.io_${crd.spec.names.plural}.yaml`), 'utf8');
      assert.deepEqual(parse(text), crd);
    }
  });

  test('the kustomization lists every CRD', async () => {
    const kustomization: unknown = parse(await readFile(join(crdDir, 'kustomization.yaml'), 'utf8'));
    assert.deepEqual(kustomization, {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['gastown.gastown.io_rigs.yaml', 'gastown.gastown.io_polecats.yaml', 'gastown.gastown.io_convoys.yaml'],
    });
  });
});

describe('CRD structure', () => {
  test('every schema is structural', () => {
    for (const crd of buildCrds()) assert.deepEqual(structuralSchemaViolations(schemaOf(crd)), [], crd.metadata.name);
  });

  test('no construct a CRD refuses survives anywhere', () => {
    for (const crd of buildCrds()) {
      for (const [path, node] of walk(schemaOf(crd))) {
        const where = `${crd.metadata.name}${path}`;
        assert.notEqual(node.additionalProperties, false, where);
        assert.equal('$ref' in node, false, where);
        if (node['x-kubernetes-int-or-string'] === true) {
          // The one untyped node a CRD allows (resource quantities): exactly integer|string.
          assert.deepEqual(node.anyOf, [{ type: 'integer' }, { type: 'string' }], where);
          assert.equal(node.type, undefined, where);
          continue;
        }
        assert.equal(node.anyOf, undefined, where);
        assert.ok(node.type !== undefined, `${where} has no type`);
        assert.notEqual(node.maximum, Number.MAX_SAFE_INTEGER, `${where} carries a JavaScript safe-integer bound`);
        if (node.format === 'date-time') assert.equal(node.pattern, undefined, where);
      }
    }
  });

  test('names, scope, short names and the gastown category', () => {
    const expected = [
      ['rigs.gastown.gastown.io', 'Rig', 'Cluster', ['rig']],
      ['polecats.gastown.gastown.io', 'Polecat', 'Namespaced', ['pc']],
      ['convoys.gastown.gastown.io', 'Convoy', 'Namespaced', ['cv']],
    ] as const;
    const crds = buildCrds();
    assert.equal(crds.length, expected.length);
    crds.forEach((crd, i) => {
      const [name, kind, scope, shortNames] = expected[i]!;
      assert.equal(crd.metadata.name, name);
      assert.equal(crd.spec.group, 'gastown.gastown.io');
      assert.equal(crd.spec.names.kind, kind);
      assert.equal(crd.spec.names.listKind, `${kind}List`);
      assert.equal(crd.spec.names.singular, kind.toLowerCase());
      assert.equal(crd.spec.scope, scope);
      assert.deepEqual(crd.spec.names.shortNames, shortNames);
      assert.deepEqual(crd.spec.names.categories, ['gastown']);
      assert.equal(crd.spec.versions.length, 1);
      const [version] = crd.spec.versions;
      assert.equal(version!.name, 'v1alpha1');
      assert.equal(version!.served && version!.storage, true);
      assert.deepEqual(version!.subresources, { status: {} });
      assert.deepEqual(schemaOf(crd).required, ['spec']);
    });
  });

  test('printer columns', () => {
    const columns = (crd: CustomResourceDefinition) =>
      crd.spec.versions[0]!.additionalPrinterColumns.filter((c) => (c.priority ?? 0) === 0).map((c) => [c.name, c.type, c.jsonPath]);
    assert.deepEqual(columns(crdForKind('Rig')), [
      ['Phase', 'string', '.status.phase'],
      ['Polecats', 'integer', '.status.polecatCount'],
      ['Convoys', 'integer', '.status.activeConvoys'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ]);
    assert.deepEqual(columns(crdForKind('Polecat')), [
      ['Rig', 'string', '.spec.rig'],
      ['Phase', 'string', '.status.phase'],
      ['Bead', 'string', '.spec.beadID'],
      ['GT Name', 'string', '.status.gtName'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ]);
    assert.deepEqual(columns(crdForKind('Convoy')), [
      ['Phase', 'string', '.status.phase'],
      ['Progress', 'string', '.status.progress'],
      ['Convoy ID', 'string', '.status.beadsConvoyID'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ]);
  });

  test('every printer column points at a field of the schema', () => {
    for (const crd of buildCrds()) {
      for (const column of crd.spec.versions[0]!.additionalPrinterColumns) {
        if (column.jsonPath.startsWith('.metadata.')) continue;
        at(schemaOf(crd), ...column.jsonPath.slice(1).split('.'));
      }
    }
  });

  test('defaults are in the schema and defaulted fields are optional', () => {
    const polecatSpec = at(schemaOf(crdForKind('Polecat')), 'spec');
    assert.equal(at(polecatSpec, 'desiredState').default, 'Idle');
    assert.deepEqual(at(polecatSpec, 'desiredState').enum, ['Idle', 'Working', 'Terminated']);
    assert.deepEqual(polecatSpec.required, ['rig']);
    const convoySpec = at(schemaOf(crdForKind('Convoy')), 'spec');
    assert.equal(at(convoySpec, 'notifyOnComplete').default, false);
    assert.equal(at(convoySpec, 'notifyAddress').default, 'mayor/');
    assert.deepEqual(convoySpec.required, ['trackedBeads']);
  });

  test('spec validations: immutable rig, bead lists, absolute localPath', () => {
    const rigField = at(schemaOf(crdForKind('Polecat')), 'spec', 'rig');
    assert.deepEqual(rigField['x-kubernetes-validations'], [{ rule: 'self == oldSelf', message: 'rig is immutable' }]);
    const tracked = at(schemaOf(crdForKind('Convoy')), 'spec', 'trackedBeads');
    assert.equal(tracked.minItems, 1);
    assert.equal(tracked['x-kubernetes-list-type'], 'set');
    assert.deepEqual(at(schemaOf(crdForKind('Rig')), 'spec').required, ['localPath']);
  });

  test('the CRD patterns accept and refuse what the zod schemas do (they are evaluated by RE2 there)', () => {
    const pattern = (node: JsonSchemaProps) => new RegExp(node.pattern ?? 'missing pattern');
    const localPath = pattern(at(schemaOf(crdForKind('Rig')), 'spec', 'localPath'));
    for (const ok of ['/', '/srv/gt/gastown', '/a/.../b']) assert.match(ok, localPath);
    for (const bad of ['srv/gt', '/a/../b', '/..', '/a\0b']) assert.doesNotMatch(bad, localPath);
    const beadId = pattern(at(schemaOf(crdForKind('Convoy')), 'spec', 'trackedBeads', '[]'));
    assert.match('gt-abc12.3', beadId);
    assert.doesNotMatch('gt_abc12', beadId);
    const rigName = pattern(at(schemaOf(crdForKind('Polecat')), 'spec', 'rig'));
    assert.match('news_api', rigName);
    assert.doesNotMatch('news-api', rigName);
  });

  test('conditions are a map list keyed by type, with the metav1.Condition fields', () => {
    for (const crd of buildCrds()) {
      const conditions = at(schemaOf(crd), 'status', 'conditions');
      assert.equal(conditions['x-kubernetes-list-type'], 'map');
      assert.deepEqual(conditions['x-kubernetes-list-map-keys'], ['type']);
      const item = at(conditions, '[]');
      assert.deepEqual(item.required, ['type', 'status', 'lastTransitionTime', 'reason', 'message']);
      assert.deepEqual(at(item, 'status').enum, ['True', 'False', 'Unknown']);
      assert.equal(at(item, 'reason').pattern, '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$');
      assert.equal(at(item, 'lastTransitionTime').format, 'date-time');
      assert.deepEqual(at(schemaOf(crd), 'status', 'lastFailure').required, ['time', 'reason', 'message', 'retryCount']);
    }
  });

  test('status fields per kind', () => {
    const fields = (kind: 'Rig' | 'Polecat' | 'Convoy') => Object.keys(at(schemaOf(crdForKind(kind)), 'status').properties ?? {});
    assert.deepEqual(fields('Rig'), [
      'phase', 'operationalState', 'operationalStateKnown', 'polecatCount', 'activeConvoys', 'witnessRunning', 'refineryRunning', 'mergeQueue',
      'execution', 'observedGeneration', 'conditions', 'lastFailure',
    ]);
    assert.deepEqual(fields('Polecat'), [
      'phase', 'gtName', 'rig', 'beadID', 'dispatchedBeadID', 'beadStatus', 'branch', 'session', 'sessionRunning', 'gtState', 'cleanupStatus', 'cleanupStatusKnown', 'lastActivity',
      'stuckSince', 'escalation', 'execution', 'observedGeneration', 'conditions', 'lastFailure',
    ]);
    assert.deepEqual(fields('Convoy'), [
      'phase', 'beadsConvoyID', 'gtStatus', 'gtStatusKnown', 'progress', 'totalBeads', 'completedCount', 'pendingCount', 'completedBeads',
      'pendingBeads', 'beadListsTruncated', 'startedAt', 'completedAt', 'notifiedAt', 'observedGeneration', 'conditions', 'lastFailure',
    ]);
    assert.equal(at(schemaOf(crdForKind('Polecat')), 'status', 'phase').enum, undefined, 'status phases are open strings');
  });

  test("the embedded API server's CRD validation reports no causes", () => {
    for (const crd of buildCrds()) {
      assert.deepEqual(validateCrdSchema(crd as unknown as Record<string, unknown>), [], crd.metadata.name);
    }
  });
});

describe('toStructuralSchema', () => {
  test('strict objects lose additionalProperties: false, loose ones keep unknown fields', () => {
    assert.deepEqual(toStructuralSchema(z.strictObject({ a: z.string() })), {
      properties: { a: { type: 'string' } },
      required: ['a'],
      type: 'object',
    });
    assert.deepEqual(toStructuralSchema(z.looseObject({ a: z.string().optional() })), {
      properties: { a: { type: 'string' } },
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });

  test('maps become additionalProperties, nullable and defaults are kept', () => {
    assert.deepEqual(toStructuralSchema(z.object({ m: z.record(z.string(), z.int()), n: z.string().nullable().default(null) })), {
      properties: {
        m: { additionalProperties: { type: 'integer' }, type: 'object' },
        n: { default: null, nullable: true, type: 'string' },
      },
      required: ['m'],
      type: 'object',
    });
  });

  test('string|integer becomes int-or-string; alternatives of one type hoist the type out', () => {
    assert.deepEqual(toStructuralSchema(z.union([z.string(), z.int()])), {
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
    });
    const hoisted = toStructuralSchema(z.union([z.string().regex(/^a$/), z.string().regex(/^b$/)]));
    assert.deepEqual(hoisted, { anyOf: [{ pattern: '^a$' }, { pattern: '^b$' }], type: 'string' });
    assert.deepEqual(structuralSchemaViolations({ type: 'object', properties: { x: hoisted } }), []);
  });

  test('what a CRD cannot express fails generation with the path', () => {
    const fails = (schema: z.ZodType, path: RegExp) =>
      assert.throws(() => toStructuralSchema(schema), (error: unknown) => error instanceof CrdSchemaError && path.test(error.path));
    fails(z.object({ a: z.unknown() }), /^\.properties\.a$/);
    fails(z.object({ a: z.union([z.object({ x: z.string() }), z.string()]) }), /^\.properties\.a$/);
    fails(z.object({ a: z.tuple([z.string(), z.int()]) }), /^\.properties\.a$/);
    fails(z.object({ a: z.intersection(z.object({ x: z.string() }), z.object({ y: z.string() })) }), /^\.properties\.a$/);
    fails(z.object({ a: z.string().regex(/^(?=x)/) }), /^\.properties\.a$/);
    fails(z.object({ a: z.union([z.string().min(1), z.int()]) }), /^\.properties\.a$/);
    fails(z.object({ a: z.array(z.object({ k: z.string().optional() })).meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'] }) }), /^\.properties\.a$/);
  });
});
