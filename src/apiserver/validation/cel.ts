// A small, safe CEL subset for `x-kubernetes-validations` rules: a hand-written lexer, a
// recursive-descent parser to an AST, and a tree-walking evaluator over JSON values. No `eval`,
// no `Function`, no prototype access: member selection only reads own properties of plain
// objects, and evaluation is bounded by a step budget (the real server's cost budget stands in).
//
// Supported: literals (int, double, string with escapes, bool, null, lists `[..]`, maps `{..}`);
// variables `self`, `oldSelf` and macro variables; `.field`, `[index]`, `['key']`; operators
// `! - * / % + - < <= > >= == != in && || ?:`; functions `has(x.f)`, `size(x)`/`x.size()`,
// `int()`, `double()`, `string()`, `x.startsWith()`, `x.endsWith()`, `x.contains()`,
// `x.matches()` (RE2 via ./regex.ts), `x.lowerAscii()`, `x.upperAscii()`, `x.trim()`; macros
// `all`, `exists`, `exists_one`, `map`, `filter`. `&&`/`||` absorb errors like CEL (`false && err`
// is false). Runtime errors use CEL's texts: `no such key: x`, `index out of bounds: 3`,
// `division by zero`, `no such overload`.
//
// Deviations from cel-go (documented, enforced at CRD creation by ./structural.ts, which rejects
// any rule this module cannot parse): no static type checking (a rule naming a field the schema
// lacks fails at runtime with `no such key` instead of at CRD creation); int and double are one
// number type (`1 == 1.0` is true, `5 / 2` is 2 only when both operands are integral); no
// uint/bytes/duration/timestamp/optional types, no extension libraries (lists, sets, quantity,
// url, ip, format), no `optionalOldSelf` rules.
import { compilePattern } from './regex.ts';
import { deepEqual, isObject } from './types.ts';

export class CelCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelCompileError';
  }
}

export class CelEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelEvalError';
  }
}

type MacroKind = 'all' | 'exists' | 'exists_one' | 'map' | 'filter';

export type CelNode =
  | { t: 'lit'; v: unknown }
  | { t: 'ident'; name: string }
  | { t: 'select'; obj: CelNode; field: string }
  | { t: 'index'; obj: CelNode; idx: CelNode }
  | { t: 'has'; obj: CelNode; field: string }
  | { t: 'call'; fn: string; target: CelNode | undefined; args: CelNode[] }
  | { t: 'macro'; kind: MacroKind; target: CelNode; v: string; body: CelNode }
  | { t: 'unary'; op: '!' | '-'; x: CelNode }
  | { t: 'binary'; op: string; l: CelNode; r: CelNode }
  | { t: 'cond'; c: CelNode; a: CelNode; b: CelNode }
  | { t: 'list'; items: CelNode[] }
  | { t: 'map'; entries: Array<[CelNode, CelNode]> };

export interface CompiledRule {
  readonly ast: CelNode;
  readonly usesOldSelf: boolean;
}

// ---------------------------------------------------------------------------------------------
// Lexer

interface Token {
  k: 'num' | 'str' | 'id' | 'op' | 'eof';
  v: string;
  num?: number;
  pos: number;
}

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '+', '-', '*', '/', '%', '?', ':', '.', ',', '(', ')', '[', ']', '{', '}'];
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '`': '`', '?': '?', a: '\x07', b: '\b', f: '\f', v: '\v' };

function syntaxError(pos: number, detail: string): CelCompileError {
  return new CelCompileError(`ERROR: <input>:1:${pos + 1}: Syntax error: ${detail}`);
}

function lexString(src: string, start: number): [Token, number] {
  const quote = src[start] ?? '';
  let out = '';
  let i = start + 1;
  while (i < src.length && src[i] !== quote) {
    const c = src[i] ?? '';
    if (c === '\\') {
      const e = ESCAPES[src[i + 1] ?? ''];
      if (e === undefined) throw syntaxError(i, `invalid escape sequence \\${src[i + 1] ?? ''}`);
      out += e;
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  if (i >= src.length) throw syntaxError(start, 'unterminated string literal');
  return [{ k: 'str', v: out, pos: start }, i + 1];
}

function lexNumber(src: string, start: number): [Token, number] {
  const m = /^(\d+\.\d+([eE][+-]?\d+)?|\d+[eE][+-]?\d+|0x[0-9a-fA-F]+|\d+)[uU]?/.exec(src.slice(start));
  const text = m?.[0] ?? '';
  return [{ k: 'num', v: text, num: Number(text.replace(/[uU]$/, '')), pos: start }, start + text.length];
}

function lexOne(src: string, i: number): [Token, number] {
  const c = src[i] ?? '';
  if (c === '"' || c === "'") return lexString(src, i);
  if (/\d/.test(c)) return lexNumber(src, i);
  const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
  if (id) return [{ k: 'id', v: id[0], pos: i }, i + id[0].length];
  const op = OPS.find((o) => src.startsWith(o, i));
  if (!op) throw syntaxError(i, `token recognition error at: '${c}'`);
  return [{ k: 'op', v: op, pos: i }, i + op.length];
}

function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    if (/\s/.test(src[i] ?? '')) {
      i++;
      continue;
    }
    const [tok, next] = lexOne(src, i);
    out.push(tok);
    i = next;
  }
  out.push({ k: 'eof', v: '<EOF>', pos: src.length });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parser

const MACROS = new Set<string>(['all', 'exists', 'exists_one', 'map', 'filter']);
const GLOBAL_FUNCS = new Set(['size', 'int', 'double', 'string', 'matches']);
const METHODS = new Set(['size', 'startsWith', 'endsWith', 'contains', 'matches', 'lowerAscii', 'upperAscii', 'trim']);
const REL_OPS = new Set(['==', '!=', '<', '<=', '>', '>=', 'in']);

class Parser {
  private i = 0;
  private readonly toks: Token[];
  private readonly scope: string[] = [];
  usesOldSelf = false;

  constructor(src: string) {
    this.toks = lex(src);
  }

  private get cur(): Token {
    return this.toks[this.i] ?? { k: 'eof', v: '<EOF>', pos: 0 };
  }

  private isOp(v: string): boolean {
    return this.cur.k === 'op' && this.cur.v === v;
  }

  private expect(v: string): void {
    if (!this.isOp(v)) throw syntaxError(this.cur.pos, `mismatched input '${this.cur.v}' expecting '${v}'`);
    this.i++;
  }

  parseAll(): CelNode {
    const n = this.expr();
    if (this.cur.k !== 'eof') throw syntaxError(this.cur.pos, `extraneous input '${this.cur.v}'`);
    return n;
  }

  private expr(): CelNode {
    const c = this.binary(0);
    if (!this.isOp('?')) return c;
    this.i++;
    const a = this.binary(0);
    this.expect(':');
    return { t: 'cond', c, a, b: this.expr() };
  }

  private static readonly LEVELS: ReadonlyArray<ReadonlySet<string>> = [
    new Set(['||']), new Set(['&&']), REL_OPS, new Set(['+', '-']), new Set(['*', '/', '%']),
  ];

  private binary(level: number): CelNode {
    const ops = Parser.LEVELS[level];
    if (!ops) return this.unary();
    let l = this.binary(level + 1);
    while ((this.cur.k === 'op' || (this.cur.k === 'id' && this.cur.v === 'in')) && ops.has(this.cur.v)) {
      const op = this.cur.v;
      this.i++;
      l = { t: 'binary', op, l, r: this.binary(level + 1) };
      if (level === 2) break; // relations do not chain in CEL
    }
    return l;
  }

  private unary(): CelNode {
    if (this.isOp('!') || this.isOp('-')) {
      const op = this.cur.v as '!' | '-';
      this.i++;
      const x = this.unary();
      if (op === '-' && x.t === 'lit' && typeof x.v === 'number') return { t: 'lit', v: -x.v };
      return { t: 'unary', op, x };
    }
    return this.member(this.primary());
  }

  private member(base: CelNode): CelNode {
    let n = base;
    for (;;) {
      if (this.isOp('.')) {
        this.i++;
        n = this.selectOrMethod(n);
      } else if (this.isOp('[')) {
        this.i++;
        const idx = this.expr();
        this.expect(']');
        n = { t: 'index', obj: n, idx };
      } else {
        return n;
      }
    }
  }

  private ident(): string {
    const tok = this.cur;
    if (tok.k !== 'id') throw syntaxError(tok.pos, `mismatched input '${tok.v}' expecting IDENTIFIER`);
    this.i++;
    return tok.v;
  }

  private selectOrMethod(target: CelNode): CelNode {
    const pos = this.cur.pos;
    const name = this.ident();
    if (!this.isOp('(')) return { t: 'select', obj: target, field: name };
    this.i++;
    if (MACROS.has(name)) return this.macro(name as MacroKind, target);
    if (!METHODS.has(name)) throw new CelCompileError(`ERROR: <input>:1:${pos + 1}: undeclared reference to '${name}'`);
    return { t: 'call', fn: name, target, args: this.args(')') };
  }

  private macro(kind: MacroKind, target: CelNode): CelNode {
    const v = this.ident();
    this.expect(',');
    this.scope.push(v);
    const body = this.expr();
    this.scope.pop();
    this.expect(')');
    return { t: 'macro', kind, target, v, body };
  }

  private args(close: string): CelNode[] {
    const out: CelNode[] = [];
    while (!this.isOp(close)) {
      out.push(this.expr());
      if (!this.isOp(close)) this.expect(',');
    }
    this.i++;
    return out;
  }

  private primary(): CelNode {
    const tok = this.cur;
    if (tok.k === 'num') {
      this.i++;
      return { t: 'lit', v: tok.num };
    }
    if (tok.k === 'str') {
      this.i++;
      return { t: 'lit', v: tok.v };
    }
    if (this.isOp('(')) {
      this.i++;
      const e = this.expr();
      this.expect(')');
      return e;
    }
    if (this.isOp('[')) {
      this.i++;
      return { t: 'list', items: this.args(']') };
    }
    if (this.isOp('{')) {
      this.i++;
      return this.mapLiteral();
    }
    if (tok.k === 'id') return this.identifier();
    throw syntaxError(tok.pos, `mismatched input '${tok.v}' expecting expression`);
  }

  private mapLiteral(): CelNode {
    const entries: Array<[CelNode, CelNode]> = [];
    while (!this.isOp('}')) {
      const k = this.expr();
      this.expect(':');
      entries.push([k, this.expr()]);
      if (!this.isOp('}')) this.expect(',');
    }
    this.i++;
    return { t: 'map', entries };
  }

  private identifier(): CelNode {
    const tok = this.cur;
    this.i++;
    const literals: Record<string, unknown> = { true: true, false: false, null: null };
    if (Object.hasOwn(literals, tok.v)) return { t: 'lit', v: literals[tok.v] };
    if (this.isOp('(')) {
      this.i++;
      return this.globalCall(tok);
    }
    if (tok.v === 'oldSelf') this.usesOldSelf = true;
    if (tok.v !== 'self' && tok.v !== 'oldSelf' && !this.scope.includes(tok.v)) {
      throw new CelCompileError(`ERROR: <input>:1:${tok.pos + 1}: undeclared reference to '${tok.v}' (in container '')`);
    }
    return { t: 'ident', name: tok.v };
  }

  private globalCall(tok: Token): CelNode {
    if (tok.v === 'has') {
      const arg = this.expr();
      this.expect(')');
      if (arg.t !== 'select') throw new CelCompileError(`ERROR: <input>:1:${tok.pos + 1}: invalid argument to has() macro`);
      return { t: 'has', obj: arg.obj, field: arg.field };
    }
    if (!GLOBAL_FUNCS.has(tok.v)) {
      throw new CelCompileError(`ERROR: <input>:1:${tok.pos + 1}: undeclared reference to '${tok.v}' (in container '')`);
    }
    return { t: 'call', fn: tok.v, target: undefined, args: this.args(')') };
  }
}

const compiled = new Map<string, CompiledRule | CelCompileError>();

/** Parses a rule (cached); throws `CelCompileError` with a cel-go-like `ERROR: <input>:1:N: ...`. */
export function compileRule(rule: string): CompiledRule {
  const hit = compiled.get(rule);
  if (hit instanceof CelCompileError) throw hit;
  if (hit) return hit;
  try {
    const p = new Parser(rule);
    const result: CompiledRule = { ast: p.parseAll(), usesOldSelf: p.usesOldSelf };
    compiled.set(rule, result);
    return result;
  } catch (err) {
    if (err instanceof CelCompileError) compiled.set(rule, err);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluator

type Env = ReadonlyMap<string, unknown>;

const overload = (): CelEvalError => new CelEvalError('no such overload');

interface Ctx {
  steps: number;
}

const MAX_STEPS = 1_000_000;

function tick(ctx: Ctx): void {
  if (++ctx.steps > MAX_STEPS) throw new CelEvalError('operation cancelled: actual cost limit exceeded');
}

function selectField(obj: unknown, field: string): unknown {
  if (!isObject(obj)) throw overload();
  if (!Object.hasOwn(obj, field)) throw new CelEvalError(`no such key: ${field}`);
  return obj[field];
}

function indexValue(obj: unknown, idx: unknown): unknown {
  if (Array.isArray(obj)) {
    if (typeof idx !== 'number' || !Number.isInteger(idx)) throw overload();
    if (idx < 0 || idx >= obj.length) throw new CelEvalError(`index out of bounds: ${idx}`);
    return obj[idx];
  }
  if (isObject(obj)) {
    if (typeof idx !== 'string') throw overload();
    if (!Object.hasOwn(obj, idx)) throw new CelEvalError(`no such key: ${idx}`);
    return obj[idx];
  }
  throw overload();
}

function sizeOf(v: unknown): number {
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  throw overload();
}

function toStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw overload();
}

function toInt(v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v)) return Number(v);
  if (typeof v === 'string') throw new CelEvalError(`cannot convert "${v}" to int`);
  throw overload();
}

function str(v: unknown): string {
  if (typeof v !== 'string') throw overload();
  return v;
}

function callFn(fn: string, target: unknown, args: unknown[]): unknown {
  const [a0] = args;
  switch (fn) {
    case 'size': return sizeOf(args.length ? a0 : target);
    case 'int': return toInt(a0);
    case 'double': return typeof a0 === 'number' ? a0 : Number(str(a0));
    case 'string': return toStr(a0);
    case 'startsWith': return str(target).startsWith(str(a0));
    case 'endsWith': return str(target).endsWith(str(a0));
    case 'contains': return str(target).includes(str(a0));
    case 'lowerAscii': return str(target).replace(/[A-Z]/g, (c) => c.toLowerCase());
    case 'upperAscii': return str(target).replace(/[a-z]/g, (c) => c.toUpperCase());
    case 'trim': return str(target).trim();
    case 'matches': {
      const [s, re] = target === undefined ? [a0, args[1]] : [target, a0];
      return compilePattern(str(re)).test(str(s));
    }
    default: throw overload();
  }
}

function lessThan(l: unknown, r: unknown): boolean {
  if (typeof l === 'number' && typeof r === 'number') return l < r;
  if (typeof l === 'string' && typeof r === 'string') return l < r;
  if (typeof l === 'boolean' && typeof r === 'boolean') return !l && r;
  throw overload();
}

function compare(op: string, l: unknown, r: unknown): boolean {
  switch (op) {
    case '<': return lessThan(l, r);
    case '<=': return !lessThan(r, l);
    case '>': return lessThan(r, l);
    default: return !lessThan(l, r);
  }
}

function arith(op: string, l: unknown, r: unknown): unknown {
  if (op === '+' && typeof l === 'string' && typeof r === 'string') return l + r;
  if (op === '+' && Array.isArray(l) && Array.isArray(r)) return [...(l as unknown[]), ...(r as unknown[])];
  if (typeof l !== 'number' || typeof r !== 'number') throw overload();
  const ints = Number.isInteger(l) && Number.isInteger(r);
  switch (op) {
    case '+': return l + r;
    case '-': return l - r;
    case '*': return l * r;
    case '/':
      if (ints && r === 0) throw new CelEvalError('division by zero');
      return ints ? Math.trunc(l / r) : l / r;
    default:
      if (ints && r === 0) throw new CelEvalError('modulus by zero');
      return l % r;
  }
}

function contains(container: unknown, v: unknown): boolean {
  if (Array.isArray(container)) return container.some((x) => deepEqual(x, v));
  if (isObject(container)) return typeof v === 'string' && Object.hasOwn(container, v);
  throw overload();
}

class Evaluator {
  private readonly ctx: Ctx = { steps: 0 };

  eval(n: CelNode, env: Env): unknown {
    tick(this.ctx);
    switch (n.t) {
      case 'lit': return n.v;
      case 'ident': return env.get(n.name);
      case 'select': return selectField(this.eval(n.obj, env), n.field);
      case 'index': return indexValue(this.eval(n.obj, env), this.eval(n.idx, env));
      case 'has': {
        const obj = this.eval(n.obj, env);
        if (!isObject(obj)) throw overload();
        return Object.hasOwn(obj, n.field);
      }
      case 'call': {
        const target = n.target ? this.eval(n.target, env) : undefined;
        return callFn(n.fn, target, n.args.map((a) => this.eval(a, env)));
      }
      case 'macro': return this.macro(n, env);
      case 'unary': return this.unary(n.op, this.eval(n.x, env));
      case 'binary': return this.binary(n, env);
      case 'cond': {
        const c = this.eval(n.c, env);
        if (typeof c !== 'boolean') throw overload();
        return this.eval(c ? n.a : n.b, env);
      }
      case 'list': return n.items.map((i) => this.eval(i, env));
      case 'map': return this.mapLiteral(n.entries, env);
    }
  }

  private mapLiteral(entries: Array<[CelNode, CelNode]>, env: Env): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) out[str(this.eval(k, env))] = this.eval(v, env);
    return out;
  }

  private unary(op: '!' | '-', x: unknown): unknown {
    if (op === '!') {
      if (typeof x !== 'boolean') throw overload();
      return !x;
    }
    if (typeof x !== 'number') throw overload();
    return -x;
  }

  private logical(n: { op: string; l: CelNode; r: CelNode }, env: Env): boolean {
    const absorbing = n.op === '||';
    let leftErr: Error | undefined;
    let l: unknown;
    try {
      l = this.eval(n.l, env);
      if (typeof l !== 'boolean') throw overload();
      if (l === absorbing) return l;
    } catch (err) {
      leftErr = err instanceof Error ? err : new CelEvalError(String(err));
    }
    const r = this.eval(n.r, env);
    if (typeof r !== 'boolean') throw overload();
    if (r === absorbing) return r;
    if (leftErr !== undefined) throw leftErr;
    return r;
  }

  private binary(n: { op: string; l: CelNode; r: CelNode }, env: Env): unknown {
    if (n.op === '&&' || n.op === '||') return this.logical(n, env);
    const l = this.eval(n.l, env);
    const r = this.eval(n.r, env);
    switch (n.op) {
      case '==': return deepEqual(l, r);
      case '!=': return !deepEqual(l, r);
      case 'in': return contains(r, l);
      case '<': case '<=': case '>': case '>=': return compare(n.op, l, r);
      default: return arith(n.op, l, r);
    }
  }

  private macro(n: Extract<CelNode, { t: 'macro' }>, env: Env): unknown {
    const target = this.eval(n.target, env);
    const elems = Array.isArray(target) ? target : isObject(target) ? Object.keys(target) : undefined;
    if (!elems) throw overload();
    const run = (e: unknown): unknown => this.eval(n.body, new Map([...env, [n.v, e]]));
    const bool = (e: unknown): boolean => {
      const b = run(e);
      if (typeof b !== 'boolean') throw overload();
      return b;
    };
    switch (n.kind) {
      case 'map': return elems.map(run);
      case 'filter': return elems.filter(bool);
      case 'exists_one': return elems.filter(bool).length === 1;
      default: return this.quantifier(n.kind === 'all', elems, bool);
    }
  }

  private quantifier(all: boolean, elems: unknown[], pred: (e: unknown) => boolean): boolean {
    let firstErr: Error | undefined;
    for (const e of elems) {
      try {
        if (pred(e) !== all) return !all;
      } catch (err) {
        firstErr ??= err instanceof Error ? err : new CelEvalError(String(err));
      }
    }
    if (firstErr !== undefined) throw firstErr;
    return all;
  }
}

/** Evaluates a compiled rule with `self` (and `oldSelf` when given). Throws `CelEvalError`. */
export function evaluateRule(rule: CompiledRule, self: unknown, oldSelf?: { value: unknown }): unknown {
  const env = new Map<string, unknown>([['self', self]]);
  if (oldSelf) env.set('oldSelf', oldSelf.value);
  try {
    return new Evaluator().eval(rule.ast, env);
  } catch (err) {
    if (err instanceof CelEvalError) throw err;
    if (err instanceof Error && err.name === 'PatternError') throw new CelEvalError(err.message);
    throw err;
  }
}
