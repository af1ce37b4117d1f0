// A renderer for the small subset of Helm's Go templates the gastown-operator chart keeps to,
// because no helm binary can be installed here. It follows text/template's rules for what it
// supports and THROWS on anything else, so a template that leaves the subset fails the tests
// instead of being rendered wrongly:
//   actions    {{ pipeline }}, {{- trim markers -}}, {{/* comments */}}
//   control    {{ if pipeline }} ... [{{ else }} ...] {{ end }}, {{ define "name" }} ... {{ end }}
//   values     .Values.a.b (a missing key is an error, not "<no value>"), .Release.Name,
//              .Release.Namespace, .Release.Service, .Chart.Name, .Chart.Version,
//              .Chart.AppVersion, "string literals", integers
//   functions  include "name" ., toYaml X, quote X; in pipelines: | nindent N, | indent N,
//              | quote, | toYaml
// Truth in `if` is Go's: false, 0, "", nil, empty list and empty map are false.
// toYaml is Helm's: sorted keys, no trailing newline.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export interface RenderContext {
  readonly Values: Record<string, unknown>;
  readonly Release: { readonly Name: string; readonly Namespace: string; readonly Service: string };
  readonly Chart: { readonly Name: string; readonly Version: string; readonly AppVersion: string };
}

type Node =
  | { readonly type: 'text'; text: string }
  | { readonly type: 'expr'; readonly expr: string }
  | { readonly type: 'if'; readonly cond: string; readonly then: Node[]; readonly otherwise: Node[] }
  | { readonly type: 'define'; readonly name: string; readonly body: Node[] };

interface Token {
  readonly kind: 'text' | 'action';
  text: string;
  readonly trimLeft?: boolean;
  readonly trimRight?: boolean;
}

class SubsetError extends Error {}

function tokenize(src: string, file: string): Token[] {
  const tokens: Token[] = [];
  const re = /\{\{(-?)([\s\S]*?)(-?)\}\}/g;
  let last = 0;
  for (let m = re.exec(src); m !== null; m = re.exec(src)) {
    tokens.push({ kind: 'text', text: src.slice(last, m.index) });
    const trimLeft = m[1] === '-';
    const trimRight = m[3] === '-';
    if ((trimLeft && !/^\s/.test(m[2]!)) || (trimRight && !/\s$/.test(m[2]!))) {
      throw new SubsetError(`${file}: a trim marker must be followed/preceded by a space: ${m[0]}`);
    }
    tokens.push({ kind: 'action', text: m[2]!.trim(), trimLeft, trimRight });
    last = m.index + m[0].length;
  }
  tokens.push({ kind: 'text', text: src.slice(last) });
  // Trim markers remove all adjacent whitespace (newlines included) of the neighbouring text.
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'action') continue;
    if (t.trimLeft) tokens[i - 1]!.text = tokens[i - 1]!.text.replace(/\s+$/, '');
    if (t.trimRight) tokens[i + 1]!.text = tokens[i + 1]!.text.replace(/^\s+/, '');
  }
  return tokens;
}

function parseTemplate(src: string, file: string): Node[] {
  const tokens = tokenize(src, file);
  let pos = 0;
  const block = (closers: readonly string[]): { nodes: Node[]; closer: string } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if (t.kind === 'text') {
        if (t.text !== '') nodes.push({ type: 'text', text: t.text });
        continue;
      }
      if (t.text.startsWith('/*')) {
        if (!t.text.endsWith('*/')) throw new SubsetError(`${file}: unterminated comment`);
        continue;
      }
      if (closers.includes(t.text)) return { nodes, closer: t.text };
      const ifMatch = /^if\s+(.+)$/.exec(t.text);
      const defineMatch = /^define\s+"([^"]+)"$/.exec(t.text);
      if (ifMatch) {
        const then = block(['else', 'end']);
        const otherwise = then.closer === 'else' ? block(['end']).nodes : [];
        nodes.push({ type: 'if', cond: ifMatch[1]!, then: then.nodes, otherwise });
      } else if (defineMatch) {
        nodes.push({ type: 'define', name: defineMatch[1]!, body: block(['end']).nodes });
      } else if (/^(else|end|range|with|template|block)\b/.test(t.text)) {
        throw new SubsetError(`${file}: {{ ${t.text} }} is outside the supported subset or misplaced`);
      } else {
        nodes.push({ type: 'expr', expr: t.text });
      }
    }
    if (closers.length > 0) throw new SubsetError(`${file}: missing {{ end }}`);
    return { nodes, closer: '' };
  };
  return block([]).nodes;
}

function words(segment: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(segment); m !== null; m = re.exec(segment)) out.push(m[1] !== undefined ? JSON.stringify(JSON.parse(`"${m[1]}"`)) : m[2]!);
  return out;
}

export class ChartRenderer {
  readonly #defines = new Map<string, Node[]>();

  /** Renders every template of `chartDir/templates` (partials `_*` only define); file name -> output. */
  static renderChart(chartDir: string, ctx: RenderContext): Map<string, string> {
    const r = new ChartRenderer();
    const dir = join(chartDir, 'templates');
    const files = readdirSync(dir).sort();
    const parsed = files.map((f) => [f, parseTemplate(readFileSync(join(dir, f), 'utf8'), f)] as const);
    for (const [, nodes] of parsed) r.#collectDefines(nodes);
    const out = new Map<string, string>();
    for (const [f, nodes] of parsed) {
      if (f.startsWith('_')) continue;
      out.set(f, r.#render(nodes, ctx));
    }
    return out;
  }

  #collectDefines(nodes: readonly Node[]): void {
    for (const n of nodes) if (n.type === 'define') this.#defines.set(n.name, n.body);
  }

  #render(nodes: readonly Node[], dot: unknown): string {
    let out = '';
    for (const n of nodes) {
      if (n.type === 'text') out += n.text;
      else if (n.type === 'expr') out += printValue(this.#pipeline(n.expr, dot));
      else if (n.type === 'if') out += this.#render(truthy(this.#pipeline(n.cond, dot)) ? n.then : n.otherwise, dot);
    }
    return out;
  }

  #pipeline(expr: string, dot: unknown): unknown {
    const [head, ...rest] = expr.split('|').map((s) => s.trim());
    let value = this.#command(words(head!), dot, undefined);
    for (const seg of rest) value = this.#command(words(seg), dot, { value });
    return value;
  }

  #command(ws: readonly string[], dot: unknown, piped: { value: unknown } | undefined): unknown {
    const [fn, ...args] = ws;
    const arg = (i: number): unknown => (args[i] !== undefined ? this.#operand(args[i], dot) : undefined);
    const last = (): unknown => (piped ? piped.value : arg(args.length - 1));
    switch (fn) {
      case 'include': {
        const name = arg(0);
        const body = typeof name === 'string' ? this.#defines.get(name) : undefined;
        if (!body) throw new SubsetError(`include of unknown template ${String(name)}`);
        return this.#render(body, arg(1));
      }
      case 'toYaml':
        return toYaml(last());
      case 'quote':
        return JSON.stringify(printValue(last()));
      case 'nindent':
      case 'indent': {
        const n = Number(args[0]);
        const pad = ' '.repeat(n);
        const text = String(printValue(last())).split('\n').map((l) => pad + l).join('\n');
        return fn === 'nindent' ? `\n${text}` : text;
      }
      default:
        if (fn === undefined || args.length > 0 || piped) throw new SubsetError(`unsupported expression: ${ws.join(' ')}`);
        return this.#operand(fn, dot);
    }
  }

  #operand(word: string, dot: unknown): unknown {
    if (word.startsWith('"')) return JSON.parse(word) as string;
    if (/^-?\d+$/.test(word)) return Number(word);
    if (word === '.') return dot;
    if (!word.startsWith('.')) throw new SubsetError(`unsupported operand: ${word}`);
    let cur: unknown = dot;
    for (const key of word.slice(1).split('.')) {
      if (typeof cur !== 'object' || cur === null || !(key in cur)) throw new SubsetError(`missing value ${word}`);
      cur = (cur as Record<string, unknown>)[key];
    }
    return cur;
  }
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function printValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new SubsetError(`cannot print ${JSON.stringify(v)} (use toYaml)`);
}

function toYaml(v: unknown): string {
  return stringify(v, { sortMapEntries: true, lineWidth: 0 }).replace(/\n$/, '');
}

/** The chart's values.yaml merged with overrides (maps deep-merged, like helm --set/-f). */
export function chartValues(chartDir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  return merge(base, overrides);
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = isMap(cur) && isMap(v) ? merge(cur, v) : v;
  }
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
