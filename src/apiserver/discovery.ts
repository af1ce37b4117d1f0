// Discovery documents, built from the registry on every request (CRDs appear and disappear at
// once): /version, /api, /apis, /apis/<g>, /api/v1 and /apis/<g>/<v> (APIResourceList), and the
// aggregated form (apidiscovery.k8s.io v2 and v2beta1 APIGroupDiscoveryList) that kubectl 1.32
// asks for first on /api and /apis, which saves it one request per group version.
import type { MediaRange } from './http/negotiate.ts';
import type { GroupInfo, Registry } from './registry/registry.ts';
import type { ResourceType } from './registry/types.ts';

const STATUS_VERBS = ['get', 'patch', 'update'];

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+gastown',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23',
  compiler: 'gc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
} as const;

function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

function apiGroup(g: GroupInfo): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: groupVersion(g.name, v.version), version: v.version }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

export function coreVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function groupList(registry: Registry): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().filter((g) => g.name !== '').map(apiGroup) };
}

export function groupDocument(registry: Registry, group: string): Record<string, unknown> | undefined {
  const g = registry.groups().find((x) => x.name === group && group !== '');
  return g === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) };
}

function apiResource(t: ResourceType): Record<string, unknown> {
  const r: Record<string, unknown> = { name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs };
  if (t.shortNames.length > 0) r.shortNames = t.shortNames;
  if (t.categories.length > 0) r.categories = t.categories;
  return r;
}

export function resourceList(registry: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const resources: Array<Record<string, unknown>> = [];
  for (const t of types) {
    resources.push(apiResource(t));
    if (t.statusSubresource) resources.push({ name: `${t.resource}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: STATUS_VERBS });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}

// ---- aggregated discovery -------------------------------------------------------------------

export type AggregatedVersion = 'v2' | 'v2beta1';

/** The aggregated discovery version the client prefers, if it listed one before plain JSON. */
export function wantsAggregated(ranges: readonly MediaRange[]): AggregatedVersion | undefined {
  for (const r of ranges) {
    const p = r.params;
    if (p.as === 'APIGroupDiscoveryList' && p.g === 'apidiscovery.k8s.io' && (p.v === 'v2' || p.v === 'v2beta1')) return p.v;
    if (p.as === undefined) return undefined;
  }
  return undefined;
}

export function aggregatedContentType(v: AggregatedVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
}

function discoveryResource(t: ResourceType): Record<string, unknown> {
  const responseKind = { group: t.group, version: t.version, kind: t.kind };
  const r: Record<string, unknown> = {
    resource: t.resource,
    responseKind,
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
  };
  if (t.shortNames.length > 0) r.shortNames = t.shortNames;
  if (t.categories.length > 0) r.categories = t.categories;
  if (t.statusSubresource) r.subresources = [{ subresource: 'status', responseKind, verbs: STATUS_VERBS }];
  return r;
}

export function aggregatedDiscovery(registry: Registry, core: boolean, v: AggregatedVersion): Record<string, unknown> {
  const items = registry
    .groups()
    .filter((g) => (g.name === '') === core)
    .map((g) => ({
      metadata: g.name === '' ? { creationTimestamp: null } : { name: g.name, creationTimestamp: null },
      versions: g.versions.map((ver) => ({ version: ver.version, resources: ver.resources.map(discoveryResource), freshness: 'Current' })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items };
}
