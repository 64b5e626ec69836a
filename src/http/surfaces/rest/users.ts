/** SelfPrivacy's `/users`: the server's accounts. */
import { Type } from '@sinclair/typebox';
import { Line } from '../../../api/schemas.js';
import type { FastifyReply } from 'fastify';
import { need, needMinting } from '../../../auth/policy.js';
import { createAccount, deleteAccount, listAccounts } from '../../../features/accounts/service.js';
import { adoptForOwner } from '../../../features/credentials/service.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type CheckedRequest, type RouteDef } from '../../surface.js';

const CreateBody = Type.Object({ username: Line({ maxLength: 320 }), password: Type.String({ maxLength: 1024 }) });
const ListQuery = Type.Object({ withMainUser: Type.Optional(Type.String({ description: '`true`: the owner too, first' })) });

export function userRoutes(hearth: Hearth): RouteDef[] {
  return [
    route({
      method: 'GET',
      url: '/users',
      auth: need('auditor'),
      summary: 'Usernames; with withMainUser=true the owner first',
      querystring: ListQuery,
      handler: list,
    }),
    route({ method: 'POST', url: '/users', auth: needMinting('maintainer'), summary: 'Create a user', body: CreateBody, handler: create }),
    route({ method: 'DELETE', url: '/users/:username', auth: need('maintainer'), summary: 'Delete a user', handler: remove }),
  ];

  async function list(req: CheckedRequest) {
    const withMain = req.query.withMainUser === 'true';
    return (await listAccounts(hearth)).filter((a) => withMain || !a.owner).map((a) => a.username);
  }

  async function create(req: CheckedRequest<typeof CreateBody>, reply: FastifyReply) {
    const account = await createAccount(
      hearth,
      req.principal,
      { username: req.body.username, pass: req.body.password },
      { onOwner: (tx, a) => adoptForOwner(tx, a.id) },
    );
    return reply.status(201).send({ result: 0, username: account.username });
  }

  async function remove(req: CheckedRequest) {
    return { result: 0, username: await deleteAccount(hearth, req.params.username!) };
  }
}
