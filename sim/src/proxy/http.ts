// Small HTTP helpers shared by the proxy's handlers: Go's http.Error reply shape
// (`text/plain; charset=utf-8`, `X-Content-Type-Options: nosniff`, message + newline) and a
// bounded body reader that never buffers more than its limit, whatever a client sends.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export function httpError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(`${message}\n`);
}

export class BodyTooLarge extends Error {
  constructor() {
    super('http: request body too large');
  }
}

/** The request body, gunzipped when the client said `Content-Encoding: gzip` (git does). */
export function bodyStream(req: IncomingMessage): Readable {
  return req.headers['content-encoding'] === 'gzip' ? req.pipe(createGunzip()) : req;
}

/** Reads a stream, keeping at most `limit` bytes; rejects with BodyTooLarge beyond it. */
export function readLimited(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped, so the client still gets the reply.
      if (size <= limit) chunks.push(chunk);
    });
    stream.on('end', () => (size > limit ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    stream.on('error', reject);
  });
}
