// Label and field selectors, as the Kubernetes API server parses and evaluates them
// (k8s.io/apimachinery pkg/labels and pkg/fields, v0.32).
//
// Guarantees:
// - `parseLabelSelector` accepts the same grammar as `labels.Parse`: `k=v`, `k==v`, `k!=v`,
//   `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`, comma = AND, blanks between tokens.
//   Keys and values are checked like `IsQualifiedName` / `IsValidLabelValue`, and every parse
//   error carries the real server's text (e.g. `unable to parse requirement: <nil>: Invalid
//   value: "a b": ...`, `found 'x', expected: ',' or 'end of string'`). Requirements are sorted by
//   key, like the real parser, so `String()`-like renderings are deterministic.
// - `parseFieldSelector` follows `fields.ParseSelector`: terms split on unescaped commas, the first
//   `!=`, `==` or `=` splits a term, values unescape `\,` `\=` `\\`. Like the real server, blanks
//   are NOT trimmed in field selectors.
// - `matchesFields` rejects field labels outside `supported` with the real message
//   `field label not supported: <label>` (the caller maps it to 400 BadRequest).
// Deviation: a parse error has no `field.Path` prefix beyond the real `<nil>` (the server passes
// none either); messages are byte-for-byte those of Kubernetes 1.32.

export class SelectorParseError extends Error {
  readonly kind = 'SelectorParse' as const;
  constructor(message: string) {
    super(message);
    this.name = 'SelectorParseError';
  }
}

export class FieldLabelNotSupportedError extends Error {
  readonly kind = 'FieldLabelNotSupported' as const;
  readonly label: string;
  constructor(label: string) {
    super(`field label not supported: ${label}`);
    this.name = 'FieldLabelNotSupportedError';
    this.label = label;
  }
}

export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** AND of requirements; an empty list matches everything. */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
}

export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
}

// ---------------------------------------------------------------------------------------------
// Label key / value syntax (k8s.io/apimachinery/pkg/util/validation, v0.32 texts)

const QNAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QNAME_RE = new RegExp(`^${QNAME_FMT}$`);
const QNAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QNAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

/** `validation.RegexError`: the message with examples and the regex. */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  const shown = examples.map((e) => `'${e}', `).join('or ');
  return `${msg} (e.g. ${shown}regex used for validation is '${fmt}')`;
}

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/** `validation.IsDNS1123Subdomain`: error strings, empty when valid. */
export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  }
  return errs;
}

/** `validation.IsQualifiedName` (label keys, annotation keys, finalizers). */
export function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  const errs: string[] = [];
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!QNAME_RE.test(name)) {
    errs.push(`name part ${regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

/** `validation.IsValidLabelValue`. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE_RE.test(value)) {
    errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

/** Go's %q for the strings that appear in these messages (JSON escaping is identical for them). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

function invalidKey(key: string, path: string): string | undefined {
  const errs = qualifiedNameErrors(key);
  return errs.length ? `${path}: Invalid value: ${goQuote(key)}: ${errs.join('; ')}` : undefined;
}

// ---------------------------------------------------------------------------------------------
// Lexer (same tokens as labels.Lexer)

type Tok =
  | 'error' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';

interface Item {
  tok: Tok;
  lit: string;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const SYMBOLS: Record<string, Tok> = {
  ')': ')', ',': ',', '!': '!', '==': '==', '=': '=', '>': '>', '<': '<', '!=': '!=', '(': '(',
};
const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function lexSymbol(s: string, start: number): [Item, number] {
  let buf = '';
  let last: Item | undefined;
  let i = start;
  while (i < s.length && SPECIAL.has(s[i] ?? '')) {
    buf += s[i];
    const tok = SYMBOLS[buf];
    if (tok) last = { tok, lit: buf };
    else if (last) break;
    i++;
  }
  if (!last) return [{ tok: 'error', lit: `error expected: keyword found '${buf}'` }, i];
  return [last, start + last.lit.length];
}

function lexWord(s: string, start: number): [Item, number] {
  let i = start;
  while (i < s.length && !SPECIAL.has(s[i] ?? '') && !isBlank(s[i] ?? '')) i++;
  const lit = s.slice(start, i);
  const tok: Tok = lit === 'in' ? 'in' : lit === 'notin' ? 'notin' : 'id';
  return [{ tok, lit }, i];
}

function lex(s: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isBlank(s[i] ?? '')) i++;
    if (i >= s.length) {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    const [item, next] = SPECIAL.has(s[i] ?? '') ? lexSymbol(s, i) : lexWord(s, i);
    items.push(item);
    i = next;
  }
}

// ---------------------------------------------------------------------------------------------
// Parser (labels.Parser: same decisions, same messages)

type Ctx = 'keyop' | 'values';

class LabelParser {
  private pos = 0;
  private readonly items: Item[];
  constructor(input: string) {
    this.items = lex(input);
  }

  private peek(ctx: Ctx): Item {
    const it = this.items[this.pos] ?? { tok: 'eos', lit: '' };
    return ctx === 'values' && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }

  private next(ctx: Ctx): Item {
    const it = this.peek(ctx);
    this.pos++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek('values');
      if (tok === 'eos') return reqs;
      if (tok !== 'id' && tok !== '!') {
        throw new SelectorParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
      reqs.push(this.requirement());
      const after = this.next('values');
      if (after.tok === 'eos') return reqs;
      if (after.tok !== ',') {
        throw new SelectorParseError(`found '${after.lit}', expected: ',' or 'end of string'`);
      }
      const following = this.peek('values');
      if (following.tok !== 'id' && following.tok !== '!') {
        throw new SelectorParseError(`found '${following.lit}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): LabelRequirement {
    const fail = (msg: string): never => {
      throw new SelectorParseError(`unable to parse requirement: ${msg}`);
    };
    let first = this.next('values');
    const negated = first.tok === '!';
    if (negated) first = this.next('values');
    if (first.tok !== 'id') return fail(`found '${first.lit}', expected: identifier`);
    const key = first.lit;
    const keyErr = invalidKey(key, '<nil>');
    if (keyErr) return fail(keyErr);
    const la = this.peek('values').tok;
    // `!key` is complete by itself; anything after it is rejected by the caller's loop.
    if (negated) return newRequirement(key, '!', []);
    if (la === 'eos' || la === ',') return newRequirement(key, 'exists', []);
    const op = this.operator();
    const values = op === 'in' || op === 'notin' ? this.setValues() : this.exactValue();
    return newRequirement(key, op, values);
  }

  private operator(): LabelOperator {
    const { tok, lit } = this.peek('keyop');
    const map: Partial<Record<Tok, LabelOperator>> = {
      in: 'in', notin: 'notin', '=': '=', '==': '==', '!=': '!=', '>': 'gt', '<': 'lt',
    };
    const op = map[tok];
    if (!op) throw new SelectorParseError(`unable to parse requirement: found '${lit}', expected: in, notin, =, ==, !=, gt, lt`);
    this.pos++;
    return op;
  }

  private setValues(): string[] {
    const fail = (msg: string): never => {
      throw new SelectorParseError(`unable to parse requirement: ${msg}`);
    };
    const open = this.next('values');
    if (open.tok !== '(') return fail(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.peek('values');
    if (tok === ')') {
      this.pos++;
      return [''];
    }
    if (tok !== 'id' && tok !== ',') return fail(`found '${lit}', expected: ',', ')' or identifier`);
    const values = this.identifierList();
    if (this.next('values').tok !== ')') return fail(`found '${lit}', expected: ')'`);
    return values;
  }

  /** labels.parseIdentifiersList: a possibly empty, comma separated list of possibly empty values. */
  private identifierList(): string[] {
    const set = new Set<string>();
    for (;;) {
      const { tok, lit } = this.next('values');
      if (tok === 'id') {
        set.add(lit);
        const la = this.peek('values');
        if (la.tok === ')') return [...set];
        if (la.tok !== ',') {
          throw new SelectorParseError(`unable to parse requirement: found '${la.lit}', expected: ',' or ')'`);
        }
        continue;
      }
      if (tok !== ',') {
        throw new SelectorParseError(`unable to parse requirement: found '${lit}', expected: ',', or identifier`);
      }
      if (set.size === 0) set.add('');
      const la = this.peek('values').tok;
      if (la === ')' || la === ',') set.add('');
      if (la === ')') return [...set];
    }
  }

  private exactValue(): string[] {
    const la = this.peek('values').tok;
    if (la === 'eos' || la === ',') return [''];
    const { tok, lit } = this.next('values');
    if (tok === 'id') return [lit];
    throw new SelectorParseError(`unable to parse requirement: found '${lit}', expected: identifier`);
  }
}

function newRequirement(key: string, operator: LabelOperator, unsorted: string[]): LabelRequirement {
  const values = [...unsorted].sort();
  const errs: string[] = [];
  if ((operator === 'gt' || operator === 'lt') && !/^[+-]?\d+$/.test(values[0] ?? '')) {
    errs.push(
      `values[0]: Invalid value: ${goQuote(values[0] ?? '')}: for 'Gt', 'Lt' operators, the value must be an integer`,
    );
  }
  values.forEach((v, i) => {
    const vErrs = labelValueErrors(v);
    if (vErrs.length) errs.push(`values[${i}][${key}]: Invalid value: ${goQuote(v)}: ${vErrs.join('; ')}`);
  });
  if (errs.length === 1) throw new SelectorParseError(`unable to parse requirement: ${errs[0]}`);
  if (errs.length > 1) throw new SelectorParseError(`unable to parse requirement: [${errs.join(', ')}]`);
  return { key, operator, values };
}

/** Parses a label selector string (the `labelSelector` query parameter). Empty selects all. */
export function parseLabelSelector(s: string): LabelSelector {
  const reqs = new LabelParser(s).parse();
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { requirements: reqs };
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case '=': case '==': case 'in':
      return has && r.values.includes(value ?? '');
    case '!=': case 'notin':
      return !has || !r.values.includes(value ?? '');
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt': case 'lt':
      return value !== undefined && compareInteger(r.operator, value, r.values[0] ?? '');
  }
}

function compareInteger(op: 'gt' | 'lt', value: string, bound: string): boolean {
  if (!/^[+-]?\d+$/.test(value) || !/^[+-]?\d+$/.test(bound)) return false;
  return op === 'gt' ? BigInt(value) > BigInt(bound) : BigInt(value) < BigInt(bound);
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const ls = labels ?? {};
  return sel.requirements.every((r) => requirementMatches(r, ls));
}

/** Renders a selector the way `labels.Selector.String()` does (sorted keys, sorted set values). */
export function labelSelectorToString(sel: LabelSelector): string {
  return sel.requirements
    .map((r) => {
      switch (r.operator) {
        case 'exists': return r.key;
        case '!': return `!${r.key}`;
        case 'in': case 'notin': return `${r.key} ${r.operator} (${r.values.join(',')})`;
        case 'gt': return `${r.key}>${r.values[0] ?? ''}`;
        case 'lt': return `${r.key}<${r.values[0] ?? ''}`;
        default: return `${r.key}${r.operator}${r.values[0] ?? ''}`;
      }
    })
    .join(',');
}

// ---------------------------------------------------------------------------------------------
// metav1.LabelSelector (matchLabels / matchExpressions), as metav1.LabelSelectorAsSelector

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

const EXPRESSION_OPS: Record<string, LabelOperator> = {
  In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!',
};

/**
 * Converts a `metav1.LabelSelector` object into a selector. Like the real conversion an
 * empty object selects everything; an unknown operator throws `"<op>" is not a valid label
 * selector operator`.
 */
export function labelSelectorFromObject(ls: LabelSelectorObject): LabelSelector {
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(ls.matchLabels ?? {})) {
    reqs.push(checkedRequirement(key, '=', [value]));
  }
  for (const expr of ls.matchExpressions ?? []) {
    const op = EXPRESSION_OPS[expr.operator];
    if (!op) throw new SelectorParseError(`${goQuote(expr.operator)} is not a valid label selector operator`);
    reqs.push(checkedRequirement(expr.key, op, expr.values ?? []));
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { requirements: reqs };
}

function checkedRequirement(key: string, op: LabelOperator, values: string[]): LabelRequirement {
  const keyErr = invalidKey(key, 'key');
  if (keyErr) throw new SelectorParseError(keyErr);
  if ((op === 'in' || op === 'notin') && values.length === 0) {
    throw new SelectorParseError(`values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`);
  }
  if ((op === 'exists' || op === '!') && values.length > 0) {
    throw new SelectorParseError(
      `values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`,
    );
  }
  return newRequirement(key, op, values);
}

// ---------------------------------------------------------------------------------------------
// Field selectors

function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

function splitTerm(term: string): [string, '!=' | '==' | '=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new SelectorParseError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Go prints the rune with %v, i.e. its code point.
      throw new SelectorParseError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new SelectorParseError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Parses a field selector string (the `fieldSelector` query parameter). Empty selects all. */
export function parseFieldSelector(s: string): FieldSelector {
  const reqs: FieldRequirement[] = [];
  for (const part of splitTerms(s).sort()) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw new SelectorParseError(`invalid selector: '${s}'; can't understand '${part}'`);
    const [field, op, rhs] = split;
    reqs.push({ field, operator: op === '!=' ? '!=' : '=', value: unescapeValue(rhs) });
  }
  return { requirements: reqs };
}

/** Throws `FieldLabelNotSupportedError` for the first label outside `supported`. */
export function checkFieldSelector(sel: FieldSelector, supported: readonly string[]): void {
  for (const r of sel.requirements) {
    if (!supported.includes(r.field)) throw new FieldLabelNotSupportedError(r.field);
  }
}

function fieldValue(obj: Record<string, unknown>, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return JSON.stringify(cur);
}

/**
 * Evaluates a field selector against an object. Field values are read by dotted path; a
 * missing field reads as "" (so `metadata.namespace=` selects cluster-scoped objects, as in
 * Kubernetes). Throws `FieldLabelNotSupportedError` for labels outside `supported`.
 */
export function matchesFields(
  sel: FieldSelector,
  obj: Record<string, unknown>,
  supported: readonly string[] = ['metadata.name', 'metadata.namespace'],
): boolean {
  checkFieldSelector(sel, supported);
  return sel.requirements.every((r) => (fieldValue(obj, r.field) === r.value) === (r.operator === '='));
}
