// docs/architecture.md carries the Polecat situation table for newcomers; this keeps it
// honest: the same situations, in the same order, as the classifier's own header table and
// its Situation union (src/controllers/polecat/situation.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = `${import.meta.dirname}/../../..`;
const source = readFileSync(`${root}/src/controllers/polecat/situation.ts`, 'utf8');
const doc = readFileSync(`${root}/docs/architecture.md`, 'utf8');

/** Kinds of the `export type Situation =` union, in declaration order. */
function unionKinds(): string[] {
  const start = source.indexOf('export type Situation =');
  const end = source.indexOf(';\n', start);
  return [...source.slice(start, end).matchAll(/kind: '([a-z-]+)'/g)].map((m) => m[1]!);
}

/** First cells of the header comment's table rows (`//   kind | when | decision`). */
function headerKinds(): string[] {
  return [...source.matchAll(/^\/\/ {3}([a-z-]+) +\|/gm)].map((m) => m[1]!).filter((k) => k !== 'kind');
}

/** First cells of the doc's situation table (`| \`kind\` | ... |`). */
function docKinds(): string[] {
  return [...doc.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!);
}

test('the situation table of docs/architecture.md lists the classifier situations in its order', () => {
  const header = headerKinds();
  assert.ok(header.length >= 10, `found the header table (${header.length} rows)`);
  assert.deepEqual(docKinds(), header);
  assert.deepEqual([...unionKinds()].sort(), [...header].sort(), 'the header table names every Situation kind');
});
