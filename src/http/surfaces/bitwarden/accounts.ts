/** `/bitwarden/api/accounts/…`: the profile, the security stamp, the master password and KDF. */
import type { FastifyReply } from 'fastify';
import { need } from '../../../auth/policy.js';
import {
  bodies,
  changeMasterPassword,
  checkMasterPassword,
  profile,
  rotateSecurityStamp,
  setName,
  setUserKeyId,
  vaultUser,
} from '../../../features/vault/service.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type AuthedRequest, type RouteDef } from '../../surface.js';
import { accountOf, fromBitwarden, sendJson } from './shared.js';

const OWN = need('consumer');

export function accountRoutes(hearth: Hearth): RouteDef[] {
  return [
    route({ method: 'GET', url: '/api/accounts/profile', auth: OWN, summary: 'The vault profile', handler: getProfile }),
    route({
      method: ['PUT', 'POST'],
      url: '/api/accounts/profile',
      auth: OWN,
      summary: "Change the vault's display name",
      body: bodies.ProfileBody,
      handler: rename,
    }),
    route({
      method: 'POST',
      url: '/api/accounts/security-stamp',
      auth: OWN,
      summary: 'New security stamp: every token of the account ends (needs masterPasswordHash)',
      body: bodies.SecretVerificationBody,
      handler: newStamp,
    }),
    route({
      method: 'POST',
      url: '/api/accounts/password',
      auth: OWN,
      summary: 'Change the master password (needs masterPasswordHash); every token of the account ends',
      body: bodies.PasswordChangeBody,
      handler: (req, reply) => changePassword(req, reply, false),
    }),
    route({
      method: 'POST',
      url: '/api/accounts/kdf',
      auth: OWN,
      summary: 'Change the KDF settings (needs masterPasswordHash); every token of the account ends',
      body: bodies.PasswordChangeBody,
      handler: (req, reply) => changePassword(req, reply, true),
    }),
    route({
      method: 'GET',
      url: '/api/accounts/revision-date',
      auth: OWN,
      summary: 'When the vault last changed, in ms since the epoch',
      handler: revisionDate,
    }),
    route({
      method: 'POST',
      url: '/api/accounts/key-management/user-key-id',
      auth: OWN,
      summary: "Record the id of the client's user key",
      body: bodies.UserKeyIdBody,
      handler: userKeyId,
    }),
  ];

  function getProfile(req: AuthedRequest) {
    return profile(hearth, accountOf(req));
  }

  async function rename(req: AuthedRequest<typeof bodies.ProfileBody>) {
    await setName(hearth, accountOf(req), req.body.name ?? null);
    return profile(hearth, accountOf(req));
  }

  async function newStamp(req: AuthedRequest<typeof bodies.SecretVerificationBody>, reply: FastifyReply) {
    await checkMasterPassword(hearth, req.principal, req.body.masterPasswordHash, fromBitwarden(req));
    await rotateSecurityStamp(hearth, accountOf(req));
    return reply.status(204).send();
  }

  async function changePassword(req: AuthedRequest<typeof bodies.PasswordChangeBody>, reply: FastifyReply, kdfChange: boolean) {
    await changeMasterPassword(hearth, req.principal, req.body, fromBitwarden(req), kdfChange);
    return reply.status(200).send();
  }

  async function revisionDate(req: AuthedRequest, reply: FastifyReply) {
    return sendJson(reply, String((await vaultUser(hearth, accountOf(req))).revision_date));
  }

  async function userKeyId(req: AuthedRequest<typeof bodies.UserKeyIdBody>, reply: FastifyReply) {
    await setUserKeyId(hearth, accountOf(req), req.body.userKeyId);
    return reply.status(200).send();
  }
}
