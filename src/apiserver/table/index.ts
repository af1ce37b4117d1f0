// `meta.k8s.io/v1` Tables for `kubectl get` (Accept: application/json;as=Table;v=v1;g=meta.k8s.io),
// built the way the real server builds them (Kubernetes 1.32):
// - custom resources (apiextensions-apiserver tableconvertor): a `Name` column (format `name`)
//   then the CRD's `additionalPrinterColumns`; a CRD without columns gets one `Age` column
//   (`.metadata.creationTimestamp`, type date), as crd_handler defaults it. Cells: `string`
//   columns print the JSONPath result as client-go's jsonpath does (strings raw, scalars with
//   Go's %v, objects/arrays as compact JSON); `integer` truncates, `number`/`boolean` pass
//   through when the value has that type; `date` columns turn an RFC 3339 string into the
//   human duration of `duration.HumanDuration` (`45s`, `5m30s`, `3h`, `4d2h`, `2y10d`,
//   `<invalid>` for an unparsable or future time); missing values are `null` (kubectl prints
//   `<none>`).
// - rows carry `object` per `includeObject`: `Metadata` (the server default, and what kubectl
//   1.32 gets unless it sorts: it sends no includeObject then; `--show-labels` reads the labels
//   from this metadata) → a PartialObjectMetadata; `Object` → the whole object; `None` → omitted.
//   All columns are always returned; kubectl hides priority > 0 unless `-o wide`.
// - built-in kinds (`buildTableForBuiltin`) get cheap versions of the kubernetes printers
//   (pkg/printers/internalversion): Deployment Ready/Up-to-date/Available/Age (+ Containers,
//   Images, Selector with -o wide), Service Type/Cluster-IP/External-IP/Port(s)/Age (+ Selector),
//   ServiceAccount Secrets/Age, bindings Role/Age (+ Users, Groups, ServiceAccounts), and the
//   default table convertor's `Created At` for Roles, ClusterRoles and CRDs.
// JSONPath subset: `.a.b`, `['a.b']`, `[0]`, `[-1]`, `[*]`, filters `[?(@.k=="v")]`,
// `[?(@.k!="v")]`, `[?(@.k)]`; anything else makes the column empty. Deviation: a `null` value
// in a string column is `null` (the real jsonpath prints `<nil>`).

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: Record<string, unknown>;
}

export interface TableRow {
  cells: unknown[];
  object?: PartialObjectMetadata | Record<string, unknown>;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  includeObject?: IncludeObject;
  resourceVersion?: string;
  continue?: string;
  now?: Date;
  noHeaders?: boolean;
}

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const CREATION_TIMESTAMP_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

const NAME_COLUMN: TableColumnDefinition = { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 };
const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATION_TIMESTAMP_DESCRIPTION };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Durations

/** `duration.HumanDuration` (k8s.io/apimachinery/pkg/util/duration). */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.trunc(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.trunc(days / 365)}y` : `${Math.trunc(days / 365)}y${days % 365}d`;
  return `${Math.trunc(days / 365)}y`;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The Age text of a timestamp: `<unknown>` when absent, `<invalid>` when unparsable. */
export function ageOf(timestamp: unknown, now: Date): string {
  if (timestamp === undefined || timestamp === null || timestamp === '') return '<unknown>';
  if (typeof timestamp !== 'string' || !RFC3339.test(timestamp)) return '<invalid>';
  return humanDuration(now.getTime() - Date.parse(timestamp));
}

// ---------------------------------------------------------------------------------------------
// JSONPath subset

type Step =
  | { k: 'field'; name: string }
  | { k: 'index'; i: number }
  | { k: 'all' }
  | { k: 'filter'; path: string[]; op: '==' | '!=' | 'exists'; value: unknown };

function parseFilter(body: string): Step | undefined {
  const m = /^\?\(@((?:\.[A-Za-z0-9_-]+)+)\s*(?:(==|!=)\s*(?:"([^"]*)"|'([^']*)'|(-?\d+(?:\.\d+)?)|(true|false)))?\)$/.exec(body);
  if (!m) return undefined;
  const path = (m[1] ?? '').split('.').slice(1);
  if (!m[2]) return { k: 'filter', path, op: 'exists', value: undefined };
  const value = m[3] ?? m[4] ?? (m[5] !== undefined ? Number(m[5]) : m[6] === 'true');
  return { k: 'filter', path, op: m[2] as '==' | '!=', value };
}

function parseBracket(body: string): Step | undefined {
  if (body === '*') return { k: 'all' };
  if (/^-?\d+$/.test(body)) return { k: 'index', i: Number(body) };
  const quoted = /^'([^']*)'$|^"([^"]*)"$/.exec(body);
  if (quoted) return { k: 'field', name: quoted[1] ?? quoted[2] ?? '' };
  return parseFilter(body);
}

/** Parses the JSONPath subset; `undefined` when the path is outside it. */
export function parseJsonPath(path: string): Step[] | undefined {
  const src = path.trim().replace(/^\{(.*)\}$/, '$1');
  const steps: Step[] = [];
  let i = 0;
  while (i < src.length) {
    if (src[i] === '.') {
      const m = /^[A-Za-z0-9_-]+/.exec(src.slice(i + 1));
      if (!m) return undefined;
      steps.push({ k: 'field', name: m[0] });
      i += 1 + m[0].length;
    } else if (src[i] === '[') {
      const end = src.indexOf(']', i);
      const step = end < 0 ? undefined : parseBracket(src.slice(i + 1, end));
      if (!step) return undefined;
      steps.push(step);
      i = end + 1;
    } else {
      return undefined;
    }
  }
  return steps;
}

function readPath(v: unknown, path: string[]): { found: boolean; value: unknown } {
  let cur = v;
  for (const p of path) {
    if (!isRecord(cur) || !Object.hasOwn(cur, p)) return { found: false, value: undefined };
    cur = cur[p];
  }
  return { found: true, value: cur };
}

function applyStep(values: unknown[], step: Step): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (step.k === 'field') {
      if (isRecord(v) && Object.hasOwn(v, step.name)) out.push(v[step.name]);
    } else if (step.k === 'index') {
      if (Array.isArray(v)) {
        const item: unknown = v[step.i < 0 ? v.length + step.i : step.i];
        if (item !== undefined) out.push(item);
      }
    } else if (step.k === 'all') {
      if (Array.isArray(v)) out.push(...(v as unknown[]));
      else if (isRecord(v)) out.push(...Object.values(v));
    } else if (Array.isArray(v)) {
      out.push(...(v as unknown[]).filter((item) => filterMatches(item, step)));
    }
  }
  return out;
}

function filterMatches(item: unknown, step: Extract<Step, { k: 'filter' }>): boolean {
  const { found, value } = readPath(item, step.path);
  if (step.op === 'exists') return found;
  return found && (value === step.value) === (step.op === '==');
}

/** All results of a JSONPath (subset) on an object; missing keys yield no results. */
export function evaluateJsonPath(obj: unknown, path: string): unknown[] {
  const steps = parseJsonPath(path);
  if (!steps) return [];
  return steps.reduce<unknown[]>((values, step) => applyStep(values, step), [obj]);
}

// ---------------------------------------------------------------------------------------------
// Cells

function printScalar(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatFloat(v);
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Go's %v of a float64: %g with the shortest precision (exponent below 1e-4 and from 1e6). */
function formatFloat(n: number): string {
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(n);
}

/** The cell of one column for a value found by its JSONPath (`cellForJSONValue`). */
export function cellFor(type: string, value: unknown, now: Date): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string': return printScalar(value);
    case 'integer': return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number': return typeof value === 'number' ? value : null;
    case 'boolean': return typeof value === 'boolean' ? value : null;
    case 'date': return typeof value === 'string' ? ageOf(value, now) : null;
    default: return null;
  }
}

function rowObject(obj: Record<string, unknown>, include: IncludeObject): TableRow['object'] {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  const metadata = isRecord(obj.metadata) ? obj.metadata : {};
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
}

function tableOf(
  columns: TableColumnDefinition[],
  objects: Array<Record<string, unknown>>,
  cells: (o: Record<string, unknown>) => unknown[],
  opts: TableOptions,
): Table {
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  const include = opts.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? [] : columns,
    rows: objects.map((o) => {
      const object = rowObject(o, include);
      return object === undefined ? { cells: cells(o) } : { cells: cells(o), object };
    }),
  };
}

const nameOf = (o: Record<string, unknown>): string => {
  const m = o.metadata;
  return isRecord(m) && typeof m.name === 'string' ? m.name : '';
};

/** The Table of custom resources for a CRD version's `additionalPrinterColumns`. */
export function buildTable(columns: PrinterColumn[] | undefined, objects: Array<Record<string, unknown>>, opts: TableOptions = {}): Table {
  const now = opts.now ?? new Date();
  const cols = columns && columns.length > 0 ? columns : [AGE_COLUMN];
  const defs: TableColumnDefinition[] = [
    NAME_COLUMN,
    ...cols.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    })),
  ];
  const cells = (o: Record<string, unknown>): unknown[] => [
    nameOf(o),
    ...cols.map((c) => {
      const [first] = evaluateJsonPath(o, c.jsonPath);
      return cellFor(c.type, first, now);
    }),
  ];
  return tableOf(defs, objects, cells, opts);
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds

interface BuiltinColumn {
  def: Omit<TableColumnDefinition, 'description' | 'format' | 'priority'> & Partial<TableColumnDefinition>;
  cell: (o: Record<string, unknown>, now: Date) => unknown;
}

const get = (o: unknown, ...path: string[]): unknown => readPath(o, path).value;
const col = (name: string, type: string, cell: BuiltinColumn['cell'], priority = 0): BuiltinColumn => ({ def: { name, type, priority }, cell });
const ageColumn = col('Age', 'string', (o, now) => ageOf(get(o, 'metadata', 'creationTimestamp'), now));
const countKeys = (...vs: unknown[]): number => vs.reduce<number>((n, v) => n + (isRecord(v) ? Object.keys(v).length : 0), 0);
const orNone = (v: unknown): string => (typeof v === 'string' && v !== '' ? v : '<none>');

function podStatus(o: Record<string, unknown>): string {
  if (get(o, 'metadata', 'deletionTimestamp')) return 'Terminating';
  const reason = get(o, 'status', 'reason');
  if (typeof reason === 'string' && reason) return reason;
  const phase = get(o, 'status', 'phase');
  return typeof phase === 'string' && phase ? phase : 'Pending';
}

function podStatuses(o: Record<string, unknown>): Array<Record<string, unknown>> {
  const s = get(o, 'status', 'containerStatuses');
  return Array.isArray(s) ? s.filter(isRecord) : [];
}

function podReady(o: Record<string, unknown>): string {
  const containers = get(o, 'spec', 'containers');
  const total = Array.isArray(containers) ? containers.length : 0;
  return `${podStatuses(o).filter((c) => c.ready === true).length}/${total}`;
}

function eventLastSeen(o: Record<string, unknown>, now: Date): string {
  const ts = get(o, 'lastTimestamp') ?? get(o, 'eventTime') ?? get(o, 'metadata', 'creationTimestamp');
  return ageOf(ts, now);
}

const numberOr0 = (v: unknown): number => (typeof v === 'number' ? v : 0);
const records = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v.filter(isRecord) : []);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** `labels.FormatLabels`: sorted `k=v` pairs joined by commas, `<none>` when empty. */
function formatLabels(m: unknown): string {
  const pairs = isRecord(m) ? Object.entries(m).filter(([, v]) => typeof v === 'string').map(([k, v]) => `${k}=${String(v)}`).sort() : [];
  return pairs.length === 0 ? '<none>' : pairs.join(',');
}

/** A label selector as `metav1.LabelSelectorAsSelector(...).String()` prints its matchLabels/matchExpressions. */
function formatSelector(sel: unknown): string {
  const parts = isRecord(sel) && isRecord(sel.matchLabels) ? Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${String(v)}`) : [];
  for (const e of records(get(sel, 'matchExpressions'))) {
    const key = String(e.key);
    const values = strings(e.values).sort().join(',');
    if (e.operator === 'In') parts.push(`${key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${key}`);
  }
  return parts.length === 0 ? '<none>' : parts.sort().join(',');
}

const templateContainers = (o: Record<string, unknown>): Array<Record<string, unknown>> => records(get(o, 'spec', 'template', 'spec', 'containers'));

function deploymentReady(o: Record<string, unknown>): string {
  const desired = get(o, 'spec', 'replicas');
  return `${numberOr0(get(o, 'status', 'readyReplicas'))}/${typeof desired === 'number' ? desired : 1}`;
}

/** `getServiceExternalIP` of the kubernetes printers. */
function serviceExternalIP(o: Record<string, unknown>): string {
  const external = strings(get(o, 'spec', 'externalIPs'));
  switch (get(o, 'spec', 'type')) {
    case 'ExternalName': return orNone(get(o, 'spec', 'externalName'));
    case 'LoadBalancer': {
      const ingress = records(get(o, 'status', 'loadBalancer', 'ingress')).map((i) => (typeof i.ip === 'string' ? i.ip : typeof i.hostname === 'string' ? i.hostname : '')).filter((x) => x !== '');
      const all = [...ingress, ...external];
      return all.length === 0 ? '<pending>' : all.join(',');
    }
    default: return external.length === 0 ? '<none>' : external.join(',');
  }
}

/** `makePortString`: `port[:nodePort]/protocol`, comma separated. */
function servicePorts(o: Record<string, unknown>): string {
  const ports = records(get(o, 'spec', 'ports')).map((p) => {
    const protocol = typeof p.protocol === 'string' ? p.protocol : 'TCP';
    const node = typeof p.nodePort === 'number' && p.nodePort !== 0 ? `:${p.nodePort}` : '';
    return `${String(p.port)}${node}/${protocol}`;
  });
  return ports.length === 0 ? '<none>' : ports.join(',');
}

/** Subjects of one kind in a binding (`rbac.SubjectsStrings`: service accounts as namespace/name). */
function bindingSubjects(kind: string): BuiltinColumn['cell'] {
  return (o) => records(get(o, 'subjects'))
    .filter((s) => s.kind === kind)
    .map((s) => (typeof s.namespace === 'string' && s.namespace !== '' && kind === 'ServiceAccount' ? `${s.namespace}/${String(s.name)}` : String(s.name)))
    .join(', ');
}

const createdAtColumn = col('Created At', 'date', (o) => {
  const ts = get(o, 'metadata', 'creationTimestamp');
  return typeof ts === 'string' && RFC3339.test(ts) ? new Date(ts).toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
});

const BINDING_COLUMNS: BuiltinColumn[] = [
  col('Role', 'string', (o) => {
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    return `${text(get(o, 'roleRef', 'kind'))}/${text(get(o, 'roleRef', 'name'))}`;
  }),
  ageColumn,
  col('Users', 'string', bindingSubjects('User'), 1),
  col('Groups', 'string', bindingSubjects('Group'), 1),
  col('ServiceAccounts', 'string', bindingSubjects('ServiceAccount'), 1),
];

const BUILTIN_COLUMNS: Record<string, BuiltinColumn[]> = {
  Deployment: [
    col('Ready', 'string', deploymentReady),
    col('Up-to-date', 'string', (o) => numberOr0(get(o, 'status', 'updatedReplicas'))),
    col('Available', 'string', (o) => numberOr0(get(o, 'status', 'availableReplicas'))),
    ageColumn,
    col('Containers', 'string', (o) => templateContainers(o).map((c) => String(c.name)).join(','), 1),
    col('Images', 'string', (o) => templateContainers(o).map((c) => String(c.image)).join(','), 1),
    col('Selector', 'string', (o) => formatSelector(get(o, 'spec', 'selector')), 1),
  ],
  Service: [
    col('Type', 'string', (o) => get(o, 'spec', 'type') ?? 'ClusterIP'),
    col('Cluster-IP', 'string', (o) => orNone(get(o, 'spec', 'clusterIP'))),
    col('External-IP', 'string', serviceExternalIP),
    col('Port(s)', 'string', servicePorts),
    ageColumn,
    col('Selector', 'string', (o) => formatLabels(get(o, 'spec', 'selector')), 1),
  ],
  ServiceAccount: [col('Secrets', 'string', (o) => records(get(o, 'secrets')).length), ageColumn],
  Role: [createdAtColumn],
  ClusterRole: [createdAtColumn],
  RoleBinding: BINDING_COLUMNS,
  ClusterRoleBinding: BINDING_COLUMNS,
  Namespace: [col('Status', 'string', (o) => get(o, 'status', 'phase') ?? ''), ageColumn],
  ConfigMap: [col('Data', 'integer', (o) => countKeys(o.data, o.binaryData)), ageColumn],
  Secret: [col('Type', 'string', (o) => get(o, 'type') ?? ''), col('Data', 'integer', (o) => countKeys(o.data)), ageColumn],
  Lease: [col('Holder', 'string', (o) => get(o, 'spec', 'holderIdentity') ?? ''), ageColumn],
  Pod: [
    col('Ready', 'string', podReady),
    col('Status', 'string', podStatus),
    col('Restarts', 'string', (o) => String(podStatuses(o).reduce((n, c) => n + (typeof c.restartCount === 'number' ? c.restartCount : 0), 0))),
    ageColumn,
    col('IP', 'string', (o) => orNone(get(o, 'status', 'podIP')), 1),
    col('Node', 'string', (o) => orNone(get(o, 'spec', 'nodeName')), 1),
  ],
  CustomResourceDefinition: [createdAtColumn],
};

const EVENT_COLUMNS: BuiltinColumn[] = [
  col('Last Seen', 'string', eventLastSeen),
  col('Type', 'string', (o) => get(o, 'type') ?? ''),
  col('Reason', 'string', (o) => get(o, 'reason') ?? ''),
  col('Object', 'string', (o) => {
    const ref = get(o, 'involvedObject') ?? get(o, 'regarding');
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    return `${text(get(ref, 'kind')).toLowerCase()}/${text(get(ref, 'name'))}`;
  }),
  col('Message', 'string', (o) => get(o, 'message') ?? get(o, 'note') ?? ''),
  col('Name', 'string', nameOf, 1),
];

/**
 * A Table for a built-in kind, with the leading columns of the kubernetes printers (Events lead
 * with Last Seen, as `kubectl get events`); unknown kinds get Name and Age.
 */
export function buildTableForBuiltin(kind: string, objects: Array<Record<string, unknown>>, opts: TableOptions = {}): Table {
  const now = opts.now ?? new Date();
  const fill = (c: BuiltinColumn): TableColumnDefinition => ({ format: '', description: '', priority: 0, ...c.def });
  if (kind === 'Event') {
    return tableOf(EVENT_COLUMNS.map(fill), objects, (o) => EVENT_COLUMNS.map((c) => c.cell(o, now)), opts);
  }
  const cols = BUILTIN_COLUMNS[kind] ?? [ageColumn];
  const defs = [NAME_COLUMN, ...cols.map(fill)];
  return tableOf(defs, objects, (o) => [nameOf(o), ...cols.map((c) => c.cell(o, now))], opts);
}
