// Shared bits of the runtime's integration tests: a tiny test CRD (namespaced Widget with a
// status subresource), polling with a deadline, and a silent logger by default
// (RUNTIME_TEST_LOG=debug shows the runtime's logs).
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { LevelWithSilent } from 'pino';
import { createLogger, silentLogger, type Logger } from '../../../src/observability/logger.ts';
import type { Condition } from '../../../src/runtime/conditions.ts';
import { crdKind } from '../../../src/runtime/crd-watch.ts';
import type { LastFailure } from '../../../src/runtime/status.ts';
import { KubeClient, type KubeObject, type ResourceKind } from '../../../src/runtime/k8s.ts';

export const widgetKind: ResourceKind = {
  group: 'test.gastown.io',
  version: 'v1',
  plural: 'widgets',
  kind: 'Widget',
  namespaced: true,
};

export interface Widget extends KubeObject {
  spec?: { size?: number; owner?: string };
  status?: { phase?: string; observed?: number; conditions?: Condition[]; lastFailure?: LastFailure };
}

export function widgetCrd(kind: ResourceKind = widgetKind): KubeObject & { spec: Record<string, unknown> } {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${kind.plural}.${kind.group}` },
    spec: {
      group: kind.group,
      scope: kind.namespaced ? 'Namespaced' : 'Cluster',
      names: { plural: kind.plural, singular: kind.kind.toLowerCase(), kind: kind.kind, listKind: `${kind.kind}List` },
      versions: [
        {
          name: kind.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
}

export async function installCrd(kc: KubeConfig, kind: ResourceKind = widgetKind): Promise<void> {
  await new KubeClient(kc).create(crdKind, widgetCrd(kind));
}

export function testLogger(): Logger {
  const level = process.env.RUNTIME_TEST_LOG;
  return level ? createLogger({ level: level as LevelWithSilent, destination: process.stderr }) : silentLogger();
}

/** Polls `check` until it returns a truthy value, or fails with `what` at the deadline. */

export function widget(name: string, namespace = 'default', spec: Widget['spec'] = { size: 1 }): Widget {
  return { metadata: { name, namespace }, spec };
}

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
}
