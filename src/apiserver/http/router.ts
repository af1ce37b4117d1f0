// URL → route, following the real server's RequestInfoFactory:
//   /api/v1/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]
//   /apis/<group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]
// including the legacy `/watch/` prefix and `namespaces/<name>/status|finalize`, which are
// namespace subresources, not namespaced resources.
export type Route =
  | { kind: 'version' }
  | { kind: 'health'; check: string }
  | { kind: 'coreVersions' }
  | { kind: 'groups' }
  | { kind: 'group'; group: string }
  | { kind: 'resources'; group: string; version: string }
  | { kind: 'openapiV2' }
  | { kind: 'openapiV3' }
  | { kind: 'openapiV3GroupVersion'; group: string; version: string }
  | ResourceRoute
  | { kind: 'unknown' };

export interface ResourceRoute {
  kind: 'resource';
  group: string;
  version: string;
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
  subresource: string | undefined;
  legacyWatch: boolean;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const HEALTH = new Set(['healthz', 'livez', 'readyz']);

function resourceRoute(group: string, version: string, rest: string[]): Route {
  let parts = rest;
  let legacyWatch = false;
  if (parts[0] === 'watch') {
    legacyWatch = true;
    parts = parts.slice(1);
  }
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
  }
  const [resource, name, subresource, ...extra] = parts;
  if (resource === undefined || resource === '' || extra.length > 0) return { kind: 'unknown' };
  // `namespaces/<name>` addresses the namespace itself: the name is the object, not a scope.
  if (resource === 'namespaces' && parts.length > 1) namespace = undefined;
  return { kind: 'resource', group, version, namespace, resource, name, subresource, legacyWatch };
}

function openapiRoute(parts: string[]): Route {
  if (parts[1] === 'v2' && parts.length === 2) return { kind: 'openapiV2' };
  if (parts[1] !== 'v3') return { kind: 'unknown' };
  if (parts.length === 2) return { kind: 'openapiV3' };
  if (parts[2] === 'api' && parts[3] !== undefined && parts.length === 4) return { kind: 'openapiV3GroupVersion', group: '', version: parts[3] };
  if (parts[2] === 'apis' && parts[3] !== undefined && parts[4] !== undefined && parts.length === 5) {
    return { kind: 'openapiV3GroupVersion', group: parts[3], version: parts[4] };
  }
  return { kind: 'unknown' };
}

export function route(pathname: string): Route {
  const parts = pathname.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  const [head, second, third] = parts;
  if (head === 'version' && parts.length === 1) return { kind: 'version' };
  if (head !== undefined && HEALTH.has(head)) return { kind: 'health', check: head };
  if (head === 'openapi') return openapiRoute(parts);
  if (head === 'api') {
    if (second === undefined) return { kind: 'coreVersions' };
    if (third === undefined) return { kind: 'resources', group: '', version: second };
    return resourceRoute('', second, parts.slice(2));
  }
  if (head === 'apis') {
    if (second === undefined) return { kind: 'groups' };
    if (third === undefined) return { kind: 'group', group: second };
    if (parts.length === 3) return { kind: 'resources', group: second, version: third };
    return resourceRoute(second, third, parts.slice(3));
  }
  return { kind: 'unknown' };
}
