// The glue between the informer caches and the Polecat controller in Pod execution: which
// session (pod, certificate Secret) a gt polecat has, and which Polecat views a session object
// concerns. Reads the caches only.
import { decodePolecat, decodeRig, gtRigName } from '../api/index.ts';
import { RIG_KIND } from '../api/kinds.ts';
import { followedKey } from '../controllers/polecat/identity.ts';
import type { SessionView } from '../controllers/polecat/situation.ts';
import { POD_KIND, SECRET_KIND, sessionIdentity, type SessionPod } from '../controllers/session/pod-state.ts';
import { sessionPodName, sessionSecretName } from '../execution/session-pod.ts';
import type { InformerCache } from '../runtime/cache.ts';
import type { KubeObject } from '../runtime/k8s.ts';
import { polecatKey } from '../controllers/town-sync/snapshot.ts';
import type { PodExecutionConfig } from './config.ts';

/** The session of `<rig>/<name>` when its Rig is in Pod mode, else undefined. */
export function sessionLookup(cache: InformerCache, config: PodExecutionConfig): (rig: string, name: string) => SessionView | undefined {
  return (rig, name) => {
    const view = cache.list(RIG_KIND).map((o) => decodeRig(o)).find((d) => d.ok && gtRigName(d.value) === rig);
    const execution = view?.ok === true ? view.value.spec.execution : undefined;
    if (execution?.mode !== 'Pod') return undefined;
    const namespace = execution.namespace ?? config.namespace;
    const podName = sessionPodName(rig, name);
    const pod = cache.get<SessionPod>(POD_KIND, `${namespace}/${podName}`);
    const certificate = cache.get(SECRET_KIND, `${namespace}/${sessionSecretName(podName)}`) !== undefined;
    return { namespace, podName, pod, certificate };
  };
}

/** The Polecat keys following the polecat a session object was made for. */
export function polecatKeysForSession(obj: KubeObject, polecats: readonly KubeObject[]): string[] {
  const identity = sessionIdentity(obj);
  if (identity === undefined) return [];
  const key = polecatKey(identity.rig, identity.polecat);
  const keys: string[] = [];
  for (const p of polecats) {
    const decoded = decodePolecat(p);
    if (decoded.ok && followedKey(decoded.value) === key) keys.push(`${decoded.value.metadata.namespace ?? ''}/${decoded.value.metadata.name}`);
  }
  return keys;
}
