// The change record shared by the object store, the watch history and the watch hub.
import type { KubeObject } from '../types.ts';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * One committed change. `object` is the new state (for DELETED: the last state, stamped with the
 * deletion's resource version, as the real apiserver sends it); `prev` is the state before
 * (undefined for ADDED). Keeping `prev` lets watches translate selector transitions into
 * ADDED/DELETED and lets paged lists rebuild the state at an older version.
 * Objects in a change are never mutated after the commit.
 */
export interface Change {
  type: ChangeType;
  version: number;
  key: string;
  namespace: string;
  name: string;
  object: KubeObject;
  prev: KubeObject | undefined;
}
