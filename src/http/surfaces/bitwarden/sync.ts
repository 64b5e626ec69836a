/** `/bitwarden/api/sync`: everything a client keeps (profile, folders, ciphers, keys), in one answer. */
import type { FastifyReply } from 'fastify';
import { need } from '../../../auth/policy.js';
import { syncStream } from '../../../features/vault/service.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type AuthedRequest, type RouteDef } from '../../surface.js';
import { accountOf } from './shared.js';

export function syncRoutes(hearth: Hearth): RouteDef[] {
  return [route({ method: 'GET', url: '/api/sync', auth: need('consumer'), summary: 'Everything: profile, folders, ciphers, keys', handler: sync })];

  async function sync(req: AuthedRequest, reply: FastifyReply) {
    // A stream: Fastify sends it chunked, as it is made.
    return reply.type('application/json; charset=utf-8').send(await syncStream(hearth, accountOf(req)));
  }
}
