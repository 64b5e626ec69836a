/**
 * Plain HTTP beyond loopback: the console (whose pages take passwords) is served over plain HTTP
 * only between loopback addresses. A browser elsewhere is sent to HTTPS — `[server] public_url`
 * when it is https, else the HTTPS listener on the host it asked for — or, with no HTTPS it can
 * reach, told why. Behind a trusted proxy its `X-Forwarded-For` and `X-Forwarded-Proto` decide.
 */
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { parseListen } from '../kernel/config.js';
import type { Hearth } from '../kernel/hearth.js';
import { isHttps } from './client.js';

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

/** The wildcard addresses: listening there is listening on every interface. */
const isWildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '';

/** Whether a `host:port` listen address is reachable from other machines. */
export function listensBeyondLoopback(listen: string, key: 'listen' | 'tls_listen' = 'listen'): boolean {
  const { host } = parseListen(listen, key);
  return host !== 'localhost' && !isLoopback(host);
}

/** What a plain-HTTP request for the console gets: served, redirected to a URL, or refused (no HTTPS it can reach). */
export type PlainHttpVerdict = { serve: true } | { serve: false; location: string | null };

export function plainHttpVerdict(hearth: Hearth, req: FastifyRequest): PlainHttpVerdict {
  if (isHttps(req)) return { serve: true };
  const socket = req.raw.socket;
  // The Unix socket has no addresses: it is this machine's owner.
  if (socket.remoteAddress === undefined && socket.localAddress === undefined) return { serve: true };
  if (isLoopback(req.ip) && isLoopback(socket.localAddress)) return { serve: true };
  const { config } = hearth;
  if (/^https:\/\//i.test(config.server.public_url)) return { serve: false, location: `${config.server.public_url.replace(/\/+$/, '')}${req.url}` };
  const tls = hearth.tls;
  if (tls && config.server.tls_listen) {
    const { host } = parseListen(config.server.tls_listen, 'tls_listen');
    if (isWildcard(host) || !isLoopback(host)) {
      const port = new URL(tls.url).port;
      // The host the browser asked for (behind a proxy, the forwarded one), with the HTTPS port;
      // a listener bound to one address is reached there.
      const asked = req.hostname || socket.localAddress || 'localhost';
      const name = isWildcard(host) ? asked : host;
      const bracketed = isIP(name) === 6 ? `[${name}]` : name;
      return { serve: false, location: `https://${bracketed}${port && port !== '443' ? `:${port}` : ''}${req.url}` };
    }
  }
  return { serve: false, location: null };
}

/** The warning `core/status` and the start-up log carry while plain HTTP is reachable from other machines. */
export function plainHttpWarning(listenUrl: string): string {
  return (
    `plain HTTP listens beyond loopback (${listenUrl}): passwords and tokens sent to it cross the network unencrypted. ` +
    'The console there redirects to HTTPS, but other clients are not protected: set [server] listen to 127.0.0.1 and reach Hearth over HTTPS ([server] tls_listen, or a TLS proxy with [server] trusted_proxies)'
  );
}
