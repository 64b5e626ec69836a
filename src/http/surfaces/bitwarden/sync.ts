/** `/bitwarden/api/sync`: everything a client keeps (profile, folders, ciphers, keys), in one answer. */
import type { FastifyReply } from 'fastify';
import { need } from '../../../auth/policy.js';
import { syncJson } from '../../../features/vault/service.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type AuthedRequest, type RouteDef } from '../../surface.js';
import { accountOf, sendJson } from './shared.js';

export function syncRoutes(hearth: Hearth): RouteDef[] {
  return [route({ method: 'GET', url: '/api/sync', auth: need('consumer'), summary: 'Everything: profile, folders, ciphers, keys', handler: sync })];

  async function sync(req: AuthedRequest, reply: FastifyReply) {
    return sendJson(reply, await syncJson(hearth, accountOf(req)));
  }
}
