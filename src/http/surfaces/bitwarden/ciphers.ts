/**
 * `/bitwarden/api/ciphers`: a vault's items, one at a time or in bulk (the bulk forms' static
 * paths win over `/:id`). Bodies are the client's encrypted items, checked field by field.
 */
import type { FastifyReply } from 'fastify';
import { need } from '../../../auth/policy.js';
import * as items from '../../../features/vault/service.js';
import { bodies } from '../../../features/vault/service.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type AuthedRequest, type RouteDef } from '../../surface.js';
import { accountOf, CIPHER_BODY_LIMIT, sendJson } from './shared.js';

const OWN = need('consumer');
type Ids = typeof bodies.IdsBody;

export function cipherRoutes(hearth: Hearth): RouteDef[] {
  const big = CIPHER_BODY_LIMIT;
  return [
    route({ method: 'GET', url: '/api/ciphers', auth: OWN, summary: 'Every cipher', handler: list }),
    route({ method: 'POST', url: '/api/ciphers', auth: OWN, summary: 'Create a cipher', body: bodies.CipherBody, bodyLimit: big, handler: create }),
    route({
      method: 'POST',
      url: '/api/ciphers/create',
      auth: OWN,
      summary: 'Create a cipher ({cipher, collectionIds})',
      body: bodies.CipherCreateBody,
      bodyLimit: big,
      handler: createWrapped,
    }),
    route({ method: 'PUT', url: '/api/ciphers/delete', auth: OWN, summary: 'Move ciphers to the trash ({ids})', body: bodies.IdsBody, handler: trashMany }),
    route({ method: 'DELETE', url: '/api/ciphers', auth: OWN, summary: 'Delete ciphers for good ({ids})', body: bodies.IdsBody, handler: deleteMany }),
    route({ method: 'POST', url: '/api/ciphers/delete', auth: OWN, summary: 'Delete ciphers for good ({ids})', body: bodies.IdsBody, handler: deleteMany }),
    route({
      method: 'PUT',
      url: '/api/ciphers/restore',
      auth: OWN,
      summary: 'Restore ciphers from the trash ({ids})',
      body: bodies.IdsBody,
      handler: restoreMany,
    }),
    route({
      method: ['POST', 'PUT'],
      url: '/api/ciphers/move',
      auth: OWN,
      summary: 'Move ciphers to a folder ({ids, folderId})',
      body: bodies.IdsBody,
      handler: move,
    }),
    route({ method: 'GET', url: '/api/ciphers/:id', auth: OWN, summary: 'One cipher', handler: one }),
    route({ method: 'GET', url: '/api/ciphers/:id/details', auth: OWN, summary: 'One cipher', handler: one }),
    route({
      method: ['PUT', 'POST'],
      url: '/api/ciphers/:id',
      auth: OWN,
      summary: "Replace a cipher (refused if the client's copy is out of date)",
      body: bodies.CipherBody,
      bodyLimit: big,
      handler: update,
    }),
    route({
      method: ['PUT', 'POST'],
      url: '/api/ciphers/:id/partial',
      auth: OWN,
      summary: "Change a cipher's folder and favourite flag",
      body: bodies.PartialCipherBody,
      handler: partial,
    }),
    route({ method: 'PUT', url: '/api/ciphers/:id/delete', auth: OWN, summary: 'Move a cipher to the trash', handler: trashOne }),
    route({ method: 'DELETE', url: '/api/ciphers/:id', auth: OWN, summary: 'Delete a cipher for good', handler: deleteOne }),
    route({ method: 'POST', url: '/api/ciphers/:id/delete', auth: OWN, summary: 'Delete a cipher for good', handler: deleteOne }),
    route({ method: 'PUT', url: '/api/ciphers/:id/restore', auth: OWN, summary: 'Restore a cipher from the trash', handler: restoreOne }),
  ];

  async function list(req: AuthedRequest, reply: FastifyReply) {
    return sendJson(reply, await items.listCiphers(hearth, accountOf(req)));
  }
  async function create(req: AuthedRequest<typeof bodies.CipherBody>, reply: FastifyReply) {
    return sendJson(reply, await items.createCipher(hearth, accountOf(req), req.body));
  }
  /** `/ciphers/create` wraps the cipher with its collections (organizations only). */
  async function createWrapped(req: AuthedRequest<typeof bodies.CipherCreateBody>, reply: FastifyReply) {
    return sendJson(reply, await items.createCipher(hearth, accountOf(req), req.body.cipher));
  }
  async function trashMany(req: AuthedRequest<Ids>, reply: FastifyReply) {
    await items.trashCiphers(hearth, accountOf(req), req.body);
    return reply.status(200).send();
  }
  async function deleteMany(req: AuthedRequest<Ids>, reply: FastifyReply) {
    await items.deleteCiphers(hearth, accountOf(req), req.body);
    return reply.status(200).send();
  }
  async function restoreMany(req: AuthedRequest<Ids>, reply: FastifyReply) {
    return sendJson(reply, await items.restoreCiphers(hearth, accountOf(req), req.body));
  }
  async function move(req: AuthedRequest<Ids>, reply: FastifyReply) {
    await items.moveCiphers(hearth, accountOf(req), req.body);
    return reply.status(200).send();
  }
  async function one(req: AuthedRequest, reply: FastifyReply) {
    return sendJson(reply, await items.getCipher(hearth, accountOf(req), req.params.id!));
  }
  async function update(req: AuthedRequest<typeof bodies.CipherBody>, reply: FastifyReply) {
    return sendJson(reply, await items.updateCipher(hearth, accountOf(req), req.params.id!, req.body));
  }
  async function partial(req: AuthedRequest<typeof bodies.PartialCipherBody>, reply: FastifyReply) {
    return sendJson(reply, await items.partialCipher(hearth, accountOf(req), req.params.id!, req.body));
  }
  async function trashOne(req: AuthedRequest, reply: FastifyReply) {
    await items.trashCipher(hearth, accountOf(req), req.params.id!);
    return reply.status(200).send();
  }
  async function deleteOne(req: AuthedRequest, reply: FastifyReply) {
    await items.deleteCipher(hearth, accountOf(req), req.params.id!);
    return reply.status(200).send();
  }
  async function restoreOne(req: AuthedRequest, reply: FastifyReply) {
    return sendJson(reply, await items.restoreCipher(hearth, accountOf(req), req.params.id!));
  }
}
