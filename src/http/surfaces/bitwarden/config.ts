/** `/bitwarden/api/config` and `/api/devices/knowndevice`: what clients read before they log in. */
import type { FastifyReply } from 'fastify';
import { PUBLIC } from '../../../auth/policy.js';
import { knownDevice } from '../../../features/vault/service.js';
import { badRequest } from '../../../kernel/errors.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { VERSION_CORE } from '../../../kernel/version.js';
import { route, type CheckedRequest, type RouteDef } from '../../surface.js';
import { sendJson } from './shared.js';

/** The Bitwarden server version reported to clients (they gate features on it). */
export const BITWARDEN_SERVER_VERSION = '2025.12.0';

export function configRoutes(hearth: Hearth): RouteDef[] {
  return [
    route({ method: 'GET', url: '/api/config', auth: PUBLIC, summary: 'Server configuration the clients read', handler: config }),
    route({
      method: 'GET',
      url: '/api/devices/knowndevice',
      auth: PUBLIC,
      summary: 'Whether a device (X-Device-Identifier) has logged in to a vault (X-Request-Email, base64url) before',
      handler: known,
    }),
  ];

  function config(req: CheckedRequest) {
    const base = `${req.protocol}://${req.host}/bitwarden`;
    return {
      version: BITWARDEN_SERVER_VERSION,
      gitHash: null,
      server: { name: `Hearth ${VERSION_CORE}`, url: 'https://hearth.invalid' },
      settings: { disableUserRegistration: true },
      environment: { vault: base, api: `${base}/api`, identity: `${base}/identity`, notifications: `${base}/notifications`, sso: '', cloudRegion: null },
      push: { pushTechnology: 0, vapidPublicKey: null },
      featureStates: {},
      communication: null,
      object: 'config',
    };
  }

  async function known(req: CheckedRequest, reply: FastifyReply) {
    const email = req.headers['x-request-email'];
    const identifier = req.headers['x-device-identifier'];
    if (typeof email !== 'string' || typeof identifier !== 'string') throw badRequest('send X-Request-Email (base64url) and X-Device-Identifier');
    return sendJson(reply, String(await knownDevice(hearth, Buffer.from(email, 'base64url').toString('utf8'), identifier)));
  }
}
