import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieJar } from '../auth/cookies.js';
import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_S, DEVICE_HEADER, type DeviceSlot } from '../auth/device-cookies.js';

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

/**
 * A sign-in's device cookie: presented as `X-Hearth-Device-Cookie` (or, where the surface has
 * cookies, the `hearth_device` cookie); a new one is answered in that header, and set as that
 * cookie, once the sign-in succeeds.
 */
export function deviceSlot(req: FastifyRequest, reply: FastifyReply, cookies?: CookieJar): DeviceSlot {
  const header = req.headers[DEVICE_HEADER];
  return {
    presented: (typeof header === 'string' && header !== '' ? header : undefined) ?? cookies?.get(DEVICE_COOKIE),
    issue(value) {
      reply.header(DEVICE_HEADER, value);
      cookies?.set(DEVICE_COOKIE, value, { maxAge: DEVICE_COOKIE_MAX_AGE_S });
    },
  };
}
