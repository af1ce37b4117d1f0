// Unit tests of the server's pure parts: change history (resume, compaction, rewind), the
// object store over SQLite (atomic batches, versions after reload), routing, negotiation,
// merge patch, server-side apply ownership, and the self-signed certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ApiError } from '../../../src/apiserver/errors.ts';
import { negotiateOutput } from '../../../src/apiserver/http/negotiate.ts';
import { route } from '../../../src/apiserver/http/router.ts';
import { serverSideApply } from '../../../src/apiserver/patch/apply.ts';
import { applyMergePatch } from '../../../src/apiserver/patch/merge.ts';
import { compareVersionPriority } from '../../../src/apiserver/registry/versions.ts';
import { SqlitePersistence } from '../../../src/apiserver/storage/sqlite.ts';
import { ObjectStore } from '../../../src/apiserver/store.ts';
import { generateServingCert } from '../../../src/apiserver/tls.ts';
import { ChangeHistory } from '../../../src/apiserver/watch/history.ts';
import { WatchHub } from '../../../src/apiserver/watch/hub.ts';

const cm = (name: string, v: string): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'd' }, data: { v } });

test('history: covers, since, compaction and rewind to an older version', () => {
  const h = new ChangeHistory(3, 10);
  const change = (version: number, type: 'ADDED' | 'MODIFIED' | 'DELETED', name: string, prev?: Record<string, unknown>) =>
    ({ type, version, key: '/configmaps', namespace: 'd', name, object: cm(name, String(version)), prev });
  h.append(change(11, 'ADDED', 'a'));
  h.append(change(12, 'MODIFIED', 'a', cm('a', '11')));
  h.append(change(13, 'ADDED', 'b'));
  assert.ok(h.covers(10));
  assert.deepEqual(h.since(11).map((c) => c.version), [12, 13]);
  h.append(change(14, 'DELETED', 'a', cm('a', '12')));
  assert.equal(h.compactedVersion, 11);
  assert.ok(!h.covers(10));
  assert.ok(h.covers(11));
  const now = new Map([['d/b', cm('b', '13')]]);
  const at12 = h.rewind(now, '/configmaps', undefined, 12);
  assert.deepEqual([...at12.keys()], ['d/a']);
  assert.deepEqual(at12.get('d/a'), cm('a', '12'));
});

test('SQLite: a database of the first schema (objects WITHOUT ROWID) is converted on open, every row and version kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-schema-'));
  try {
    const old = new DatabaseSync(join(dir, 'apiserver.db'));
    old.exec('PRAGMA journal_mode=WAL;');
    old.exec('CREATE TABLE objects (key TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (key, namespace, name)) WITHOUT ROWID;');
    old.exec('CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;');
    const insert = old.prepare('INSERT INTO objects VALUES (?, ?, ?, ?, ?)');
    insert.run('/configmaps', 'd', 'a', 7, JSON.stringify({ ...cm('a', '1'), metadata: { name: 'a', namespace: 'd', resourceVersion: '7' } }));
    insert.run('/configmaps', 'd', 'b', 9, JSON.stringify({ ...cm('b', '2'), metadata: { name: 'b', namespace: 'd', resourceVersion: '9' } }));
    old.prepare('INSERT INTO meta VALUES (?, ?)').run('lastVersion', '12');
    old.close();

    const p = new SqlitePersistence(dir);
    const store = new ObjectStore(p, new WatchHub(), 100);
    assert.equal(store.version, 12);
    assert.equal((store.get('/configmaps', 'd', 'b')?.data as Record<string, unknown>).v, '2');
    store.apply([{ key: '/configmaps', namespace: 'd', name: 'a', object: cm('a', 'changed') }]);
    p.close();
    const check = new DatabaseSync(join(dir, 'apiserver.db'));
    const sql = (check.prepare("SELECT sql FROM sqlite_master WHERE name = 'objects'").get() as { sql: string }).sql;
    const rows = check.prepare('SELECT name, version FROM objects ORDER BY name').all();
    check.close();
    assert.doesNotMatch(sql, /WITHOUT ROWID/i);
    assert.deepEqual(rows.map((r) => `${String(r.name)}@${String(r.version)}`), ['a@13', 'b@9'], 'rows kept, the upsert updates in place');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('store over SQLite: atomic batches, one version per change, versions survive reload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-'));
  try {
    const p1 = new SqlitePersistence(dir);
    const s1 = new ObjectStore(p1, new WatchHub(), 100);
    const changes = s1.apply([
      { key: '/configmaps', namespace: 'd', name: 'a', object: cm('a', '1') },
      { key: '/configmaps', namespace: 'd', name: 'a', object: cm('a', '2') },
      { key: '/configmaps', namespace: 'd', name: 'b', object: cm('b', '1') },
    ]);
    assert.deepEqual(changes.map((c) => `${c.type}@${c.version}`), ['ADDED@1', 'MODIFIED@2', 'ADDED@3']);
    assert.deepEqual(changes[1]?.prev, changes[0]?.object);
    s1.apply([{ key: '/configmaps', namespace: 'd', name: 'b', object: undefined }]);
    assert.equal(s1.version, 4);
    p1.close();
    const s2 = new ObjectStore(new SqlitePersistence(dir), new WatchHub(), 100);
    assert.equal(s2.version, 4, 'the removal\'s version is remembered too');
    assert.equal((s2.get('/configmaps', 'd', 'a')?.metadata as Record<string, unknown>).resourceVersion, '2');
    assert.equal(s2.get('/configmaps', 'd', 'b'), undefined);
    assert.ok(!s2.history.covers(3), 'history restarts empty: older versions are expired');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('router follows the real request-info rules', () => {
  assert.deepEqual(route('/api/v1/namespaces/ns1/configmaps/x'), { kind: 'resource', group: '', version: 'v1', namespace: 'ns1', resource: 'configmaps', name: 'x', subresource: undefined, legacyWatch: false });
  assert.deepEqual(route('/api/v1/namespaces/ns1/status'), { kind: 'resource', group: '', version: 'v1', namespace: undefined, resource: 'namespaces', name: 'ns1', subresource: 'status', legacyWatch: false });
  assert.equal(route('/apis/example.com/v1/watch/widgets').kind, 'resource');
  assert.deepEqual(route('/apis/example.com'), { kind: 'group', group: 'example.com' });
  assert.equal(route('/apis/a/b/c/d/e/f/g').kind, 'unknown');
});

test('negotiation: tables, metadata, JSON fallbacks and 406', () => {
  assert.equal(negotiateOutput('application/json;as=Table;v=v1;g=meta.k8s.io,application/json'), 'table');
  assert.equal(negotiateOutput('application/json;as=Unknown;v=v1;g=meta.k8s.io, application/json'), 'json');
  assert.equal(negotiateOutput('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io'), 'metadata');
  assert.equal(negotiateOutput(undefined), 'json');
  assert.throws(() => negotiateOutput('application/vnd.kubernetes.protobuf'), (e: unknown) => e instanceof ApiError && e.code === 406);
});

test('merge patch follows RFC 7386', () => {
  assert.deepEqual(applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] }), { a: { c: 2, d: 3 }, l: [3] });
  assert.deepEqual(applyMergePatch({ a: 1 }, { a: { x: 1 } }), { a: { x: 1 } });
});

test('server-side apply: ownership, conflicts, force, and removal of dropped fields', () => {
  const gr = { group: 'example.com', resource: 'widgets' };
  const base = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
  const first = serverSideApply({ live: undefined, config: { ...base, spec: { a: 1, b: 2 } }, manager: 'm1', force: false, apiVersion: 'example.com/v1', subresource: undefined, skipStatus: true, gr, name: 'w' });
  assert.deepEqual(first.spec, { a: 1, b: 2 });
  assert.equal((first.metadata as Record<string, unknown>).name, 'w');
  const same = serverSideApply({ live: first, config: { ...base, spec: { a: 1 } }, manager: 'm2', force: false, apiVersion: 'example.com/v1', subresource: undefined, skipStatus: true, gr, name: 'w' });
  assert.deepEqual(same.spec, { a: 1, b: 2 }, 'co-owning with the same value is no conflict');
  assert.throws(
    () => serverSideApply({ live: first, config: { ...base, spec: { a: 5 } }, manager: 'm2', force: false, apiVersion: 'example.com/v1', subresource: undefined, skipStatus: true, gr, name: 'w' }),
    (e: unknown) => e instanceof ApiError && e.code === 409 && /conflict with "m1": \.spec\.a/.test(e.message),
  );
  const dropped = serverSideApply({ live: first, config: { ...base, spec: { a: 1 } }, manager: 'm1', force: false, apiVersion: 'example.com/v1', subresource: undefined, skipStatus: true, gr, name: 'w' });
  assert.deepEqual(dropped.spec, { a: 1 });
});

test('version priority orders GA, beta, alpha', () => {
  assert.deepEqual(['v1alpha1', 'v2', 'v1beta2', 'v1', 'foo', 'v1beta1'].sort(compareVersionPriority), ['v2', 'v1', 'v1beta2', 'v1beta1', 'v1alpha1', 'foo']);
});

test('the serving certificate is a valid self-signed CA for loopback', () => {
  const { certPem } = generateServingCert('127.0.0.1');
  const x = new X509Certificate(certPem);
  assert.ok(x.ca);
  assert.ok(x.verify(x.publicKey));
  assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(x.checkHost('localhost'), 'localhost');
});
