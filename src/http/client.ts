import type { FastifyRequest } from 'fastify';

/**
 * The client's address, for rate limits and the login log: the peer's, or the one a trusted
 * proxy forwarded (`[server] trusted_proxies`); `local` for the Unix socket, which has none.
 */
export function clientAddress(req: FastifyRequest): string {
  return req.ip || 'local';
}

/** Whether the request reached the client over HTTPS (directly, or as a trusted proxy says). */
export function isHttps(req: FastifyRequest): boolean {
  return req.protocol === 'https';
}
