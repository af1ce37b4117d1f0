// authorization.k8s.io/v1 self-reviews, as `kubectl auth can-i` asks them. The embedded server's
// only authentication is its bearer token and it enforces no RBAC, so the token holder may do
// everything: each review is answered "allowed" (never stored), which is the truth here.
import type { KubeObject } from '../types.ts';

const GROUP = 'authorization.k8s.io';
const WHY = 'the embedded API server authorizes every request that carries its token (no RBAC)';

function answer(obj: KubeObject, status: KubeObject): KubeObject {
  const meta = typeof obj.metadata === 'object' && obj.metadata !== null ? obj.metadata : {};
  return { ...obj, kind: obj.kind ?? '', apiVersion: `${GROUP}/v1`, metadata: { ...meta, creationTimestamp: null }, status };
}

export function selfSubjectAccessReview(obj: KubeObject): KubeObject {
  return answer({ ...obj, kind: 'SelfSubjectAccessReview' }, { allowed: true, reason: WHY });
}

export function selfSubjectRulesReview(obj: KubeObject): KubeObject {
  return answer({ ...obj, kind: 'SelfSubjectRulesReview' }, {
    resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    incomplete: false,
  });
}
