/**
 * Requests from other sites. A page the owner visits can make the browser POST to
 * `http://127.0.0.1:7070` (a "simple" request: text/plain, no preflight), and a DNS-rebinding page
 * can even read the answers. So: the Host must name this server (an IP address, `localhost`, or
 * `[server] domain` and its subdomains), and a request that changes state must not come from
 * another origin (its `Origin`, or `Sec-Fetch-Site: cross-site`). Scripts and the CLI send neither
 * header and are unaffected.
 */
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { HearthError } from '../kernel/errors.js';

/** `host:port`, `[v6]:port` or `host` → the host part, lower-cased. */
function hostPart(value: string): string {
  const v = value.trim().toLowerCase();
  if (v.startsWith('[')) return v.slice(1, v.indexOf(']'));
  const colon = v.lastIndexOf(':');
  return colon > 0 && v.indexOf(':') === colon ? v.slice(0, colon) : v;
}

/** Whether a Host names this machine only (an IP address or localhost), not a DNS name. */
export function isLocalHost(host: string): boolean {
  const h = hostPart(host);
  return isIP(h) !== 0 || h === 'localhost' || h.endsWith('.localhost');
}

export function isOwnHost(host: string, domain: string): boolean {
  const h = hostPart(host);
  const d = domain.toLowerCase();
  return isLocalHost(h) || h === d || h.endsWith(`.${d}`);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Throws when the request names another server, or comes from another site to change state
 * (unless the route takes other origins: Bearer-only routes, which no page can call with the
 * browser's own credentials). Behind a trusted proxy, the forwarded host counts.
 */
export function checkOrigin(req: FastifyRequest, domain: string, crossOrigin = false): void {
  // HTTP/1.0 allows leaving the Host out: such a request names no server, so it is refused too.
  const host = req.host;
  if (!host) throw new HearthError('badRequest', `send a Host header naming this server: its address, localhost or [server] domain (${domain})`);
  if (!isOwnHost(host, domain)) {
    throw new HearthError('badRequest', `this server does not answer to ${hostPart(host)}: use its address, localhost or [server] domain (${domain})`);
  }
  if (crossOrigin || SAFE_METHODS.has(req.method)) return;
  if (req.headers['sec-fetch-site'] === 'cross-site') throw new HearthError('forbidden', 'requests from other sites are refused');
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      throw new HearthError('forbidden', 'the Origin header is not a URL');
    }
    if (originHost.toLowerCase() !== host.toLowerCase()) throw new HearthError('forbidden', `requests from ${origin} are refused: another site`);
  } else if (origin === 'null') {
    throw new HearthError('forbidden', 'requests from an opaque origin are refused');
  }
}
