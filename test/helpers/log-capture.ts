// A log destination for tests: collects what a pino logger writes, as text or as parsed JSON
// lines. `isTTY` makes it look like a terminal (the logger's `auto` format looks at it).
import { Writable } from 'node:stream';

export class LogCapture extends Writable {
  readonly chunks: string[] = [];
  isTTY: boolean;
  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
  text(): string {
    return this.chunks.join('');
  }
  lines(): Record<string, unknown>[] {
    return this.text().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
