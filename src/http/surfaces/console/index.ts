/**
 * The web console: static files built from web/ (`npm run build`) into dist/web, served at `/`.
 * Every file is public (the console holds no secret; it calls the native API with its session
 * cookie and CSRF header). One route per file found at start, so nothing outside dist/web can
 * be asked for and unknown paths keep their usual 404. Each answer carries a strict CSP: scripts,
 * styles, images and calls from this origin only, no framing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PUBLIC } from '../../../auth/policy.js';
import { PACKAGE_ROOT } from '../../../kernel/paths.js';
import { plainHttpVerdict } from '../../plain-http.js';
import { addRoutes, publicSurface, route, type SurfaceDescriptor, type SurfaceOptions } from '../../surface.js';

/** The console's files: public, cached by their own rules (assets forever, the page never). */
export const CONSOLE: SurfaceDescriptor = publicSurface('console', null);

export const CONSOLE_DIR = join(PACKAGE_ROOT, 'dist', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Hearth</title>
<p>The web console is not built. Run <code>npm run build</code> in hearthd's directory, then restart hearthd.</p></html>\n`;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const NO_HTTPS = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Hearth: use HTTPS</title>
<h1>Hearth's console is not served over plain HTTP to other machines</h1>
<p>Its pages take passwords, which plain HTTP would send across the network unencrypted, and this server has no HTTPS address this device can reach.</p>
<p>The maintainer makes one: <code>[server] tls_listen = "0.0.0.0:7443"</code> (then trust the server's CA from <code>/ca.pem</code>), or a TLS proxy with <code>[server] public_url</code> and <code>trusted_proxies</code>. On the server itself the console stays at <code>http://127.0.0.1:7070/</code>.</p></html>
`;

export async function consoleSurface(app: FastifyInstance, { hearth }: SurfaceOptions) {
  // Password forms never go over plain HTTP beyond loopback (this hook covers this plugin's routes only).
  app.addHook('onRequest', async (req, reply) => {
    const verdict = plainHttpVerdict(hearth, req);
    if (verdict.serve) return;
    if (verdict.location) return reply.redirect(verdict.location, 302);
    return reply.status(403).header('content-security-policy', CONSOLE_CSP).type(TYPES['.html']!).send(NO_HTTPS);
  });
  const security = {
    'content-security-policy': CONSOLE_CSP,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
  };
  if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
    const notBuilt = (_req: unknown, reply: FastifyReply) => reply.status(404).headers(security).type(TYPES['.html']!).send(NOT_BUILT);
    addRoutes(app, CONSOLE, [route({ method: 'GET', url: '/', auth: PUBLIC, summary: 'The console (not built)', hidden: true, handler: notBuilt })]);
    return;
  }
  // One route per file found at start.
  const files = walk(CONSOLE_DIR).map((file) => {
    const rel = relative(CONSOLE_DIR, file).split(sep).join('/');
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    // Vite names assets by their content's hash: they never change under one name.
    const cache = rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    const serve = (_req: unknown, reply: FastifyReply) => reply.headers(security).header('cache-control', cache).type(type).send(readFileSync(file));
    return route({ method: 'GET', url: rel === 'index.html' ? '/' : `/${rel}`, auth: PUBLIC, summary: rel, hidden: true, handler: serve });
  });
  addRoutes(app, CONSOLE, files);
}
