// The session pod: one deterministic name per polecat, the proxy CN rule, and a manifest that
// mounts nothing from the host and carries credentials only from the polecat's Secret.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { executionSchema } from '../../../src/api/index.ts';
import { buildSessionPod, certificateCN, sessionPodName, sessionSecretName } from '../../../src/execution/session-pod.ts';

const execution = executionSchema.parse({
  mode: 'Pod', proxyURL: 'https://gt-proxy:9876/', pod: {
    image: 'polecat:1', runtimeClassName: 'gvisor', resources: { limits: { memory: '2Gi' } },
    env: [{ name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: 'model', key: 'key' } } }],
  },
});

describe('session pod', () => {
  test('names are deterministic, valid DNS labels and distinct for names that fold together', () => {
    assert.equal(sessionPodName('news_api', 'Toast'), sessionPodName('news_api', 'Toast'));
    assert.notEqual(sessionPodName('news_api', 'toast'), sessionPodName('news-api', 'toast'));
    for (const name of [sessionPodName('news_api', 'Toast'), sessionPodName('r'.repeat(64), 'p'.repeat(64))]) {
      assert.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      assert.ok(name.length <= 63, name);
    }
    assert.match(sessionSecretName(sessionPodName('gastown', 'nux')), /^gt-gastown-nux-[0-9a-f]{8}-cert$/);
  });

  test('the CN is gt-<rig>-<name>, refused when a name has a character it cannot carry', () => {
    assert.deepEqual(certificateCN('news_api', 'nux'), { ok: true, cn: 'gt-news_api-nux' });
    const bad = certificateCN('news-api', 'nux');
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.error.message.includes('news-api'));
    assert.equal(certificateCN('gastown', 'a/b').ok, false);
  });

  test('the manifest: TTY agent, init clone through the proxy, Secret-only credentials, no host mounts', () => {
    const pod = buildSessionPod({
      rig: 'gastown', polecat: 'nux', namespace: 'polecats', execution: { ...execution, pod: execution.pod!, proxyURL: execution.proxyURL! },
      argv: ['claude', '--dangerously-skip-permissions'], env: { GT_RIG: 'gastown', GT_POLECAT: 'nux', GT_SESSION: 'gt-nux', GT_PROXY_URL: 'spoofed', GT_ROOT: '/home/me/gt', GT_SIM_NODE: '/opt/node', PATH: '/x' },
      branch: 'polecat/nux-abc',
    }) as { metadata: { name: string }; spec: Record<string, unknown> & { containers: Array<Record<string, unknown>>; initContainers: Array<Record<string, unknown>>; volumes: Array<Record<string, unknown>> } };
    const json = JSON.stringify(pod);
    assert.equal(json.includes('hostPath'), false);
    assert.equal(pod.spec.automountServiceAccountToken, false);
    assert.equal(pod.spec.runtimeClassName, 'gvisor');
    const agent = pod.spec.containers[0]!;
    assert.deepEqual([agent.tty, agent.stdin, agent.command], [true, true, ['claude', '--dangerously-skip-permissions']]);
    const env = agent.env as Array<{ name: string; value?: string }>;
    assert.deepEqual(env.filter((e) => e.name === 'GT_PROXY_URL').map((e) => e.value), ['https://gt-proxy:9876']);
    assert.ok(env.some((e) => e.name === 'GT_POLECAT' && e.value === 'nux'));
    assert.equal(env.some((e) => e.name === 'PATH'), false);
    // Only gt's identity exports: host paths and other GT_* settings of the pane stay out.
    assert.deepEqual(env.filter((e) => e.name.startsWith('GT_') && !e.name.startsWith('GT_PROXY_')).map((e) => e.name), ['GT_RIG', 'GT_POLECAT', 'GT_SESSION']);
    assert.ok(env.some((e) => e.name === 'ANTHROPIC_API_KEY'));
    assert.deepEqual(pod.spec.initContainers[0]!.command, ['git', 'clone', '--branch', 'polecat/nux-abc', '--', 'https://gt-proxy:9876/v1/git/gastown', '/work/repo']);
    assert.deepEqual(pod.spec.volumes[0], { name: 'proxy-cert', secret: { secretName: sessionSecretName(pod.metadata.name), defaultMode: 0o400 } });
  });
});
