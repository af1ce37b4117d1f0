// Shared helpers of the API server tests: raw HTTPS requests (trusting the server's CA),
// polling with a deadline, raw watch streams, and a Widget CRD used across tests.
import { request } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { EmbeddedApiServer } from '../../../src/apiserver/index.ts';
export { eventually } from '../../helpers/eventually.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

export interface RawOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
  token?: string | null;
}

export function raw(server: Pick<EmbeddedApiServer, 'url' | 'token' | 'caData'>, method: string, path: string, opts: RawOptions = {}): Promise<RawResponse> {
  const url = new URL(path, server.url);
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? server.token : opts.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const make = url.protocol === 'https:' ? request : httpRequest;
    const req = make(url, { method, headers, ca: server.caData }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */

export const WIDGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'], categories: ['toys'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
          { name: 'Color', type: 'string', jsonPath: '.spec.color' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'integer', minimum: 1, maximum: 10 },
                  color: { type: 'string', enum: ['red', 'green', 'blue'], default: 'red' },
                  sku: { type: 'string', pattern: '^[A-Z]{3}-[0-9]+$', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'sku is immutable' }] },
                  tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
                },
              },
              status: { type: 'object', properties: { phase: { type: 'string' }, observedGeneration: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};

/** A cluster-scoped CRD without status subresource (status lives in the main resource). */
export const GADGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Cluster',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

/** A raw watch stream: the events parsed so far, whether it ended, its HTTP status. */
export interface WatchStream {
  events: Array<{ type: string; object: Record<string, unknown> }>;
  ended: () => boolean;
  status: number;
  close: () => void;
}

/** Opens `?watch=true` on `path` and collects its events line by line. */
export function openWatch(srv: EmbeddedApiServer, path: string): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const events: WatchStream['events'] = [];
    let done = false;
    const req = request(new URL(path, srv.url), { headers: { Authorization: `Bearer ${srv.token}` }, ca: srv.caData }, (res: IncomingMessage) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          events.push(JSON.parse(buf.slice(0, nl)) as WatchStream['events'][number]);
          buf = buf.slice(nl + 1);
        }
      });
      res.on('end', () => (done = true));
      res.on('error', () => (done = true));
      resolve({ events, ended: () => done, status: res.statusCode ?? 0, close: () => req.destroy() });
    });
    req.on('error', (err) => (done ? undefined : reject(err)));
    req.end();
  });
}
