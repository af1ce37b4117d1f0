// Shared shapes of the embedded API server. Objects are kept as plain JSON (the server is
// schemaless for storage, like the real apiserver's unstructured path): typed accessors live
// in meta.ts, so only these few structural types cross module boundaries.

/** Any JSON value the server stores or returns. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A Kubernetes object as stored: apiVersion, kind, metadata and anything else. */
export type KubeObject = Record<string, unknown>;

/** One column of `kubectl get` output, in the CRD `additionalPrinterColumns` format. */
export type { PrinterColumn } from './table/index.ts';

/** The verbs discovery advertises and the router allows, in Kubernetes' spelling. */
export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export const ALL_VERBS: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Watch event types as they appear on the wire. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
