/** SelfPrivacy's `/auth/new_device`: a pairing phrase, and a new device trading it for a token. */
import { Type } from '@sinclair/typebox';
import { Line } from '../../../api/schemas.js';
import { need, needMinting, PUBLIC } from '../../../auth/policy.js';
import { authorizeDevice, cancelPairing, newPairing } from '../../../features/pairing/service.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { clientAddress } from '../../client.js';
import { route, type AuthedRequest, type CheckedRequest, type RouteDef } from '../../surface.js';

export const PhraseBody = Type.Object({
  token: Type.String({ maxLength: 400, description: 'the phrase, as its words separated by spaces' }),
  device: Line({ maxLength: 200, description: 'a name for the new device' }),
});

export function newDeviceRoutes(hearth: Hearth): RouteDef[] {
  return [
    route({ method: 'POST', url: '/auth/new_device', auth: needMinting('consumer'), summary: 'A pairing phrase for a new device', handler: pair }),
    route({ method: 'DELETE', url: '/auth/new_device', auth: need('consumer'), summary: 'Cancel the pending pairing phrase', handler: unpair }),
    route({
      method: 'POST',
      url: '/auth/new_device/authorize',
      auth: PUBLIC,
      summary: 'Trade a pairing phrase for a device token',
      body: PhraseBody,
      handler: authorize,
    }),
  ];

  async function pair(req: AuthedRequest) {
    const { token } = await newPairing(hearth, req.principal);
    return { token };
  }

  async function unpair(req: AuthedRequest) {
    await cancelPairing(hearth, req.principal);
    return { message: 'New device key deleted' };
  }

  async function authorize(req: CheckedRequest<typeof PhraseBody>) {
    const { token } = await authorizeDevice(hearth, req.body, { address: clientAddress(req), surface: 'rest' });
    return { message: 'Device authorized', token };
  }
}
