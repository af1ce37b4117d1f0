// The glue between the informer caches and the Polecat controller in Pod execution: which
// session (pod, certificate Secret) a gt polecat has with its rig's capacity, and which Polecat
// views a session object concerns. Reads the caches only.
import { decodePolecat, decodeRig, gtRigName } from '../api/index.ts';
import { RIG_KIND } from '../api/kinds.ts';
import { followedKey } from '../controllers/polecat/identity.ts';
import type { SessionView } from '../controllers/polecat/situation.ts';
import { capacityGated, podFinished, POD_KIND, SECRET_KIND, sessionIdentity, type SessionPod } from '../controllers/session/pod-state.ts';
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
    const capacity = execution.maxPods === undefined ? undefined : { running: admittedPods(cache, namespace, rig), maxPods: execution.maxPods };
    return { namespace, podName, pod, certificate, ...(capacity === undefined ? {} : { capacity }) };
  };
}

/** The rig's session pods past the capacity gate that still run (what counts toward maxPods). */
function admittedPods(cache: InformerCache, namespace: string, rig: string): number {
  return cache.list<SessionPod>(POD_KIND).filter((p) => p.metadata?.namespace === namespace && sessionIdentity(p)?.rig === rig &&
    p.metadata.deletionTimestamp === undefined && !podFinished(p) && !capacityGated(p)).length;
}

/**
 * The Polecat keys following the polecat a session object was made for; for a pod, also those
 * whose pods wait at the same rig's capacity gate (their count of running pods changed).
 */
export function polecatKeysForSession(obj: KubeObject, polecats: readonly KubeObject[], pods: readonly SessionPod[] = []): string[] {
  const identity = sessionIdentity(obj);
  if (identity === undefined) return [];
  const waiting = pods.filter((p) => p !== obj && capacityGated(p) && sessionIdentity(p)?.rig === identity.rig).map((p) => sessionIdentity(p));
  const wanted = new Set([identity, ...waiting].flatMap((i) => (i === undefined ? [] : [polecatKey(i.rig, i.polecat)])));
  const keys: string[] = [];
  for (const p of polecats) {
    const decoded = decodePolecat(p);
    const followed = decoded.ok ? followedKey(decoded.value) : undefined;
    if (decoded.ok && followed !== undefined && wanted.has(followed)) keys.push(`${decoded.value.metadata.namespace ?? ''}/${decoded.value.metadata.name}`);
  }
  return keys;
}
