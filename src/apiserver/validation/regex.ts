// Go RE2 `pattern`s (as kube-openapi compiles them with regexp.Compile) run on JavaScript RegExp.
//
// Guarantees: patterns RE2 rejects because they need backtracking (look-around `(?=` `(?!`
// `(?<=` `(?<!`, backreferences `\1`..`\9`, possessive/atomic groups) are rejected here too, with
// a Go-like message, so a CRD cannot carry a pattern the real server would refuse. RE2-only
// syntax is translated: leading flag groups `(?i)` `(?s)` `(?m)` `(?U)`-free subsets become
// RegExp flags, `\A` → `^`, `\z` → `$`, POSIX classes `[[:alpha:]]` etc. inside brackets,
// `\pL`/`\PL` → `\p{L}`/`\P{L}`, and `(?P<name>` → `(?<name>`. Matching uses the `u` flag so
// `.` and classes work on code points, as RE2 works on UTF-8 runes.
// Deviations: flag groups in the middle of a pattern (`a(?i)b`) and `\C`, `\Q...\E` are rejected
// as unsupported rather than honoured; RE2 leftmost-first semantics equal JS for matching tests.

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

const cache = new Map<string, RegExp | PatternError>();

function leadingFlags(pattern: string): [string, string] {
  const m = /^\(\?([imsU]+)\)/.exec(pattern);
  if (!m) return ['', pattern];
  const flags = m[1] ?? '';
  if (flags.includes('U')) throw new PatternError('invalid or unsupported Perl syntax: `(?U`');
  return [flags.replace(/[^ims]/g, ''), pattern.slice(m[0].length)];
}

function rejectUnsupported(p: string): void {
  // Structural checks look at the pattern with every escaped character neutralised, escape
  // checks at the pattern with escaped backslashes removed.
  const bare = p.replace(/\\./gs, '_');
  const escapes = p.replace(/\\\\/g, '');
  const checks: Array<[string, RegExp, (m: string) => string]> = [
    [bare, /\(\?<?[=!]/, (m) => `invalid or unsupported Perl syntax: \`${m}\``],
    [bare, /\(\?>/, (m) => `invalid or unsupported Perl syntax: \`${m}\``],
    [bare, /.\(\?[imsU-]+[):]/, () => 'invalid or unsupported Perl syntax: flag groups are only supported at the start of the pattern'],
    [bare, /[*+?}][+]/, (m) => `invalid nested repetition operator: \`${m}\``],
    [escapes, /\\[1-9CQE]/, (m) => `invalid escape sequence: \`${m}\``],
  ];
  for (const [text, re, msg] of checks) {
    const m = re.exec(text);
    if (m) throw new PatternError(msg(m[0]));
  }
}

function translate(p: string): string {
  return p
    .replace(/\(\?P</g, '(?<')
    .replace(/\[:(\^?)([a-z]+):\]/g, (all: string, neg: string, name: string) => {
      const cls = POSIX[name];
      if (!cls) throw new PatternError(`invalid character class range: \`${all}\``);
      if (neg) throw new PatternError(`invalid character class range: \`${all}\` (negated POSIX classes are unsupported)`);
      return cls;
    })
    .replace(/(^|[^\\])((?:\\\\)*)\\A/g, '$1$2^')
    .replace(/(^|[^\\])((?:\\\\)*)\\z/g, '$1$2$(?![\\s\\S])')
    .replace(/\\([pP])([A-Za-z])/g, '\\$1{$2}');
}

/** Compiles a schema `pattern`; throws `PatternError` with the reason RE2 (or this port) refuses it. */
export function compilePattern(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit instanceof RegExp) return hit;
  if (hit) throw hit;
  try {
    const [flags, body] = leadingFlags(pattern);
    rejectUnsupported(body);
    const re = new RegExp(translate(body), `${flags}u`);
    cache.set(pattern, re);
    return re;
  } catch (err) {
    const e = err instanceof PatternError ? err : new PatternError(`error parsing regexp: ${(err as Error).message}`);
    cache.set(pattern, e);
    throw e;
  }
}
