/**
 * The Bitwarden surface, under `/bitwarden`: `/bitwarden/identity/…` (prelogin, registration,
 * the OAuth token endpoint) and `/bitwarden/api/…` (config, profile, sync, ciphers, folders), in
 * the shapes today's official clients send and require. Thin: each route checks its body against
 * its schema and calls the vault feature. One file per resource.
 *
 * Only the vault's own access tokens are accepted here. Errors take Bitwarden's shape; a
 * logged-in client never gets 401/403 for "not found" or "not allowed" (it would log out): 404
 * and 400. The token endpoint answers OAuth errors (`invalid_grant`) with 400.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HearthError } from '../../../kernel/errors.js';
import { parseJson } from '../../json.js';
import { addRoutes, type SurfaceDescriptor, type SurfaceOptions } from '../../surface.js';
import { accountRoutes } from './accounts.js';
import { cipherRoutes } from './ciphers.js';
import { configRoutes } from './config.js';
import { folderRoutes } from './folders.js';
import { identityRoutes } from './identity.js';
import { bitwardenError, BITWARDEN_PREFIX, SMALL_BODY_LIMIT } from './shared.js';
import { syncRoutes } from './sync.js';

export const BITWARDEN: SurfaceDescriptor = {
  name: 'bitwarden',
  schemes: ['bitwarden'],
  prefixes: [BITWARDEN_PREFIX],
  error: (err, req) => bitwardenError(err, req.routeOptions.url?.endsWith('/connect/token') ?? false),
  // Tokens, keys and vault data: no cache keeps any of it.
  cacheControl: 'no-store',
  // Bearer-only: no page can call these with the browser's own credentials.
  crossOrigin: true,
  security: [{ bitwardenBearer: [] }],
  notFound(req, reply) {
    const path = req.url.split('?')[0]!;
    const { status, body } = bitwardenError(
      new HearthError('notFound', `no route ${req.method} ${path}: this server does not offer that Bitwarden feature`),
      false,
    );
    return reply.status(status).send(body);
  },
};

function parseForm(_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) {
  const out: Record<string, string> = Object.create(null);
  // Field names are matched without regard to case (clients mix grant_type and deviceType).
  for (const [k, v] of new URLSearchParams(body)) out[k.toLowerCase()] = v;
  done(null, out);
}

export async function bitwardenSurface(app: FastifyInstance, { hearth }: SurfaceOptions) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJson);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, parseForm);
  // Clients send no body where a route needs none: an empty object, checked like any other.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) req.body = {};
  });
  const defaults = { requires: ['store'], tag: 'bitwarden' };
  for (const routes of [identityRoutes, configRoutes, accountRoutes, syncRoutes, cipherRoutes, folderRoutes]) {
    addRoutes(
      app,
      BITWARDEN,
      routes(hearth).map((r) => ({ ...r, bodyLimit: r.bodyLimit ?? SMALL_BODY_LIMIT })),
      defaults,
    );
  }
}
