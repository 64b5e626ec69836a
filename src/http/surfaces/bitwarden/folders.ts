/** `/bitwarden/api/folders`: a vault's folders (names encrypted by the client). */
import type { FastifyReply } from 'fastify';
import { need } from '../../../auth/policy.js';
import { bodies, createFolder, deleteFolder, getFolder, listFolders, updateFolder } from '../../../features/vault/service.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type AuthedRequest, type RouteDef } from '../../surface.js';
import { accountOf } from './shared.js';

const OWN = need('consumer');

export function folderRoutes(hearth: Hearth): RouteDef[] {
  return [
    route({ method: 'GET', url: '/api/folders', auth: OWN, summary: 'Every folder', handler: (req) => listFolders(hearth, accountOf(req)) }),
    route({
      method: 'POST',
      url: '/api/folders',
      auth: OWN,
      summary: 'Create a folder',
      body: bodies.FolderBody,
      handler: (req) => createFolder(hearth, accountOf(req), req.body),
    }),
    route({ method: 'GET', url: '/api/folders/:id', auth: OWN, summary: 'One folder', handler: (req) => getFolder(hearth, accountOf(req), req.params.id!) }),
    route({
      method: ['PUT', 'POST'],
      url: '/api/folders/:id',
      auth: OWN,
      summary: 'Rename a folder',
      body: bodies.FolderBody,
      handler: (req) => updateFolder(hearth, accountOf(req), req.params.id!, req.body),
    }),
    route({ method: 'DELETE', url: '/api/folders/:id', auth: OWN, summary: 'Delete a folder (its ciphers stay, in no folder)', handler: remove }),
    route({ method: 'POST', url: '/api/folders/:id/delete', auth: OWN, summary: 'Delete a folder (its ciphers stay, in no folder)', handler: remove }),
  ];

  async function remove(req: AuthedRequest, reply: FastifyReply) {
    await deleteFolder(hearth, accountOf(req), req.params.id!);
    return reply.status(200).send();
  }
}
