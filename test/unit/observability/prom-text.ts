// A strict reader of the Prometheus text exposition format (version 0.0.4) for tests: samples
// keyed by `name{label="value",...}` with labels sorted, plus the TYPE of each family. It
// throws on any line it cannot read, so a malformed scrape fails the test.
export interface Scrape {
  readonly samples: ReadonlyMap<string, number>;
  readonly types: ReadonlyMap<string, string>;
  /** The value of one sample; undefined when the series is absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every series of a metric name, as label maps. */
  series(name: string): Record<string, string>[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

export function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels in: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

/** Go's ParseFloat spellings, which Prometheus accepts: NaN and Inf in any case. */
function sampleValue(text: string, line: string): number {
  if (/^nan$/i.test(text)) return Number.NaN;
  if (/^[+-]?inf$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new Error(`bad sample value in: ${line}`);
  return n;
}

export function parseScrape(text: string): Scrape {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const byName = new Map<string, Record<string, string>[]>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels = m[2] ? parseLabels(m[2], line) : {};
    const key = sampleKey(m[1]!, labels);
    if (samples.has(key)) throw new Error(`duplicate series ${key}`);
    samples.set(key, sampleValue(m[3]!, line));
    byName.set(m[1]!, [...(byName.get(m[1]!) ?? []), labels]);
  }
  return {
    samples,
    types,
    value: (name, labels) => samples.get(sampleKey(name, labels)),
    series: (name) => byName.get(name) ?? [],
  };
}
