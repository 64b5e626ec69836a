/** SelfPrivacy's `/auth/recovery_token`: its status, a new one, and a device spending it. */
import { Type } from '@sinclair/typebox';
import { need, needMinting, PUBLIC } from '../../../auth/policy.js';
import { createRecovery, recoveryStatus, useRecovery } from '../../../features/pairing/service.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { clientAddress } from '../../client.js';
import { route, type AuthedRequest, type CheckedRequest, type RouteDef } from '../../surface.js';
import { PhraseBody } from './new-device.js';

/** The app sends nulls for "no expiry" and "unlimited". */
const CreateBody = Type.Object({
  expiration: Type.Optional(Type.Union([Type.String({ maxLength: 40, description: 'UTC, like 2026-12-31T23:59:59.000000Z' }), Type.Null()])),
  uses: Type.Optional(Type.Union([Type.Integer({ minimum: 1, description: 'how many devices it may authorize' }), Type.Null()])),
});

export function recoveryRoutes(hearth: Hearth): RouteDef[] {
  return [
    route({ method: 'GET', url: '/auth/recovery_token', auth: need('consumer'), summary: 'Recovery token status', handler: status }),
    route({
      method: 'POST',
      url: '/auth/recovery_token',
      auth: needMinting('consumer'),
      summary: 'Generate a recovery token',
      body: CreateBody,
      handler: create,
    }),
    route({
      method: 'POST',
      url: '/auth/recovery_token/use',
      auth: PUBLIC,
      summary: 'Trade the recovery token for a device token',
      body: PhraseBody,
      handler: use,
    }),
  ];

  function status(req: AuthedRequest) {
    return recoveryStatus(hearth, req.principal);
  }

  function create(req: AuthedRequest<typeof CreateBody>) {
    return createRecovery(hearth, req.principal, req.body);
  }

  async function use(req: CheckedRequest<typeof PhraseBody>) {
    const { token } = await useRecovery(hearth, req.body, { address: clientAddress(req), surface: 'rest' });
    return { token };
  }
}
