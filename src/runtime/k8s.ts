// The one typed door to the API server for the runtime: generic get/list/create/replace/
// patch/delete of any grouped kind ({group, version, plural, namespaced}), main object or
// `/status`, on client-node's CustomObjectsApi (auth, TLS and kubeconfig handling stay
// client-node's). Two client-node traps are handled here once:
// - the typed patch methods send `application/json-patch+json` whatever the body; the
//   content type is chosen per call with setHeaderOptions('Content-Type', PatchStrategy.*);
// - failures surface as ApiException with the Status object buried in `body`; they become a
//   KubeApiError carrying `code` and `reason`, tested by isConflict/isNotFound/isGone.
// Core (`/api/v1`) kinds such as Pods and Secrets go through the same methods as plain JSON
// requests on client-node's authenticated HTTP library (its typed CoreV1Api would turn times
// into Date objects, unlike the watch events the informer reads).
// Resource versions pass through as opaque strings.
import {
  ApiException,
  CustomObjectsApi,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  PatchStrategy,
  RequestContext,
  setHeaderOptions,
  type ConfigurationOptions,
  type KubeConfig,
} from '@kubernetes/client-node';

/** A watched or written kind; `group` is '' for core/v1 kinds (get, list, create, replace and delete only). */
export interface ResourceKind {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ObjectList<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export interface ObjectRef {
  name: string;
  namespace?: string;
}

export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** A merge patch (RFC 7386) or a JSON patch (RFC 6902, usually with `test` preconditions). */
export type Patch = { type: 'merge'; body: object } | { type: 'json'; ops: JsonPatchOp[] };

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
}

/** An API error with the HTTP code and the Status `reason` (Conflict, NotFound, Expired, ...). */
export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string | undefined;

  constructor(code: number, reason: string | undefined, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = reason;
  }
}

/** The HTTP code of an API error from this client, client-node or client-node's Watch. */
export function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof KubeApiError || error instanceof ApiException) return error.code;
  if (typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number') {
    return error.statusCode;
  }
  return undefined;
}

export const isConflict = (error: unknown): boolean => statusCodeOf(error) === 409;
export const isNotFound = (error: unknown): boolean => statusCodeOf(error) === 404;
export const isGone = (error: unknown): boolean => statusCodeOf(error) === 410;

/** client-node hands over error bodies parsed or as text, depending on the content type. */
function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

/** client-node's ApiException as a KubeApiError (code, reason, the Status message); anything else as is. */
export function toKubeApiError(error: unknown): unknown {
  if (!(error instanceof ApiException)) return error;
  const body = parseBody(error.body);
  let reason: string | undefined;
  let message = `HTTP ${error.code}`;
  if (typeof body === 'object' && body !== null) {
    if ('reason' in body && typeof body.reason === 'string') reason = body.reason;
    if ('message' in body && typeof body.message === 'string') message = body.message;
  } else if (typeof body === 'string' && body.length > 0) {
    message = body.slice(0, 500);
  }
  return new KubeApiError(error.code, reason, message);
}

export function apiVersionOf(kind: ResourceKind): string {
  return kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
}

/** The collection path of `kind`, across namespaces when a namespaced kind gets no namespace. */
export function collectionPath(kind: ResourceKind, namespace?: string): string {
  const root = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  const ns = kind.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${ns}/${kind.plural}`;
}

export function objectPath(kind: ResourceKind, ref: ObjectRef, subresource?: 'status'): string {
  const base = `${collectionPath(kind, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  return subresource ? `${base}/${subresource}` : base;
}

/** The cache key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name ?? '';
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

export function refFromKey(key: string): ObjectRef {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export function refOf(obj: KubeObject): ObjectRef {
  const name = obj.metadata?.name;
  if (!name) throw new TypeError('object has no metadata.name');
  const namespace = obj.metadata?.namespace;
  return namespace ? { name, namespace } : { name };
}

const mergePatchOptions: ConfigurationOptions = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatchOptions: ConfigurationOptions = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export function patchOptions(patch: Patch): ConfigurationOptions {
  return patch.type === 'merge' ? mergePatchOptions : jsonPatchOptions;
}

function requireNamespace(kind: ResourceKind, ref: { namespace?: string }): string {
  if (!ref.namespace) throw new TypeError(`${kind.kind} is namespaced: a namespace is required`);
  return ref.namespace;
}

export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly #api: CustomObjectsApi;
  readonly #http = new IsomorphicFetchHttpLibrary();

  constructor(kubeConfig: KubeConfig) {
    this.kubeConfig = kubeConfig;
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** A JSON request on a core path; a failure becomes a KubeApiError with the Status' code and reason. */
  async #core<T>(method: HttpMethod, path: string, query: Record<string, string | number | undefined> = {}, body?: unknown): Promise<T> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('No currently active cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), method);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    ctx.setHeaderParam('Accept', 'application/json');
    if (body !== undefined) {
      ctx.setHeaderParam('Content-Type', 'application/json');
      ctx.setBody(JSON.stringify(body));
    }
    const response = await this.#http.send(ctx).toPromise();
    const text = await response.body.text();
    const parsed = parseBody(text);
    if (response.httpStatusCode >= 400) {
      const status = typeof parsed === 'object' && parsed !== null ? (parsed as { reason?: unknown; message?: unknown }) : {};
      const reason = typeof status.reason === 'string' ? status.reason : undefined;
      const message = typeof status.message === 'string' ? status.message : `HTTP ${response.httpStatusCode}`;
      throw new KubeApiError(response.httpStatusCode, reason, message);
    }
    return parsed as T;
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubeObject>(kind: ResourceKind, ref: ObjectRef): Promise<T | undefined> {
    if (kind.group === '') {
      try {
        return await this.#core<T>(HttpMethod.GET, objectPath(kind, ref));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    }
    const { group, version, plural } = checkGroup(kind);
    try {
      const body: unknown = kind.namespaced
        ? await this.#api.getNamespacedCustomObject({ group, version, plural, name: ref.name, namespace: requireNamespace(kind, ref) })
        : await this.#api.getClusterCustomObject({ group, version, plural, name: ref.name });
      return body as T;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toKubeApiError(error);
    }
  }

  /** One page of objects (all namespaces for a namespaced kind without `namespace`). */
  async list<T extends KubeObject>(kind: ResourceKind, options: ListOptions = {}): Promise<ObjectList<T>> {
    if (kind.group === '') {
      const { labelSelector, fieldSelector, limit, continueToken } = options;
      return this.#core<ObjectList<T>>(HttpMethod.GET, collectionPath(kind, options.namespace), { labelSelector, fieldSelector, limit, continue: continueToken });
    }
    const { group, version, plural } = checkGroup(kind);
    const query = {
      group,
      version,
      plural,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit,
      _continue: options.continueToken,
    };
    return call(async () => {
      const body: unknown =
        kind.namespaced && options.namespace
          ? await this.#api.listNamespacedCustomObject({ ...query, namespace: options.namespace })
          : await this.#api.listClusterCustomObject(query);
      return body as ObjectList<T>;
    });
  }

  /** Every object, following `continue` tokens; the version is the first page's (one snapshot). */
  async listAll<T extends KubeObject>(kind: ResourceKind, options: Omit<ListOptions, 'continueToken'> = {}): Promise<ObjectList<T>> {
    const items: T[] = [];
    let page = await this.list<T>(kind, options);
    const resourceVersion = page.metadata.resourceVersion;
    items.push(...page.items);
    while (page.metadata.continue) {
      page = await this.list<T>(kind, { ...options, continueToken: page.metadata.continue });
      items.push(...page.items);
    }
    return { items, metadata: resourceVersion === undefined ? {} : { resourceVersion } };
  }

  async create<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    const body = { apiVersion: apiVersionOf(kind), kind: kind.kind, ...obj };
    if (kind.group === '') {
      if (kind.namespaced) requireNamespace(kind, obj.metadata ?? {});
      return this.#core<T>(HttpMethod.POST, collectionPath(kind, obj.metadata?.namespace), {}, body);
    }
    const { group, version, plural } = checkGroup(kind);
    return call(async () => {
      const created: unknown = kind.namespaced
        ? await this.#api.createNamespacedCustomObject({ group, version, plural, namespace: requireNamespace(kind, obj.metadata ?? {}), body })
        : await this.#api.createClusterCustomObject({ group, version, plural, body });
      return created as T;
    });
  }

  /** PUT: `obj.metadata.resourceVersion` is the precondition (409 when stale). */
  async replace<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    const ref = refOf(obj);
    if (kind.group === '') return this.#core<T>(HttpMethod.PUT, objectPath(kind, ref), {}, obj);
    const { group, version, plural } = checkGroup(kind);
    return call(async () => {
      const replaced: unknown = kind.namespaced
        ? await this.#api.replaceNamespacedCustomObject({ group, version, plural, name: ref.name, namespace: requireNamespace(kind, ref), body: obj })
        : await this.#api.replaceClusterCustomObject({ group, version, plural, name: ref.name, body: obj });
      return replaced as T;
    });
  }

  /** Patches the object, or its `/status` subresource, with the content type the patch needs. */
  async patch<T extends KubeObject>(kind: ResourceKind, ref: ObjectRef, patch: Patch, subresource?: 'status'): Promise<T> {
    const { group, version, plural } = checkGroup(kind);
    const body = patch.type === 'merge' ? patch.body : patch.ops;
    const options = patchOptions(patch);
    const name = ref.name;
    return call(async () => {
      let patched: unknown;
      if (kind.namespaced) {
        const param = { group, version, plural, name, namespace: requireNamespace(kind, ref), body };
        patched = subresource
          ? await this.#api.patchNamespacedCustomObjectStatus(param, options)
          : await this.#api.patchNamespacedCustomObject(param, options);
      } else {
        const param = { group, version, plural, name, body };
        patched = subresource
          ? await this.#api.patchClusterCustomObjectStatus(param, options)
          : await this.#api.patchClusterCustomObject(param, options);
      }
      return patched as T;
    });
  }

  /**
   * Deletes the object; false when it was already gone. `uid` makes it a precondition (409 when
   * the name now belongs to another object).
   */
  async delete(kind: ResourceKind, ref: ObjectRef, uid?: string): Promise<boolean> {
    if (kind.group === '') {
      try {
        const body = uid === undefined ? undefined : { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } };
        await this.#core(HttpMethod.DELETE, objectPath(kind, ref), {}, body);
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    }
    const { group, version, plural } = checkGroup(kind);
    try {
      if (kind.namespaced) {
        await this.#api.deleteNamespacedCustomObject({ group, version, plural, name: ref.name, namespace: requireNamespace(kind, ref) });
      } else {
        await this.#api.deleteClusterCustomObject({ group, version, plural, name: ref.name });
      }
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw toKubeApiError(error);
    }
  }
}

function checkGroup(kind: ResourceKind): ResourceKind {
  if (kind.group === '') throw new TypeError(`KubeClient patches grouped kinds only (core/${kind.version} ${kind.kind})`);
  return kind;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toKubeApiError(error);
  }
}
