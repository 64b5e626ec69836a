/**
 * Bodies no route reads. Fastify never reads the body of a GET or HEAD, and Node closes a
 * `Connection: close` socket once the answer is written: body bytes still arriving then make the
 * kernel reset the connection, and the client loses the answer it was reading. So such a body is
 * read to its end, and dropped, before the request goes on.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { bodyTooLarge } from './errors.js';

/** A GET or HEAD that says it carries a body (a length above zero, or chunks). */
export function hasUnreadBody(method: string, headers: IncomingHttpHeaders): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}

/** Reads `raw` to its end, keeping nothing; past `limit` bytes, 413 (the rest is left to Node). */
export function drainBody(raw: IncomingMessage, limit: number, done: (err?: Error) => void): void {
  let size = 0;
  const finish = (err?: Error) => {
    raw.off('data', onData).off('end', onEnd).off('error', onError);
    done(err);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) finish(bodyTooLarge(limit));
  };
  const onEnd = () => finish();
  const onError = (err: Error) => finish(err);
  raw.on('data', onData).once('end', onEnd).once('error', onError);
}
