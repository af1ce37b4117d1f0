// The local node's streams through @kubernetes/client-node: Exec (output and exit status),
// Attach to a TTY container with a resize reaching the container's terminal, and Log (follow).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Attach, CoreV1Api, Exec, Log, type V1Pod, type V1Status } from '@kubernetes/client-node';
import { eventually } from '../../helpers/eventually.ts';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** A writable that looks like a terminal to client-node (rows, columns, 'resize' events). */
class Terminal extends Collect {
  rows = 24;
  columns = 80;
}

describe('local node streams with client-node', () => {
  let api: TestApiServer;
  let core: CoreV1Api;
  const dir = mkdtempSync(join(tmpdir(), 'local-node-client-'));

  const running = (name: string): Promise<true> => eventually(`pod ${name} running`, async () => {
    const p = await core.readNamespacedPod({ namespace: 'default', name });
    return p.status?.containerStatuses?.[0]?.state?.running !== undefined ? true : undefined;
  }, 20_000, 50);

  const create = (pod: V1Pod): Promise<V1Pod> => core.createNamespacedPod({ namespace: 'default', body: pod });

  before(async () => {
    api = await startTestApiServer({ localNode: { dir: join(dir, 'node') } });
    core = api.kubeConfig.makeApiClient(CoreV1Api);
    await create({ metadata: { name: 'shell' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '300'] }] } });
    await create({
      metadata: { name: 'tty' },
      spec: { containers: [{ name: 'agent', image: 'busybox', stdin: true, tty: true, command: ['sh', '-c', 'stty size; read line; stty size; echo "line=$line"; sleep 1'] }] },
    });
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Exec: stdout, stderr and the exit status', async () => {
    await running('shell');
    const out = new Collect();
    const err = new Collect();
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(api.kubeConfig).exec('default', 'shell', 'c', ['sh', '-c', 'echo hello; echo oops >&2; exit 4'], out, err, null, false, resolve).catch(reject);
    });
    assert.equal(out.text, 'hello\n');
    assert.equal(err.text, 'oops\n');
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details?.causes, [{ reason: 'ExitCode', message: '4' }]);
  });

  test('Attach with a TTY: the resize reaches the container\'s terminal, stdin reaches the agent', async () => {
    await running('tty');
    const term = new Terminal();
    const stdin = new PassThrough();
    const ws = await new Attach(api.kubeConfig).attach('default', 'tty', 'agent', term, null, stdin, true);
    // client-node sends the terminal's size at once (80x24); then a resize to 100x40.
    await new Promise((r) => setTimeout(r, 300));
    term.columns = 100;
    term.rows = 40;
    term.emit('resize');
    await new Promise((r) => setTimeout(r, 300));
    stdin.write('nudge\r');
    await eventually('the agent saw the line and the new size', () => (/line=nudge/.test(term.text) ? true : undefined), 10_000);
    assert.match(term.text, /40 100/, term.text);
    ws.close();
  });

  test('Log: follow streams the output until the container ends; tailLines', async () => {
    await create({ metadata: { name: 'counter' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'for i in 1 2 3 4; do echo n$i; sleep 0.2; done'] }] } });
    await running('counter');
    const out = new Collect();
    // client-node pipes the response into the stream, which finishes when the server ends it.
    const ended = finished(out);
    await new Log(api.kubeConfig).log('default', 'counter', 'c', out, { follow: true });
    await ended;
    assert.equal(out.text, 'n1\nn2\nn3\nn4\n');
    const tail = await core.readNamespacedPodLog({ namespace: 'default', name: 'counter', tailLines: 2 });
    assert.equal(tail, 'n3\nn4\n');
  });
});
