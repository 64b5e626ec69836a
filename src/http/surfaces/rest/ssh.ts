/** SelfPrivacy's SSH routes: sshd's settings, root's keys (`key/send`), each user's keys. */
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { need, needMinting } from '../../../auth/policy.js';
import { badRequest } from '../../../kernel/errors.js';
import { addKey, deleteKey, getSettings, listKeys, ROOT, setSettings } from '../../../features/ssh/service.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type AuthedRequest, type RouteDef } from '../../surface.js';

const KeyBody = Type.Object({ public_key: Type.String({ maxLength: 16384 }) });
const SettingsBody = Type.Object({ enable: Type.Optional(Type.Boolean()), passwordAuthentication: Type.Optional(Type.Boolean()) });

export function sshRoutes(hearth: Hearth): RouteDef[] {
  return [
    route({ method: 'GET', url: '/services/ssh', auth: need('maintainer'), summary: "sshd's settings", handler: () => getSettings(hearth) }),
    route({
      method: 'PUT',
      url: '/services/ssh',
      auth: need('maintainer'),
      summary: "Change sshd's settings (only the keys given)",
      body: SettingsBody,
      handler: async (req: AuthedRequest<typeof SettingsBody>) => {
        await setSettings(hearth, req.body);
        return 'SSH settings changed';
      },
    }),
    route({
      method: 'POST',
      url: '/services/ssh/enable',
      auth: need('maintainer'),
      summary: 'Enable sshd',
      handler: async () => {
        await setSettings(hearth, { enable: true });
        return { status: 0, message: 'SSH enabled' };
      },
    }),
    route({
      method: 'PUT',
      url: '/services/ssh/key/send',
      auth: needMinting('maintainer'),
      summary: "Add a key to root's",
      body: KeyBody,
      handler: async (req: AuthedRequest<typeof KeyBody>, reply: FastifyReply) => {
        await addKey(hearth, req.principal, { public_key: req.body.public_key, username: ROOT });
        return reply.status(201).send({ status: 0, message: 'SSH key sent' });
      },
    }),
    route({
      method: 'GET',
      url: '/services/ssh/keys/:username',
      auth: need('consumer'),
      summary: "A user's keys (your own, or as a maintainer anyone's; `root` for root's)",
      handler: async (req: AuthedRequest) => (await listKeys(hearth, req.principal, req.params.username)).keys.map((k) => k.public_key),
    }),
    route({
      method: 'POST',
      url: '/services/ssh/keys/:username',
      auth: needMinting('maintainer'),
      summary: "Add a key to a user's (root's: PUT /services/ssh/key/send)",
      body: KeyBody,
      handler: async (req: AuthedRequest<typeof KeyBody>, reply: FastifyReply) => {
        if (req.params.username === ROOT) throw badRequest("use PUT /services/ssh/key/send to add a key to root's");
        await addKey(hearth, req.principal, { public_key: req.body.public_key, username: req.params.username });
        return reply.status(201).send({ message: 'New SSH key successfully written' });
      },
    }),
    route({
      method: 'DELETE',
      url: '/services/ssh/keys/:username',
      auth: need('maintainer'),
      summary: "Remove a key from a user's (or root's)",
      body: KeyBody,
      handler: async (req: AuthedRequest<typeof KeyBody>) => {
        await deleteKey(hearth, req.principal, { public_key: req.body.public_key, username: req.params.username });
        return { message: 'SSH key deleted' };
      },
    }),
  ];
}
