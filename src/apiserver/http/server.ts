// The HTTP front: authentication, routing, verb dispatch, content negotiation and error
// rendering. Every failure becomes a Status body with the right code (toApiError), so no input
// can crash the process: handlers are synchronous over the store and each request's promise is
// caught here. A write is answered only once the store says it is on disk (`replyDurable`).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../../observability/logger.ts';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  coreVersions,
  groupDocument,
  groupList,
  resourceList,
  SERVER_VERSION,
  wantsAggregated,
} from '../discovery.ts';
import { ApiError, badRequest, methodNotAllowed, toApiError, unauthorized, unsupportedMediaType } from '../errors.ts';
import type { Core } from '../handlers/core.ts';
import { deleteObject, deleteOptionsFrom, deleteStored, deleteSuccessStatus } from '../handlers/delete.ts';
import { createObject, updateObject, type WriteOptions } from '../handlers/mutate.ts';
import { patchObject } from '../handlers/patch.ts';
import { getObject, listObjects, selectionFrom } from '../handlers/read.ts';
import { checkWatchVersion, startWatch } from '../handlers/watch.ts';
import { metaString } from '../meta.ts';
import { apiVersionOf, type ResourceType } from '../registry/types.ts';
import type { KubeObject, WatchEventType } from '../types.ts';
import { readBody } from './body.ts';
import type { LocalNode } from '../node/local-node.ts';
import { servePodLog } from '../node/streams.ts';
import { decodeEnvelope, decodeObject, PROTOBUF_MEDIA_TYPE, ProtobufError } from '../protobuf/decode.ts';
import { baseMediaType, negotiateOutput, parseMediaRanges, type OutputMode } from './negotiate.ts';
import { serialize, shapeList, shapeObject } from './render.ts';
import { route, type ResourceRoute } from './router.ts';
import { OPENAPI_V2_PROTOBUF, openapiV2Json, openapiV2Protobuf, openapiV3Document, openapiV3Root } from '../openapi.ts';

export interface HttpOptions {
  token: string;
  maxBodyBytes: number;
  /** host:port clients use, for /api's serverAddressByClientCIDRs. */
  serverAddress: () => string;
  logger: Logger;
  /** The local node running pods (pods/log, exec, attach, eviction); undefined without one. */
  node?: LocalNode;
}

/** Pod subresources served for the local node, beside `status`. */
const POD_STREAMS = new Set(['log', 'exec', 'attach', 'eviction']);

const NOT_FOUND = (): ApiError => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

function send(res: ServerResponse, code: number, contentType: string, body: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  send(res, code, contentType, JSON.stringify(body));
}

function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.code, err.toStatus());
}

function authenticate(req: IncomingMessage, token: string): void {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  const given = Buffer.from(match?.[1]?.trim() ?? '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthorized();
}

/** The kind a body must carry on this endpoint (a protobuf body names its own type). */
interface ExpectedKind {
  apiVersion: string;
  kind: string;
}

const ACCEPTED_BODIES = ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE];

function parseBody(contentType: string | undefined, body: Buffer, expected: ExpectedKind): unknown {
  const media = baseMediaType(contentType);
  if (media === PROTOBUF_MEDIA_TYPE) return parseProtobuf(body, expected);
  try {
    if (media === 'application/json') return JSON.parse(body.toString('utf8')) as unknown;
    if (media === 'application/yaml') return parseYaml(body.toString('utf8')) as unknown;
  } catch (err) {
    throw badRequest(`the object provided is unrecognized: ${err instanceof Error ? err.message : String(err)}`);
  }
  throw unsupportedMediaType(media === '' ? '(none)' : media, ACCEPTED_BODIES);
}

/** A protobuf body: it must decode, and name the kind the URL addresses (or DeleteOptions on delete). */
function parseProtobuf(body: Buffer, expected: ExpectedKind): unknown {
  const what = `${expected.kind} (${expected.apiVersion})`;
  try {
    const env = decodeEnvelope(body);
    const sameKind = env.kind === expected.kind && env.apiVersion === expected.apiVersion;
    const deleteOptions = expected.kind === 'DeleteOptions' && env.kind === 'DeleteOptions';
    if (!sameKind && !deleteOptions) {
      throw badRequest(`the protobuf body of a ${what} request holds ${env.apiVersion === '' ? '(no apiVersion)' : env.apiVersion}, Kind=${env.kind === '' ? '(none)' : env.kind}`);
    }
    return decodeObject(body);
  } catch (err) {
    if (err instanceof ProtobufError) throw badRequest(`the protobuf body of a ${what} request cannot be decoded: ${err.message}`);
    throw err;
  }
}

/** A review request must be an object of the endpoint's kind (no storage, so no other checks apply). */
function reviewBody(body: unknown, expected: ExpectedKind): KubeObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest(`the body of a ${expected.kind} request must be an object`);
  const obj = body as KubeObject;
  if (obj.kind !== undefined && obj.kind !== expected.kind) throw badRequest(`the body of a ${expected.kind} request holds a ${JSON.stringify(obj.kind)}`);
  return obj;
}

function writeOptions(query: URLSearchParams): WriteOptions {
  const dryRun = query.getAll('dryRun');
  for (const d of dryRun) if (d !== 'All') throw badRequest(`Invalid dryRun value: ${JSON.stringify(d)}: supported values: "All"`);
  const fv = query.get('fieldValidation') ?? 'Warn';
  if (fv !== 'Ignore' && fv !== 'Warn' && fv !== 'Strict') {
    throw badRequest(`fieldValidation parameter unsupported: ${JSON.stringify(fv)}: supported values: "Ignore", "Warn", "Strict"`);
  }
  return { dryRun: dryRun.length > 0, fieldValidation: fv, warnings: [] };
}

/** RFC 7234 warning headers, as the real server sends them (kubectl prints them). */
function setWarnings(res: ServerResponse, warnings: readonly string[]): void {
  if (warnings.length === 0 || res.headersSent) return;
  res.setHeader('Warning', [...new Set(warnings)].map((w) => `299 - ${JSON.stringify(w)}`));
}

/** The verbs the status subresource serves (as in Kubernetes: no delete, create, list, watch). */
const STATUS_VERBS: readonly string[] = ['get', 'update', 'patch'];

type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

function verbOf(method: string, r: ResourceRoute, query: URLSearchParams): Verb {
  const watch = r.legacyWatch || query.get('watch') === 'true' || query.get('watch') === '1';
  const named = r.name !== undefined;
  switch (method) {
    case 'GET':
      if (watch) return 'watch';
      return named ? 'get' : 'list';
    case 'POST':
      if (!named) return 'create';
      break;
    case 'PUT':
      if (named) return 'update';
      break;
    case 'PATCH':
      if (named) return 'patch';
      break;
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
  }
  throw methodNotAllowed(method, `${r.resource}${named ? ' with a name' : ''}`);
}

class RequestHandler {
  private readonly core: Core;
  private readonly opts: HttpOptions;

  constructor(core: Core, opts: HttpOptions) {
    this.core = core;
    this.opts = opts;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      await this.dispatch(req, res, url);
    } catch (err) {
      const apiErr = toApiError(err);
      if (apiErr.code >= 500) this.opts.logger.error({ err, method: req.method, url: req.url }, 'request failed');
      if (apiErr.code === 413) res.setHeader('Connection', 'close');
      sendError(res, apiErr);
    } finally {
      this.opts.logger.debug({ method: req.method, url: req.url, code: res.statusCode, ms: Date.now() - started }, 'request');
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let r: ReturnType<typeof route>;
    try {
      r = route(url.pathname);
    } catch {
      throw badRequest(`malformed path ${JSON.stringify(url.pathname)}`);
    }
    if (r.kind === 'health') return send(res, 200, 'text/plain; charset=utf-8', 'ok');
    if (r.kind === 'version') return sendJson(res, 200, SERVER_VERSION);
    authenticate(req, this.opts.token);
    if (r.kind === 'resource') return this.resource(req, res, r, url.searchParams);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(req.method ?? '', url.pathname);
    this.discovery(req, res, r);
  }

  private discovery(req: IncomingMessage, res: ServerResponse, r: Exclude<ReturnType<typeof route>, ResourceRoute>): void {
    const registry = this.core.registry;
    const aggregated = wantsAggregated(parseMediaRanges(req.headers.accept));
    switch (r.kind) {
      case 'coreVersions':
        if (aggregated !== undefined) return sendJson(res, 200, aggregatedDiscovery(registry, true, aggregated), aggregatedContentType(aggregated));
        return sendJson(res, 200, coreVersions(this.opts.serverAddress()));
      case 'groups':
        if (aggregated !== undefined) return sendJson(res, 200, aggregatedDiscovery(registry, false, aggregated), aggregatedContentType(aggregated));
        return sendJson(res, 200, groupList(registry));
      case 'group': {
        const doc = groupDocument(registry, r.group);
        if (doc === undefined) throw NOT_FOUND();
        return sendJson(res, 200, doc);
      }
      case 'resources': {
        const doc = resourceList(registry, r.group, r.version);
        if (doc === undefined) throw NOT_FOUND();
        return sendJson(res, 200, doc);
      }
      case 'openapiV2':
        if ((req.headers.accept ?? '').includes(OPENAPI_V2_PROTOBUF)) {
          const body = openapiV2Protobuf();
          // Go's mime parser rejects the '@' of the requested type; kube-openapi answers octet-stream.
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
          res.end(body);
          return;
        }
        return sendJson(res, 200, openapiV2Json());
      case 'openapiV3':
        return sendJson(res, 200, openapiV3Root(registry));
      case 'openapiV3GroupVersion': {
        const doc = openapiV3Document(registry, r.group, r.version);
        if (doc === undefined) throw NOT_FOUND();
        return sendJson(res, 200, doc);
      }
      default:
        throw NOT_FOUND();
    }
  }

  private async podSubresource(req: IncomingMessage, res: ServerResponse, r: ResourceRoute & { name: string; namespace: string }, query: URLSearchParams): Promise<void> {
    const exists = this.core.store.get('/pods', r.namespace, r.name) !== undefined;
    switch (r.subresource) {
      case 'log':
        if (req.method !== 'GET') throw methodNotAllowed(req.method ?? '', 'pods/log');
        return servePodLog(this.opts.node, exists, r.namespace, r.name, query, res);
      case 'eviction': {
        if (req.method !== 'POST') throw methodNotAllowed(req.method ?? '', 'pods/eviction');
        await readBody(req, this.opts.maxBodyBytes);
        const type = this.lookup({ ...r, subresource: undefined });
        deleteObject(this.core, type, r.namespace, r.name, { dryRun: false, preconditions: {} });
        await this.core.store.durable();
        return sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      }
      default:
        // exec and attach are WebSocket upgrades (index.ts hands those to the node's streams).
        throw badRequest(`pods/${r.subresource ?? ''} needs a WebSocket upgrade (${'v5.channel.k8s.io'} or v4.channel.k8s.io)`);
    }
  }

  private lookup(r: ResourceRoute): ResourceType {
    const type = this.core.registry.lookup(r.group, r.version, r.resource);
    if (type === undefined) throw NOT_FOUND();
    if (r.subresource !== undefined && (r.subresource !== 'status' || !type.statusSubresource)) throw NOT_FOUND();
    if (r.subresource !== undefined && r.name === undefined) throw NOT_FOUND();
    // Namespaced objects are addressed inside a namespace (lists may span all); cluster-scoped never are.
    if (!type.namespaced && r.namespace !== undefined) throw NOT_FOUND();
    return type;
  }

  private async resource(req: IncomingMessage, res: ServerResponse, r: ResourceRoute, query: URLSearchParams): Promise<void> {
    if (r.group === '' && r.resource === 'pods' && r.name !== undefined && r.namespace !== undefined && POD_STREAMS.has(r.subresource ?? '')) {
      return this.podSubresource(req, res, { ...r, name: r.name, namespace: r.namespace }, query);
    }
    const type = this.lookup(r);
    const verb = verbOf(req.method ?? '', r, query);
    const allowed: readonly string[] = r.subresource === undefined ? type.verbs : STATUS_VERBS;
    if (!allowed.includes(verb)) {
      throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
    if (type.namespaced && r.namespace === undefined && verb !== 'list' && verb !== 'watch') throw NOT_FOUND();
    const mode = negotiateOutput(req.headers.accept);
    switch (verb) {
      case 'get':
        return this.reply(res, 200, mode, shapeObject(mode, type, getObject(this.core, type, r.namespace, r.name ?? ''), query));
      case 'list': {
        const { list, items } = listObjects(this.core, type, selectionFrom(type, r.namespace, query), query);
        return this.reply(res, 200, mode, shapeList(mode, type, list, items, query));
      }
      case 'watch':
        return this.watch(res, type, r, query, mode);
      default:
        return this.write(req, res, verb, type, r, query, mode);
    }
  }

  private async write(req: IncomingMessage, res: ServerResponse, verb: Verb, type: ResourceType, r: ResourceRoute, query: URLSearchParams, mode: OutputMode): Promise<void> {
    const body = await readBody(req, this.opts.maxBodyBytes);
    const expected: ExpectedKind = { apiVersion: apiVersionOf(type), kind: type.kind };
    const opts = writeOptions(query);
    const name = r.name ?? '';
    const sub = r.subresource === 'status' ? 'status' : undefined;
    const shape = (obj: KubeObject): unknown => {
      setWarnings(res, opts.warnings);
      return shapeObject(mode, type, obj, query);
    };
    switch (verb) {
      case 'create': {
        if (type.review !== undefined) return this.reply(res, 201, mode, type.review(reviewBody(parseBody(req.headers['content-type'], body, expected), expected)));
        const result = createObject(this.core, type, r.namespace, parseBody(req.headers['content-type'], body, expected), opts);
        return this.replyDurable(res, 201, mode, shape(result.object));
      }
      case 'update': {
        const result = updateObject(this.core, type, r.namespace, name, sub, parseBody(req.headers['content-type'], body, expected), opts);
        return this.replyDurable(res, result.created ? 201 : 200, mode, shape(result.object));
      }
      case 'patch': {
        const force = query.get('force') === 'true';
        const fieldManager = query.get('fieldManager') ?? undefined;
        const contentType = baseMediaType(req.headers['content-type']);
        const result = patchObject(this.core, { type, namespace: r.namespace, name, subresource: sub, contentType, body: body.toString('utf8'), fieldManager, force }, opts);
        return this.replyDurable(res, result.created ? 201 : 200, mode, shape(result.object));
      }
      case 'delete': {
        const options = body.toString('utf8').trim() === '' ? undefined : parseBody(req.headers['content-type'] ?? 'application/json', body, { apiVersion: 'v1', kind: 'DeleteOptions' });
        const result = deleteObject(this.core, type, r.namespace, name, deleteOptionsFrom(options, opts.dryRun));
        const payload = result.removed && !type.returnDeletedObject ? deleteSuccessStatus(type, result.object) : shape(result.object);
        return this.replyDurable(res, 200, mode, payload);
      }
      default:
        return this.deleteCollection(res, type, r, query, mode, opts);
    }
  }

  private deleteCollection(res: ServerResponse, type: ResourceType, r: ResourceRoute, query: URLSearchParams, mode: OutputMode, opts: WriteOptions): Promise<void> {
    const sel = selectionFrom(type, r.namespace, query);
    const { list, items } = listObjects(this.core, type, sel, new URLSearchParams());
    const deleted: KubeObject[] = [];
    for (const item of items) {
      const stored = this.core.store.get(type.storageKey, type.namespaced ? (metaString(item, 'namespace') ?? '') : '', metaString(item, 'name') ?? '');
      if (stored !== undefined) deleted.push(this.core.present(type, deleteStored(this.core, type, stored, opts.dryRun).object));
    }
    return this.replyDurable(res, 200, mode, shapeList(mode, type, { ...list, items: deleted }, deleted, query));
  }

  private watch(res: ServerResponse, type: ResourceType, r: ResourceRoute, query: URLSearchParams, mode: OutputMode): void {
    const sel = selectionFrom(type, r.namespace, query);
    if (r.name !== undefined) {
      // A watch on one name is a watch with a metadata.name field selector (legacy form).
      const withName = new URLSearchParams(query);
      const fs = query.get('fieldSelector');
      withName.set('fieldSelector', fs ? `${fs},metadata.name=${r.name}` : `metadata.name=${r.name}`);
      return this.watch(res, type, { ...r, name: undefined }, withName, mode);
    }
    const resourceVersion = query.get('resourceVersion') ?? '';
    checkWatchVersion(resourceVersion);
    const timeoutRaw = query.get('timeoutSeconds');
    const timeoutSeconds = timeoutRaw === null ? undefined : Number(timeoutRaw);
    if (timeoutSeconds !== undefined && (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0)) throw badRequest(`invalid timeoutSeconds ${JSON.stringify(timeoutRaw)}`);
    // Watch events are always JSON lines, also for clients that asked for YAML.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    startWatch(
      this.core,
      type,
      sel,
      {
        resourceVersion,
        allowBookmarks: query.get('allowWatchBookmarks') === 'true',
        timeoutSeconds,
        render: (obj) => shapeObject(mode === 'yaml' ? 'json' : mode, type, obj, query),
      },
      {
        send: (eventType: WatchEventType, object: unknown): number => {
          if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({ type: eventType, object })}\n`);
          return res.writableLength;
        },
        end: () => {
          if (!res.writableEnded) res.end();
        },
        onClose: (listener) => {
          res.on('close', listener);
        },
      },
    );
  }

  /**
   * The answer to a write, sent once everything committed so far is on disk (group commit: the
   * sync also covers the writes of other requests in flight). A failed sync becomes a 500.
   */
  private async replyDurable(res: ServerResponse, code: number, mode: OutputMode, body: unknown): Promise<void> {
    await this.core.store.durable();
    this.reply(res, code, mode, body);
  }

  private reply(res: ServerResponse, code: number, mode: OutputMode, body: unknown): void {
    const rendered = serialize(mode, body);
    send(res, code, rendered.contentType, rendered.body);
  }
}

export function createRequestHandler(core: Core, opts: HttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const handler = new RequestHandler(core, opts);
  return (req, res) => {
    void handler.handle(req, res);
  };
}
