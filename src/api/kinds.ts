// The three kinds of this API as the runtime addresses them (group, version, plural, kind,
// scope): the one definition the controllers, town sync and the composition root share.
import type { ResourceKind } from '../runtime/k8s.ts';
import { API_GROUP, API_VERSION, Resource, type ResourceNames } from './constants.ts';

function kindOf(names: ResourceNames): ResourceKind {
  return { group: API_GROUP, version: API_VERSION, plural: names.plural, kind: names.kind, namespaced: names.namespaced };
}

/** Rig: cluster-scoped. */
export const RIG_KIND: ResourceKind = kindOf(Resource.Rig);
/** Polecat: namespaced. */
export const POLECAT_KIND: ResourceKind = kindOf(Resource.Polecat);
/** Convoy: namespaced. */
export const CONVOY_KIND: ResourceKind = kindOf(Resource.Convoy);
