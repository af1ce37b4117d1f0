import { test } from 'node:test';
import assert from 'node:assert/strict';

// Guards the project's runtime pin: every npm script must run on the pinned Node 24, never
// on the machine's end-of-life Node 20 (client-node 2.x and node:sqlite need it).
test('runs on the pinned Node 24 with node:sqlite available', async () => {
  const major = Number(process.versions.node.split('.')[0]);
  assert.equal(major, 24, `expected Node 24, got ${process.versions.node}`);
  const sqlite = await import('node:sqlite');
  const db = new sqlite.DatabaseSync(':memory:');
  const row = db.prepare('select 41 + 1 as v').get() as { v: number };
  assert.equal(row.v, 42);
  db.close();
});
