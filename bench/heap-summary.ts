// Summarises a V8 .heapsnapshot (as written by `bench:scale -- --heap-snapshot DIR`): where the
// heap goes, by constructor (self size and count) and by owner (retained size from the
// dominator tree: what would be freed if that object went). It measures; it does not assert.
// Run: node --max-old-space-size=8192 bench/heap-summary.ts FILE.heapsnapshot [--top 40]
//        [--owners ObjectStore,ChangeHistory,...]  (constructors whose instances' retained sizes are summed)
// Snapshot format: nodes and edges are flat integer arrays described by snapshot.meta
// (node_fields, edge_fields, their type enums); edge `to_node` is an index into `nodes`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string' }, owners: { type: 'string' } },
});
const file = positionals[0];
if (file === undefined) throw new Error('usage: heap-summary.ts FILE.heapsnapshot [--top N] [--owners A,B]');
const TOP = Number(args.top ?? 40);

interface Meta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
}
interface Snapshot { snapshot: { meta: Meta; node_count: number }; nodes: number[]; edges: number[]; strings: string[] }

const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const { meta } = snap.snapshot;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const nType = meta.node_fields.indexOf('type');
const nName = meta.node_fields.indexOf('name');
const nSelf = meta.node_fields.indexOf('self_size');
const nEdges = meta.node_fields.indexOf('edge_count');
const eType = meta.edge_fields.indexOf('type');
const eTo = meta.edge_fields.indexOf('to_node');
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const WEAK = edgeTypes.indexOf('weak');
const SHORTCUT = edgeTypes.indexOf('shortcut');
const { nodes, edges, strings } = snap;
const count = nodes.length / NF;

// First edge of each node (edges are stored node after node).
const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += (nodes[i * NF + nEdges] ?? 0) * EF;
  firstEdge[i + 1] = e;
}

/** The constructor-ish label of a node: objects by class name, others by V8 node type. */
function label(i: number): string {
  const type = nodeTypes[nodes[i * NF + nType] ?? 0] ?? '?';
  const name = strings[nodes[i * NF + nName] ?? 0] ?? '';
  if (type === 'object' || type === 'native') return name.length > 80 ? `${name.slice(0, 80)}…` : name;
  if (type === 'closure') return `(closure) ${name}`.slice(0, 80);
  return `(${type})`;
}
const selfOf = (i: number): number => nodes[i * NF + nSelf] ?? 0;

// Depth-first post-order from the root (node 0), over strong edges only.
const post = new Int32Array(count).fill(-1);
const order: number[] = [];
{
  const stack: number[] = [0];
  const cursor = new Uint32Array(count);
  const seen = new Uint8Array(count);
  seen[0] = 1;
  for (let i = 0; i < count; i++) cursor[i] = firstEdge[i]!;
  while (stack.length > 0) {
    const v = stack[stack.length - 1]!;
    let pushed = false;
    while (cursor[v]! < firstEdge[v + 1]!) {
      const e = cursor[v]!;
      cursor[v] = e + EF;
      const t = edges[e + eType];
      if (t === WEAK || t === SHORTCUT) continue;
      const to = edges[e + eTo]! / NF;
      if (seen[to] === 0) {
        seen[to] = 1;
        stack.push(to);
        pushed = true;
        break;
      }
    }
    if (!pushed) {
      stack.pop();
      post[v] = order.length;
      order.push(v);
    }
  }
}

/** Calls `fn(from, to)` for every strong edge between reachable nodes. */
function strongReachableEdges(fn: (from: number, to: number) => void): void {
  for (let v = 0; v < count; v++) {
    if (post[v] === -1) continue;
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += EF) {
      const t = edges[e + eType];
      if (t === WEAK || t === SHORTCUT) continue;
      const to = edges[e + eTo]! / NF;
      if (post[to] !== -1) fn(v, to);
    }
  }
}

// Predecessors, compressed: preds[predCount[v] .. predCount[v + 1]) are v's.
const predCount = new Uint32Array(count + 1);
strongReachableEdges((_, to) => {
  predCount[to + 1]! += 1;
});
for (let i = 0; i < count; i++) predCount[i + 1]! += predCount[i]!;
const preds = new Uint32Array(predCount[count]!);
const fill = predCount.slice(0, count);
strongReachableEdges((from, to) => {
  preds[fill[to]!++] = from;
});

// Immediate dominators (Cooper, Harvey, Kennedy: iterate in reverse post-order to a fixpoint).
const idom = new Int32Array(count).fill(-1);
idom[0] = 0;
/** The nearest common dominator of a and b (both already have an idom). */
function intersect(a: number, b: number): number {
  while (a !== b) {
    while (post[a]! < post[b]!) a = idom[a]!;
    while (post[b]! < post[a]!) b = idom[b]!;
  }
  return a;
}
for (let changed = true; changed;) {
  changed = false;
  for (let k = order.length - 2; k >= 0; k--) {
    const v = order[k]!;
    let next = -1;
    for (let p = predCount[v]!; p < predCount[v + 1]!; p++) {
      const u = preds[p]!;
      if (idom[u] !== -1) next = next === -1 ? u : intersect(u, next);
    }
    if (next !== -1 && idom[v] !== next) {
      idom[v] = next;
      changed = true;
    }
  }
}

// Retained sizes: children before parents (post-order).
const retained = new Float64Array(count);
for (const v of order) retained[v]! += selfOf(v);
for (const v of order) if (v !== 0) retained[idom[v]!]! += retained[v]!;

const MB = (n: number): string => (n / 1024 / 1024).toFixed(1);
let total = 0;
const byLabel = new Map<string, { n: number; self: number }>();
for (const v of order) {
  total += selfOf(v);
  const key = label(v);
  const row = byLabel.get(key) ?? { n: 0, self: 0 };
  row.n += 1;
  row.self += selfOf(v);
  byLabel.set(key, row);
}
process.stdout.write(`${file}: ${order.length} reachable nodes of ${count}, ${MB(total)} MB reachable self size\n\n`);
// The fixed part: compiled code and the source text V8 keeps for lazy compilation (strings of
// 16 KB and more are, in these processes, module sources).
let code = 0;
let bigStrings = 0;
for (const v of order) {
  if (label(v) === '(code)') code += selfOf(v);
  else if (label(v) === '(string)' && selfOf(v) >= 16 * 1024) bigStrings += selfOf(v);
}
process.stdout.write(`compiled code ${MB(code)} MB, strings of 16 KB or more (module sources) ${MB(bigStrings)} MB, everything else ${MB(total - code - bigStrings)} MB\n\n`);
process.stdout.write(`## self size by constructor (top ${TOP})\n| constructor | count | self MB |\n|---|---|---|\n`);
for (const [k, r] of [...byLabel].sort((a, b) => b[1].self - a[1].self).slice(0, TOP)) process.stdout.write(`| ${k} | ${r.n} | ${MB(r.self)} |\n`);

/** A short path of edge names from the root to `v` along dominators (who owns it). */
function ownerPath(v: number): string {
  const parts: string[] = [];
  for (let x = v, steps = 0; x !== 0 && steps < 8; x = idom[x]!, steps++) parts.push(label(x));
  return parts.reverse().join(' < ');
}

// Owners: the largest retained sizes among objects that are not plain data, and the named
// constructors' retained sizes summed over instances not dominated by another of the same name.
const plain = new Set(['Object', 'Array', '(array)', '(string)', '(concatenated string)', '(sliced string)', '(hidden)', '(code)', '(number)', 'system / Context']);
process.stdout.write(`\n## largest owners by retained size (top ${TOP}, plain data left out)\n| object | retained MB | dominator chain |\n|---|---|---|\n`);
const candidates = order.filter((v) => v !== 0 && !plain.has(label(v)) && retained[v]! > 256 * 1024).sort((a, b) => retained[b]! - retained[a]!);
for (const v of candidates.slice(0, TOP)) process.stdout.write(`| ${label(v)} | ${MB(retained[v]!)} | ${ownerPath(idom[v]!)} |\n`);

/** True when an object labelled `name` dominates v (v is inside another instance of it). */
function dominatedBy(v: number, name: string): boolean {
  for (let x = idom[v]!; x !== 0; x = idom[x]!) if (label(x) === name) return true;
  return false;
}

const owners = (args.owners ?? '').split(',').filter(Boolean);
if (owners.length > 0) {
  process.stdout.write('\n## named owners (retained, summed over outermost instances)\n| constructor | instances | retained MB |\n|---|---|---|\n');
  for (const name of owners) {
    let n = 0;
    let sum = 0;
    for (const v of order) {
      if (label(v) !== name) continue;
      n += 1;
      if (!dominatedBy(v, name)) sum += retained[v]!;
    }
    process.stdout.write(`| ${name} | ${n} | ${MB(sum)} |\n`);
  }
}

// Attribution: each node's self size goes to its nearest dominator that is not plain data (a
// string shared by two owners goes to their common dominator).
const plainOwner = (v: number): boolean => plain.has(label(v)) || label(v).startsWith('(') || label(v) === 'Map' || label(v) === 'Set' || label(v) === 'system / JSArrayBufferData';
const byOwner = new Map<string, number>();
for (const v of order) {
  let x = idom[v]!;
  while (x !== 0 && plainOwner(x)) x = idom[x]!;
  const key = x === 0 ? '(root)' : label(x);
  byOwner.set(key, (byOwner.get(key) ?? 0) + selfOf(v));
}
process.stdout.write(`\n## self size by nearest owning object (top ${TOP})\n| owner | MB |\n|---|---|\n`);
for (const [k, s] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, TOP)) process.stdout.write(`| ${k} | ${MB(s)} |\n`);

// Strings: the largest ones, and counts of repeated contents (copies of one value).
const strs = order.filter((v) => label(v) === '(string)');
const byContent = new Map<string, { n: number; self: number }>();
for (const v of strs) {
  const s = strings[nodes[v * NF + nName] ?? 0] ?? '';
  const key = s.length > 60 ? `${s.slice(0, 60)}…(${s.length})` : s;
  const row = byContent.get(key) ?? { n: 0, self: 0 };
  row.n += 1;
  row.self += selfOf(v);
  byContent.set(key, row);
}
process.stdout.write(`\n## strings by content (top ${TOP} by total size)\n| content | copies | MB |\n|---|---|---|\n`);
for (const [k, r] of [...byContent].sort((a, b) => b[1].self - a[1].self).slice(0, TOP)) process.stdout.write(`| ${JSON.stringify(k).replaceAll('|', '\\|')} | ${r.n} | ${MB(r.self)} |\n`);
