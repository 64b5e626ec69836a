/** `/bitwarden/identity/…`: prelogin, registration, and the OAuth token endpoint. */
import type { FastifyReply } from 'fastify';
import { PUBLIC } from '../../../auth/policy.js';
import { bodies, invalidGrant, passwordGrant, prelogin, refreshGrant, register, tokenKeys } from '../../../features/vault/service.js';
import { badRequest, HearthError } from '../../../kernel/errors.js';
import type { Hearth } from '../../../kernel/hearth.js';
import { route, type CheckedRequest, type RouteDef } from '../../surface.js';
import { fromBitwarden, signInFromBitwarden } from './shared.js';

export function identityRoutes(hearth: Hearth): RouteDef[] {
  const preloginRoute = (url: string) =>
    route({ method: 'POST', url, auth: PUBLIC, summary: 'KDF settings for an e-mail (defaults for an unknown one)', body: bodies.PreloginBody, handler: kdf });
  return [
    preloginRoute('/identity/accounts/prelogin/password'),
    preloginRoute('/identity/accounts/prelogin'),
    preloginRoute('/api/accounts/prelogin'),
    route({
      method: 'POST',
      url: '/identity/accounts/register/finish',
      auth: PUBLIC,
      summary: 'Register a vault with client-made keys and a registration token',
      body: bodies.RegisterBody,
      handler: registerVault,
    }),
    route({
      method: 'POST',
      url: '/identity/accounts/register',
      auth: PUBLIC,
      summary: 'Register a vault (legacy body); needs a registration token',
      body: bodies.RegisterBody,
      handler: registerVault,
    }),
    route({
      method: 'POST',
      url: '/identity/accounts/register/send-verification-email',
      auth: PUBLIC,
      summary: 'Not by e-mail here: registration tokens come from the native API',
      handler: noEmail,
    }),
    route({
      method: 'POST',
      url: '/identity/connect/token',
      auth: PUBLIC,
      summary: 'OAuth token endpoint: password and refresh_token grants',
      body: bodies.TokenForm,
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      handler: token,
    }),
  ];

  async function kdf(req: CheckedRequest<typeof bodies.PreloginBody>) {
    const k = await prelogin(hearth, req.body.email);
    return { kdf: k.kdfType, kdfIterations: k.iterations, kdfMemory: k.memory, kdfParallelism: k.parallelism, kdfSettings: k, salt: null };
  }

  async function registerVault(req: CheckedRequest<typeof bodies.RegisterBody>) {
    await register(hearth, req.body);
    return { object: 'register', captchaBypassToken: '' };
  }

  function noEmail(): never {
    throw badRequest('this server gives registration tokens to its accounts: run "hearth vault registration_token" (or ask the owner) and register with it');
  }

  async function token(req: CheckedRequest<typeof bodies.TokenForm>, reply: FastifyReply) {
    const f = req.body;
    const grant = f.grant_type;
    if (grant === 'refresh_token') {
      if (!f.refresh_token) throw invalidGrant();
      return refreshGrant(hearth, f.refresh_token, f.client_id ?? '', fromBitwarden(req));
    }
    if (grant !== 'password')
      throw new HearthError('badRequest', `unsupported grant_type ${JSON.stringify(grant ?? null)}: use password or refresh_token`, {
        oauth: 'unsupported_grant_type',
      });
    if (!f.username || !f.password) throw badRequest('username and password are required');
    const identifier = f.deviceidentifier ?? f.device_identifier;
    if (!identifier || identifier.length > 100) throw badRequest('deviceIdentifier is required');
    const type = Number(f.devicetype ?? f.device_type ?? 14);
    const device = {
      identifier,
      name: (f.devicename ?? f.device_name ?? 'unknown').slice(0, 100),
      type: Number.isInteger(type) && type >= 0 && type < 100 ? type : 14,
      clientId: (f.client_id ?? 'cli').slice(0, 40),
    };
    const remember = f.twofactorremember;
    const { tokens, user, twoFactorToken } = await passwordGrant(hearth, f.username, f.password, device, signInFromBitwarden(req, reply), {
      token: f.twofactortoken,
      provider: f.twofactorprovider === undefined || f.twofactorprovider === null ? null : String(f.twofactorprovider),
      remember: remember === true || remember === 1 || remember === '1' || remember === 'true',
    });
    return { ...tokens, ...tokenKeys(user), ...(twoFactorToken ? { TwoFactorToken: twoFactorToken } : {}) };
  }
}
