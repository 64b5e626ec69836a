/**
 * Swarm Bee's token service: `POST /auth` with `Authorization: Basic base64(":" + password)` and
 * `{"role", "expiry"}` → 201 `{"key"}`; `POST /refresh` with that key as Bearer → a new key, the
 * old one revoked. Bee's inconsistent statuses are not kept: no or bad credential → 401 with
 * `WWW-Authenticate`, too low a role → 403, a malformed token → 401, never 500.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { need, PUBLIC } from '../../auth/policy.js';
import { authorization } from '../../auth/resolvers.js';
import { ROLES } from '../../auth/roles.js';
import { checkAdminPassword } from '../../core/admin.js';
import type { Hearth } from '../../core/hearth.js';
import { issueRoleToken, refreshRoleToken } from '../../core/role-tokens.js';
import { HearthError } from '../../errors.js';
import { clientAddress } from '../client.js';
import { lenientJson } from '../json.js';

/** The password from `Authorization: Basic base64(":" + password)` (a username, if any, is ignored). */
function basicPassword(req: FastifyRequest): string {
  const value = req.headers.authorization;
  const m = typeof value === 'string' ? /^basic\s+(\S+)$/i.exec(value) : null;
  if (!m) throw new HearthError('user:noAuth', 'send the admin password as Authorization: Basic base64(":" + password)');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : decoded;
}

const TokenRequest = Type.Object(
  {
    role: Type.Optional(Type.String({ description: `one of ${ROLES.join(', ')}` })),
    expiry: Type.Optional(Type.Integer({ description: 'lifetime in seconds (cut to [security] max_token_ttl)' })),
  },
  { additionalProperties: false },
);

export async function tokensSurface(app: FastifyInstance, { hearth }: { hearth: Hearth }) {
  lenientJson(app);
  // No body is an empty request (`/refresh` then keeps the role and lifetime).
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) req.body = {};
  });
  app.post(
    '/auth',
    {
      config: { auth: PUBLIC, surface: 'tokens', requires: ['store'], challenge: 'Basic realm="hearth"' },
      bodyLimit: 4096,
      schema: { summary: 'A role token for the admin password (Basic auth)', tags: ['tokens'], body: TokenRequest },
    },
    async (req, reply) => {
      await checkAdminPassword(hearth, basicPassword(req), { address: clientAddress(req), surface: 'tokens' });
      const body = (req.body ?? {}) as { role?: string; expiry?: number };
      const issued = await issueRoleToken(hearth, body);
      return reply.status(201).send(issued);
    },
  );
  app.post(
    '/refresh',
    {
      config: { auth: need('consumer'), surface: 'tokens', requires: ['store'], challenge: 'Bearer realm="hearth"' },
      bodyLimit: 4096,
      schema: { summary: 'A new role token for a valid one, which is revoked (role never higher, chain capped)', tags: ['tokens'], body: TokenRequest },
    },
    async (req, reply) => {
      const token = authorization(req.headers, 'bearer') ?? '';
      const body = (req.body ?? {}) as { role?: string; expiry?: number };
      const issued = await refreshRoleToken(hearth, req.principal!, token, body);
      return reply.status(201).send(issued);
    },
  );
}
