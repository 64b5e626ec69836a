/**
 * SelfPrivacy's REST API 1.2 at its own paths (seed 002): device tokens, new-device pairing,
 * recovery tokens and users. Thin: each route calls the same core functions as the native
 * commands, and answers SelfPrivacy's shapes (`{"error": …}` on failure, its status codes).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { need, needMinting, PUBLIC, type AuthRequirement } from '../../auth/policy.js';
import type { Principal } from '../../auth/principal.js';
import * as accounts from '../../core/accounts.js';
import * as credentials from '../../core/credentials.js';
import type { Hearth } from '../../core/hearth.js';
import * as pairing from '../../core/pairing.js';
import { badRequest } from '../../errors.js';
import { clientAddress } from '../client.js';
import { lenientJson } from '../json.js';

/** The SelfPrivacy API version whose clients this surface serves (its app enables features by it). */
export const SELFPRIVACY_API_VERSION = '1.2.7';

/** Path prefixes of this surface: without a credential, an unknown path under them answers 401, as SelfPrivacy's did. */
export const REST_PREFIXES = ['/auth/', '/users', '/services', '/system', '/api/'];

const Body = <T extends Record<string, TSchema>>(props: T) => Type.Object(props);
const PhraseBody = Body({ token: Type.String({ maxLength: 400 }), device: Type.String({ maxLength: 200 }) });

export async function restSurface(app: FastifyInstance, { hearth }: { hearth: Hearth }) {
  lenientJson(app);
  const opts = (auth: AuthRequirement, summary: string, body?: TSchema): RouteShorthandOptions => ({
    config: { auth, surface: 'rest', requires: ['store'] },
    schema: { summary, tags: ['selfprivacy'], ...(body ? { body } : {}) },
  });
  const me = (req: FastifyRequest): Principal => req.principal!;
  const from = (req: FastifyRequest) => ({ address: clientAddress(req), surface: 'rest' });
  /** A body that may be absent (the app sends none): its fields, or an empty object. */
  const fields = (req: FastifyRequest): Record<string, unknown> => {
    if (req.body === undefined || req.body === null) return {};
    if (typeof req.body !== 'object' || Array.isArray(req.body)) throw badRequest('the body must be a JSON object');
    return req.body as Record<string, unknown>;
  };

  app.get('/api/version', { config: { auth: PUBLIC, surface: 'rest' }, schema: { summary: 'The SelfPrivacy API version served', tags: ['selfprivacy'] } }, async () => ({
    version: SELFPRIVACY_API_VERSION,
  }));

  // ---- tokens ----
  app.get('/auth/tokens', opts(need('consumer', 'own'), 'The caller\'s device tokens'), async (req) =>
    (await credentials.listDevices(hearth, me(req))).map((d) => ({ name: d.name, date: d.date, is_caller: d.is_caller })),
  );
  app.delete('/auth/tokens', opts(need('consumer', 'own'), 'Delete a device token by name'), async (req) => {
    const f = fields(req);
    const name = f.token_name ?? f.token;
    if (typeof name !== 'string' || name === '') throw badRequest('missing "token_name": the name of the device to delete');
    await credentials.deleteDevice(hearth, me(req), name);
    return { message: 'Token deleted' };
  });
  app.post('/auth/tokens', opts(need('consumer', 'own'), 'Replace the caller\'s token'), async (req) => credentials.refreshDevice(hearth, me(req)));

  // ---- new devices ----
  app.post('/auth/new_device', opts(needMinting('consumer', 'own'), 'A pairing phrase for a new device'), async (req) => {
    const { token } = await pairing.newPairing(hearth, me(req));
    return { token };
  });
  app.delete('/auth/new_device', opts(need('consumer', 'own'), 'Cancel the pending pairing phrase'), async (req) => {
    await pairing.cancelPairing(hearth, me(req));
    return { message: 'New device key deleted' };
  });
  app.post('/auth/new_device/authorize', opts(PUBLIC, 'Trade a pairing phrase for a device token', PhraseBody), async (req) => {
    const { token } = await pairing.authorizeDevice(hearth, req.body as { token: string; device: string }, from(req));
    return { message: 'Device authorized', token };
  });

  // ---- recovery ----
  app.get('/auth/recovery_token', opts(need('consumer', 'own'), 'Recovery token status'), async (req) => pairing.recoveryStatus(hearth, me(req)));
  app.post('/auth/recovery_token', opts(needMinting('consumer', 'own'), 'Generate a recovery token'), async (req) => {
    const f = fields(req);
    if (f.expiration !== undefined && f.expiration !== null && typeof f.expiration !== 'string') throw badRequest('expiration must be a string like 2026-12-31T23:59:59.000000Z');
    if (f.uses !== undefined && f.uses !== null && typeof f.uses !== 'number') throw badRequest('uses must be a whole number of at least 1');
    return pairing.createRecovery(hearth, me(req), { expiration: f.expiration as string | null | undefined, uses: f.uses as number | null | undefined });
  });
  app.post('/auth/recovery_token/use', opts(PUBLIC, 'Trade the recovery token for a device token', PhraseBody), async (req) => {
    const { token } = await pairing.useRecovery(hearth, req.body as { token: string; device: string }, from(req));
    return { token };
  });

  // ---- users ----
  app.get<{ Querystring: { withMainUser?: string } }>('/users', opts(need('auditor'), 'Usernames; with withMainUser=true the owner first'), async (req) => {
    const all = await accounts.listAccounts(hearth);
    const withMain = req.query.withMainUser === 'true';
    return all.filter((a) => withMain || !a.owner).map((a) => a.username);
  });
  app.post(
    '/users',
    opts(needMinting('maintainer'), 'Create a user', Body({ username: Type.String({ maxLength: 320 }), password: Type.String({ maxLength: 1024 }) })),
    async (req, reply) => {
      const { username, password } = req.body as { username: string; password: string };
      const account = await accounts.createAccount(hearth, me(req), { username, pass: password });
      return reply.status(201).send({ result: 0, username: account.username });
    },
  );
  app.delete<{ Params: { username: string } }>('/users/:username', opts(need('maintainer'), 'Delete a user'), async (req) => {
    const name = accounts.normalizeUsername(hearth, req.params.username);
    await accounts.deleteAccount(hearth, name);
    return { result: 0, username: name };
  });
}
