// Generates src/apiserver/protobuf/table.ts: the field table the embedded API server uses to
// decode protobuf request bodies of built-in kinds (what kubectl's typed commands, client-go and
// Helm send). The facts come from the upstream Kubernetes sources, never vendored here:
//   - field numbers, wire types, repeated/map and message types from the `generated.proto` files
//     of k8s.io/api and k8s.io/apimachinery (parsed with protobufjs);
//   - JSON names, `omitempty`, pointers and inlined (embedded) structs from the Go struct tags in
//     the same packages' `*.go` files, so a decoded object equals the JSON the same client would
//     have sent (Go's protobuf marshaller writes zero scalars that JSON omits).
// Only messages reachable from the served kinds are emitted.
//
// Usage: node scripts/gen-proto-table.ts --api <git dir of kubernetes/api> \
//          --apimachinery <git dir of kubernetes/apimachinery> [--check]
// (`fetch github:kubernetes/api` gives such a git dir; the files are read with `git show`.)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'apiserver', 'protobuf', 'table.ts');

/** API packages read from k8s.io/api (directory = proto package suffix). */
const API_PACKAGES = ['core/v1', 'apps/v1', 'rbac/v1', 'coordination/v1', 'networking/v1', 'events/v1', 'authorization/v1', 'policy/v1'];
/** apimachinery packages: directory -> short package name used in the table. */
const MACHINERY_PACKAGES: Record<string, string> = {
  'pkg/apis/meta/v1': 'meta.v1',
  'pkg/api/resource': 'resource',
  'pkg/runtime': 'runtime',
  'pkg/runtime/schema': 'schema',
  'pkg/util/intstr': 'intstr',
};

/** The kinds the server decodes: `apiVersion/Kind` -> message. */
const KINDS: Record<string, string> = {
  'v1/Namespace': 'core.v1.Namespace',
  'v1/ConfigMap': 'core.v1.ConfigMap',
  'v1/Secret': 'core.v1.Secret',
  'v1/ServiceAccount': 'core.v1.ServiceAccount',
  'v1/Service': 'core.v1.Service',
  'v1/Pod': 'core.v1.Pod',
  'v1/Event': 'core.v1.Event',
  'v1/Node': 'core.v1.Node',
  'v1/Binding': 'core.v1.Binding',
  'apps/v1/Deployment': 'apps.v1.Deployment',
  'events.k8s.io/v1/Event': 'events.v1.Event',
  'coordination.k8s.io/v1/Lease': 'coordination.v1.Lease',
  'networking.k8s.io/v1/NetworkPolicy': 'networking.v1.NetworkPolicy',
  'rbac.authorization.k8s.io/v1/Role': 'rbac.v1.Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'rbac.v1.RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'rbac.v1.ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'rbac.v1.ClusterRoleBinding',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'authorization.v1.SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'authorization.v1.SelfSubjectRulesReview',
  'policy/v1/Eviction': 'policy.v1.Eviction',
  // Delete bodies of typed clients (Helm deletes its release Secrets this way).
  'v1/DeleteOptions': 'meta.v1.DeleteOptions',
  'meta.k8s.io/v1/DeleteOptions': 'meta.v1.DeleteOptions',
};

/** Messages with a JSON form of their own (decoded by hand in the decoder). */
const SPECIAL = new Set(['meta.v1.Time', 'meta.v1.MicroTime', 'meta.v1.Duration', 'meta.v1.FieldsV1', 'intstr.IntOrString', 'resource.Quantity', 'runtime.RawExtension']);

function args(): { api: string; machinery: string; check: boolean } {
  const a = process.argv.slice(2);
  const val = (flag: string): string => {
    const i = a.indexOf(flag);
    const v = i >= 0 ? a[i + 1] : undefined;
    if (v === undefined) throw new Error(`usage: gen-proto-table.ts --api <git dir> --apimachinery <git dir> [--check] (missing ${flag})`);
    return v;
  };
  return { api: val('--api'), machinery: val('--apimachinery'), check: a.includes('--check') };
}

function git(gitDir: string, ...argv: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...argv], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function files(gitDir: string, dir: string): string[] {
  return git(gitDir, 'ls-tree', '--name-only', 'HEAD', `${dir}/`).split('\n').filter((f) => f !== '');
}

interface GoField { json: string; omitempty: boolean; pointer: boolean; inline: boolean }

/** Go struct tags: `<pkg>.<Struct>` -> field number -> JSON facts. */
function goFields(gitDir: string, dir: string, pkg: string, into: Map<string, Map<number, GoField>>): void {
  for (const file of files(gitDir, dir)) {
    if (!file.endsWith('.go') || file.endsWith('_test.go') || /generated/.test(file)) continue;
    const text = git(gitDir, 'show', `HEAD:${file}`);
    for (const m of text.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
      const fields = new Map<number, GoField>();
      for (const line of (m[2] ?? '').split('\n')) {
        const parsed = goField(line);
        if (parsed !== undefined) fields.set(parsed[0], parsed[1]);
      }
      into.set(`${pkg}.${m[1] ?? ''}`, fields);
    }
  }
}

/** One struct field line with a protobuf tag: [field number, JSON facts]. */
function goField(line: string): [number, GoField] | undefined {
  const f = /^\t(?:(\w+)\s+)?(\*?[\w.[\]*]+)\s+`([^`]*)`/.exec(line);
  if (f === null) return undefined;
  const tags = f[3] ?? '';
  const proto = /protobuf:"[a-z0-9]+,(\d+),/.exec(tags);
  if (proto === null) return undefined;
  const [name = '', ...opts] = (/json:"([^"]*)"/.exec(tags)?.[1] ?? '').split(',');
  const embedded = f[1] === undefined;
  return [Number(proto[1]), {
    json: name !== '' ? name : (f[1] ?? ''),
    omitempty: opts.includes('omitempty'),
    pointer: (f[2] ?? '').startsWith('*'),
    inline: embedded && (name === '' || opts.includes('inline')),
  }];
}

function shortName(fullName: string): string {
  const n = fullName.replace(/^\./, '');
  if (n.startsWith('k8s.io.api.')) return n.slice('k8s.io.api.'.length);
  for (const [dir, pkg] of Object.entries(MACHINERY_PACKAGES)) {
    const prefix = `k8s.io.apimachinery.${dir.replace(/\//g, '.')}.`;
    if (n.startsWith(prefix) && !n.slice(prefix.length).includes('.')) return `${pkg}.${n.slice(prefix.length)}`;
  }
  throw new Error(`unexpected message ${fullName}`);
}

// Flags of a table field (bit set).
const REPEATED = 1;
const POINTER = 2;
const OMITEMPTY = 4;
const INLINE = 8;

type Row = [number, string, string, number] | [number, string, string, number, string];

function typeOf(field: protobuf.Field): string {
  if (field.resolvedType instanceof protobuf.Type) return shortName(field.resolvedType.fullName);
  if (field.resolvedType !== null) throw new Error(`enum fields are not expected: ${field.fullName}`);
  return field.type;
}

function rowsOf(type: protobuf.Type, go: Map<number, GoField> | undefined): Row[] {
  const rows: Row[] = [];
  for (const field of type.fieldsArray) {
    const g = go?.get(field.id);
    if (g?.json === '-') continue;
    // A proto field without a Go tag: assume the common case (omitempty, not a pointer).
    const facts = g ?? { json: field.name, omitempty: true, pointer: false, inline: false };
    const flags = (field.repeated ? REPEATED : 0) | (facts.pointer ? POINTER : 0) | (facts.omitempty ? OMITEMPTY : 0) | (facts.inline ? INLINE : 0);
    if (field instanceof protobuf.MapField) {
      const value = field.resolvedType instanceof protobuf.Type ? shortName(field.resolvedType.fullName) : field.type;
      rows.push([field.id, facts.json, `map:${field.keyType}`, flags, value]);
    } else {
      rows.push([field.id, facts.json, typeOf(field), flags]);
    }
  }
  return rows.sort((a, b) => a[0] - b[0]);
}

function main(): void {
  const { api, machinery, check } = args();
  const root = new protobuf.Root();
  const go = new Map<string, Map<number, GoField>>();
  for (const dir of API_PACKAGES) {
    protobuf.parse(git(api, 'show', `HEAD:${dir}/generated.proto`), root, { keepCase: true });
    goFields(api, dir, dir.replace('/', '.'), go);
  }
  for (const [dir, pkg] of Object.entries(MACHINERY_PACKAGES)) {
    protobuf.parse(git(machinery, 'show', `HEAD:${dir}/generated.proto`), root, { keepCase: true });
    goFields(machinery, dir, pkg, go);
  }
  root.resolveAll();
  const byShort = new Map<string, protobuf.Type>();
  const collect = (ns: protobuf.NamespaceBase): void => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) byShort.set(shortName(nested.fullName), nested);
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) collect(nested);
    }
  };
  collect(root);

  const messages: Record<string, Row[]> = {};
  const pending = [...new Set(Object.values(KINDS))];
  while (pending.length > 0) {
    const name = pending.pop() ?? '';
    if (name in messages || SPECIAL.has(name)) continue;
    const type = byShort.get(name);
    if (type === undefined) throw new Error(`message ${name} not found in the proto files`);
    const rows = rowsOf(type, go.get(name));
    messages[name] = rows;
    for (const row of rows) {
      const ref = row[2].startsWith('map:') ? row[4] ?? '' : row[2];
      if (byShort.has(ref)) pending.push(ref);
    }
  }
  const sorted = Object.fromEntries(Object.entries(messages).sort(([a], [b]) => a.localeCompare(b)));
  const apiRev = git(api, 'rev-parse', 'HEAD').trim();
  const machineryRev = git(machinery, 'rev-parse', 'HEAD').trim();
  const body = [
    '// GENERATED by scripts/gen-proto-table.ts from kubernetes/api@' + apiRev.slice(0, 12) + ' and',
    '// kubernetes/apimachinery@' + machineryRev.slice(0, 12) + ' (generated.proto + Go struct tags). Do not edit:',
    '// regenerate (README, "The embedded API server"). Row: [field number, JSON name, type, flags, map value type?];',
    '// flags: 1 repeated, 2 pointer, 4 omitempty, 8 inline (embedded struct whose fields JSON flattens).',
    'import type { ProtoTable } from \'./types.ts\';',
    '',
    `export const PROTO_TABLE: ProtoTable = ${JSON.stringify({ kinds: KINDS, messages: sorted })};`,
    '',
  ].join('\n');
  if (check) {
    if (readFileSync(OUT, 'utf8') !== body) {
      console.error(`${OUT} is stale: regenerate it`);
      process.exit(1);
    }
    console.log(`${OUT} is current (${Object.keys(sorted).length} messages)`);
    return;
  }
  writeFileSync(OUT, body);
  console.log(`wrote ${OUT}: ${Object.keys(KINDS).length} kinds, ${Object.keys(sorted).length} messages, ${body.length} bytes`);
}

main();
