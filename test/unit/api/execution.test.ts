// Rig.spec.execution: the zod schema and the generated CRD (as the embedded API server enforces
// it, CEL included) accept a Pod-mode template and refuse the same bad inputs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { API_GROUP_VERSION, crdForKind, executionSchema, rigSpecSchema } from '../../../src/api/index.ts';
import { validateCustomResource, type JSONSchemaProps } from '../../../src/apiserver/validation/index.ts';

const podMode = {
  mode: 'Pod',
  namespace: 'polecats',
  proxyURL: 'https://gt-proxy.town.svc:9876',
  proxyAdminURL: 'http://127.0.0.1:9877',
  maxPods: 4,
  pod: {
    image: 'ghcr.io/example/polecat:1.2',
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '4Gi', cpu: 2 } },
    nodeSelector: { pool: 'agents' },
    tolerations: [{ key: 'agents', operator: 'Exists', effect: 'NoSchedule' }],
    affinity: { nodeAffinity: { anything: 'kept' } },
    runtimeClassName: 'gvisor',
    env: [{ name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: 'model-key', key: 'key' } } }],
    activeDeadlineSeconds: 7200,
  },
  networkPolicy: { modelEndpoints: [{ cidr: '160.79.104.0/23' }] },
};

function serverCauses(execution: unknown): string[] {
  const version = crdForKind('Rig').spec.versions[0];
  assert.ok(version);
  const obj = { apiVersion: API_GROUP_VERSION, kind: 'Rig', metadata: { name: 'x', generation: 1 }, spec: { localPath: '/srv/gt/app', execution } };
  const result = validateCustomResource(version.schema.openAPIV3Schema as unknown as JSONSchemaProps, obj, undefined);
  return result.causes.map((c: { field: string; message: string }) => `${c.field}: ${c.message}`);
}

describe('Rig.spec.execution', () => {
  test('Local is the default and a full Pod template is accepted by zod and the API server', () => {
    assert.equal(executionSchema.parse({}).mode, 'Local');
    const parsed = executionSchema.parse(podMode);
    assert.equal(parsed.networkPolicy?.enabled, true);
    assert.deepEqual(serverCauses(podMode), []);
    assert.equal(rigSpecSchema.parse({ localPath: '/srv/gt/app' }).execution, undefined);
  });

  test('bad templates are refused by both, at the field', () => {
    const cases: Array<[string, unknown, string]> = [
      ['Pod without a template', { mode: 'Pod', proxyURL: 'https://p:9876' }, 'pod template'],
      ['Pod without a proxy', { ...podMode, proxyURL: undefined }, 'proxyURL'],
      ['image with whitespace', { ...podMode, pod: { ...podMode.pod, image: 'bad image' } }, 'execution.pod.image'],
      ['reserved env', { ...podMode, pod: { ...podMode.pod, env: [{ name: 'GT_PROXY_URL', value: 'x' }] } }, 'set by the operator'],
      ['env value and valueFrom', { ...podMode, pod: { ...podMode.pod, env: [{ name: 'K', value: 'v', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] } }, 'exactly one'],
      ['unknown mode', { ...podMode, mode: 'Daytona' }, 'execution.mode'],
      ['bad namespace', { ...podMode, namespace: 'Bad_NS' }, 'execution.namespace'],
    ];
    for (const [what, input, expected] of cases) {
      const zod = executionSchema.safeParse(JSON.parse(JSON.stringify(input)));
      assert.equal(zod.success, false, `zod accepts ${what}`);
      const causes = serverCauses(JSON.parse(JSON.stringify(input)));
      assert.ok(causes.some((c) => c.includes(expected)), `${what}: ${causes.join('; ')}`);
    }
  });

  test('quantities are checked by zod', () => {
    const bad = { ...podMode, pod: { ...podMode.pod, resources: { limits: { memory: 'lots' } } } };
    assert.equal(executionSchema.safeParse(bad).success, false);
  });
});
