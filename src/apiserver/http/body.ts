// Bounded request bodies: a declared Content-Length over the limit is refused before reading,
// a streamed body is cut off as soon as it passes the limit (413 either way), so a huge or
// endless upload cannot exhaust memory.
import type { IncomingMessage } from 'node:http';
import { badRequest, entityTooLarge } from '../errors.ts';

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 'NaN');
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(entityTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        reject(entityTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(badRequest(`error reading request body: ${err.message}`));
    });
  });
}
