// Kubernetes version priority (as in apimachinery's CompareKubeAwareVersionStrings): GA before
// beta before alpha, higher numbers first, then anything else in lexical order. Discovery lists
// versions in this order and the first is the preferred version.

const KUBE_VERSION = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

function rank(v: string): [number, number, number] | undefined {
  const m = KUBE_VERSION.exec(v);
  if (m === null) return undefined;
  const stability = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
  return [stability, Number(m[1]), m[3] === undefined ? 0 : Number(m[3])];
}

/** Negative when `a` has higher priority than `b`. */
export function compareVersionPriority(a: string, b: string): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra === undefined && rb === undefined) return a.localeCompare(b);
  if (ra === undefined) return 1;
  if (rb === undefined) return -1;
  for (let i = 0; i < 3; i += 1) {
    const diff = (rb[i] ?? 0) - (ra[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
