// The built-in resources the operator needs, with the per-type rules Kubernetes applies
// (which verbs, unconditional update, generation, scope, short names, field selectors).
// Their `kubectl get` columns come from the table module's built-in printers.
// Objects are stored without schema (no kubelet, no controllers): pods and deployments are
// plain records (a Deployment's status stays as its writers set it), Services get addresses but
// route nothing, and RBAC objects are stored, not enforced (the server's only auth is its token).
// Server-side defaults of Deployments, Services and bindings live in defaults.ts.
import type { KubeObject, Verb } from '../types.ts';
import { ALL_VERBS } from '../types.ts';
import { selfSubjectAccessReview, selfSubjectRulesReview } from './access-review.ts';
import { checkRoleRef, checkSchedulingGates, defaultDeployment, defaultService, gatePodOnCreate, mergeStringData } from './defaults.ts';
import type { ResourceType } from './types.ts';

type BuiltinSpec = Pick<ResourceType, 'group' | 'version' | 'resource' | 'singular' | 'kind' | 'namespaced'> &
  Partial<ResourceType>;

function builtin(spec: BuiltinSpec): ResourceType {
  return {
    listKind: `${spec.kind}List`,
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    storageKey: `${spec.group}/${spec.resource}`,
    storageApiVersion: spec.group === '' ? spec.version : `${spec.group}/${spec.version}`,
    statusSubresource: false,
    tracksGeneration: false,
    unconditionalUpdate: true,
    createOnUpdate: false,
    strategicMerge: true,
    returnDeletedObject: false,
    nameIsLabel: false,
    printerColumns: undefined,
    schema: undefined,
    crdName: undefined,
    ...spec,
  };
}

/** events.k8s.io/v1 field names → core/v1 (the stored form): both APIs serve the same events. */
const EVENTS_V1_TO_CORE: Readonly<Record<string, string>> = {
  regarding: 'involvedObject',
  note: 'message',
  deprecatedSource: 'source',
  reportingController: 'reportingComponent',
  deprecatedFirstTimestamp: 'firstTimestamp',
  deprecatedLastTimestamp: 'lastTimestamp',
  deprecatedCount: 'count',
};

function renameFields(obj: KubeObject, names: Readonly<Record<string, string>>, apiVersion: string): KubeObject {
  const out: KubeObject = {};
  for (const [k, v] of Object.entries(obj)) out[names[k] ?? k] = v;
  out.apiVersion = apiVersion;
  return out;
}

const CORE_TO_EVENTS_V1: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(EVENTS_V1_TO_CORE).map(([a, b]) => [b, a]),
);

const CORE_EVENT_FIELDS = [
  'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
  'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
  'reason', 'reportingComponent', 'type',
];
const EVENTS_V1_FIELDS = [
  'regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'regarding.apiVersion',
  'regarding.resourceVersion', 'regarding.fieldPath', 'reason', 'reportingController', 'type',
];

export const CRD_GROUP = 'apiextensions.k8s.io';
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** Services cannot be deleted as a collection in Kubernetes (each releases its addresses). */
const SERVICE_VERBS: readonly Verb[] = ALL_VERBS.filter((v) => v !== 'deletecollection');

function rbacTypes(): ResourceType[] {
  const rbac = (resource: string, kind: string, namespaced: boolean, binding: boolean): ResourceType => builtin({
    group: RBAC_GROUP, version: 'v1', resource, singular: resource.slice(0, -1), kind, namespaced,
    ...(binding ? { onWrite: checkRoleRef(kind) } : {}),
  });
  return [
    rbac('clusterrolebindings', 'ClusterRoleBinding', false, true),
    rbac('clusterroles', 'ClusterRole', false, false),
    rbac('rolebindings', 'RoleBinding', true, true),
    rbac('roles', 'Role', true, false),
  ];
}
/** Self access reviews: create-only, answered and never stored. */
function reviewTypes(): ResourceType[] {
  const review = (resource: string, kind: string, answer: (obj: KubeObject) => KubeObject): ResourceType => builtin({
    group: 'authorization.k8s.io', version: 'v1', resource, singular: resource.slice(0, -1), kind, namespaced: false,
    verbs: ['create'], strategicMerge: false, review: answer,
  });
  return [
    review('selfsubjectaccessreviews', 'SelfSubjectAccessReview', selfSubjectAccessReview),
    review('selfsubjectrulesreviews', 'SelfSubjectRulesReview', selfSubjectRulesReview),
  ];
}

export const CRD_STORAGE_KEY = `${CRD_GROUP}/customresourcedefinitions`;
export const NAMESPACE_STORAGE_KEY = '/namespaces';

/** Namespaces that always exist and cannot be deleted. */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function builtinTypes(): ResourceType[] {
  return [
    builtin({
      group: '', version: 'v1', resource: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false,
      shortNames: ['ns'], statusSubresource: true, nameIsLabel: true, returnDeletedObject: true, fieldLabels: ['status.phase'],
      onCreate: (obj) => {
        obj.spec = { finalizers: ['kubernetes'] };
        obj.status = { phase: 'Active' };
      },
    }),
    builtin({ group: '', version: 'v1', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
    builtin({
      group: '', version: 'v1', resource: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'], returnDeletedObject: true,
    }),
    builtin({
      group: '', version: 'v1', resource: 'services', singular: 'service', kind: 'Service', namespaced: true,
      shortNames: ['svc'], categories: ['all'], verbs: SERVICE_VERBS, statusSubresource: true, returnDeletedObject: true, nameIsLabel: true,
      onCreate: (obj) => {
        obj.status = { loadBalancer: {} };
      },
      onWrite: defaultService,
    }),
    builtin({
      group: '', version: 'v1', resource: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, fieldLabels: ['type'],
      onCreate: (obj) => {
        obj.type ??= 'Opaque';
      },
      onWrite: mergeStringData,
    }),
    builtin({
      group: '', version: 'v1', resource: 'pods', singular: 'pod', kind: 'Pod', namespaced: true,
      shortNames: ['po'], categories: ['all'], statusSubresource: true, returnDeletedObject: true,
      fieldLabels: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
      onCreate: (obj) => {
        obj.status = { phase: 'Pending' };
        gatePodOnCreate(obj);
      },
      onWrite: checkSchedulingGates,
    }),
    builtin({
      group: '', version: 'v1', resource: 'nodes', singular: 'node', kind: 'Node', namespaced: false,
      shortNames: ['no'], statusSubresource: true, fieldLabels: ['spec.unschedulable'],
    }),
    builtin({
      group: '', version: 'v1', resource: 'events', singular: 'event', kind: 'Event', namespaced: true,
      shortNames: ['ev'], createOnUpdate: true, fieldLabels: CORE_EVENT_FIELDS,
    }),
    builtin({
      group: 'apps', version: 'v1', resource: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true,
      shortNames: ['deploy'], categories: ['all'], statusSubresource: true, tracksGeneration: true,
      onCreate: (obj) => {
        obj.status = {};
      },
      onWrite: defaultDeployment,
    }),
    builtin({
      group: 'events.k8s.io', version: 'v1', resource: 'events', singular: 'event', kind: 'Event', namespaced: true,
      shortNames: ['ev'], createOnUpdate: true, storageKey: '/events', storageApiVersion: 'v1', fieldLabels: EVENTS_V1_FIELDS,
      toStorage: (obj) => renameFields(obj, EVENTS_V1_TO_CORE, 'v1'),
      fromStorage: (obj) => renameFields(obj, CORE_TO_EVENTS_V1, 'events.k8s.io/v1'),
    }),
    ...rbacTypes(),
    builtin({
      group: 'coordination.k8s.io', version: 'v1', resource: 'leases', singular: 'lease', kind: 'Lease', namespaced: true,
    }),
    builtin({
      group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy', namespaced: true,
      shortNames: ['netpol'], tracksGeneration: true,
    }),
    ...reviewTypes(),
    builtin({
      group: CRD_GROUP, version: 'v1', resource: 'customresourcedefinitions', singular: 'customresourcedefinition',
      kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'],
      statusSubresource: true, tracksGeneration: true, unconditionalUpdate: false, strategicMerge: false,
      returnDeletedObject: true,
    }),
  ];
}
