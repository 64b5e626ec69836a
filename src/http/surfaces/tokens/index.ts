/**
 * Swarm Bee's token service: `POST /auth` with `Authorization: Basic base64(":" + password)` and
 * `{"role", "expiry"}` → 201 `{"key"}`; `POST /refresh` with that key as Bearer → a new key, the
 * old one revoked. Bee's inconsistent statuses are not kept: no or bad credential → 401 with
 * `WWW-Authenticate`, too low a role → 403, a malformed token → 401, never 500. Errors are
 * `{"error": message, "code": code}`.
 */
import { Type } from '@sinclair/typebox';
import { Line } from '../../../api/schemas.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { need, PUBLIC } from '../../../auth/policy.js';
import { ROLES } from '../../../auth/roles.js';
import { checkAdminPassword, issueRoleToken, refreshRoleToken } from '../../../features/role-tokens/service.js';
import { HearthError } from '../../../kernel/errors.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { authorization } from '../../authenticate.js';
import { clientAddress, deviceSlot } from '../../client.js';
import { lenientJson } from '../../json.js';
import { addRoutes, route, type AuthedRequest, type CheckedRequest, type RouteDef, type SurfaceDescriptor, type SurfaceOptions } from '../../surface.js';

export const TOKENS: SurfaceDescriptor = {
  name: 'tokens',
  // Only role tokens (`/refresh`); `/auth` takes the admin password itself, as Basic auth.
  schemes: ['bearer'],
  prefixes: [],
  error: (err) => ({ status: err.status, body: { error: err.message, code: err.code } }),
  cacheControl: 'no-store',
  crossOrigin: false,
  security: [{ hearthBearer: [] }],
};

const TokenRequest = Type.Object(
  {
    role: Type.Optional(Line({ description: `one of ${ROLES.join(', ')}` })),
    expiry: Type.Optional(Type.Integer({ description: 'lifetime in seconds (cut to [security] max_token_ttl)' })),
    label: Type.Optional(Line({ description: 'what it is for (a refresh keeps the old one unless given)', maxLength: 100 })),
  },
  { additionalProperties: false },
);

function tokenRoutes(hearth: Hearth): RouteDef[] {
  return [
    route({
      method: 'POST',
      url: '/auth',
      auth: PUBLIC,
      summary: 'A role token for the admin password (Basic auth)',
      body: TokenRequest,
      bodyLimit: 4096,
      challenge: 'Basic realm="hearth"',
      security: [{ adminBasic: [] }],
      handler: auth,
    }),
    route({
      method: 'POST',
      url: '/refresh',
      auth: need('consumer'),
      summary: 'A new role token for a valid one, which is revoked (role never higher, chain capped)',
      body: TokenRequest,
      bodyLimit: 4096,
      challenge: 'Bearer realm="hearth"',
      handler: refresh,
    }),
  ];

  async function auth(req: CheckedRequest<typeof TokenRequest>, reply: FastifyReply) {
    await checkAdminPassword(hearth, basicPassword(req), { address: clientAddress(req), surface: 'tokens', device: deviceSlot(req, reply) });
    return reply.status(201).send(await issueRoleToken(hearth, req.body));
  }

  async function refresh(req: AuthedRequest<typeof TokenRequest>, reply: FastifyReply) {
    const token = authorization(req.headers, 'bearer') ?? '';
    return reply.status(201).send(await refreshRoleToken(hearth, req.principal, token, req.body));
  }
}

/** The password from `Authorization: Basic base64(":" + password)` (a username, if any, is ignored). */
function basicPassword(req: FastifyRequest): string {
  const value = req.headers.authorization;
  const m = typeof value === 'string' ? /^basic\s+(\S+)$/i.exec(value) : null;
  if (!m) throw new HearthError('user:noAuth', 'send the admin password as Authorization: Basic base64(":" + password)');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : decoded;
}

export async function tokensSurface(app: FastifyInstance, { hearth }: SurfaceOptions) {
  lenientJson(app);
  // No body is an empty request (`/refresh` then keeps the role and lifetime).
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) req.body = {};
  });
  addRoutes(app, TOKENS, tokenRoutes(hearth), { requires: ['store'] });
}
