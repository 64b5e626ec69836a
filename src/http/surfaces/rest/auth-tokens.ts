/** SelfPrivacy's `/auth/tokens`: the caller's device tokens. */
import { Type } from '@sinclair/typebox';
import { Line } from '../../../api/schemas.js';
import { need } from '../../../auth/policy.js';
import { deleteDevice, listDevices, refreshDevice } from '../../../features/credentials/service.js';
import { badRequest } from '../../../kernel/errors.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type AuthedRequest, type RouteDef } from '../../surface.js';

/** The app names the device `token_name`; older scripts sent `token`. */
const DeleteBody = Type.Object({ token_name: Type.Optional(Line({ maxLength: 200 })), token: Type.Optional(Type.String({ maxLength: 200 })) });

export function deviceTokenRoutes(hearth: Hearth): RouteDef[] {
  return [
    route({ method: 'GET', url: '/auth/tokens', auth: need('consumer'), summary: "The caller's device tokens", handler: list }),
    route({ method: 'DELETE', url: '/auth/tokens', auth: need('consumer'), summary: 'Delete a device token by name', body: DeleteBody, handler: remove }),
    route({ method: 'POST', url: '/auth/tokens', auth: need('consumer'), summary: "Replace the caller's token", handler: refresh }),
  ];

  async function list(req: AuthedRequest) {
    return (await listDevices(hearth, req.principal)).map((d) => ({ name: d.name, date: d.date, is_caller: d.is_caller }));
  }

  async function remove(req: AuthedRequest<typeof DeleteBody>) {
    const name = req.body.token_name ?? req.body.token;
    if (!name) throw badRequest('missing "token_name": the name of the device to delete');
    await deleteDevice(hearth, req.principal, name);
    return { message: 'Token deleted' };
  }

  function refresh(req: AuthedRequest) {
    return refreshDevice(hearth, req.principal);
  }
}
