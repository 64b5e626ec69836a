/** Accounts (Bitmask's `bonafide/user`) and invite codes (`bonafide/invite`). */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need, needMinting, PUBLIC, PUBLIC_IDENTIFIED } from '../../auth/policy.js';
import { ROLES } from '../../auth/roles.js';
import { command, type Command } from '../../api/command.js';
import { AccountView, Line, NoParams, Otp, Params, Password, Role, Time, Username } from '../../api/schemas.js';
import type { Hearth } from '../../kernel/hearth.js';
import type { NewSession } from '../credentials/service.js';
import type { Account } from './service.js';

const accounts = lazy(() => import('./service.js'));
const credentials = lazy(() => import('../credentials/service.js'));
const twoFactor = lazy(() => import('../two-factor/service.js'));
const providers = lazy(() => import('../providers/service.js'));

/** What a login answers (`authenticate`, `recover`). */
const LoginSession = Type.Object({
  token: Type.String(),
  authorization: Type.String({ description: 'the whole Authorization header value to send' }),
  expires_at: Time,
  max_expires_at: Time,
  account: AccountView,
});

const loginAnswer = async (hearth: Hearth, account: Account, session: NewSession) => ({
  token: session.token,
  authorization: `Token ${Buffer.from(`${account.username}:${session.token}`).toString('base64')}`,
  expires_at: new Date(session.expiresAt).toISOString(),
  max_expires_at: new Date(session.maxExpiresAt).toISOString(),
  account: await accounts.describeAccount(hearth, account),
});

export const COMMANDS: readonly Command[] = [
  command({
    path: 'bonafide/user/create',
    summary:
      'Create an account (the first becomes the owner, and needs the setup code or the global token; then as [accounts] registration allows, or by a maintainer)',
    params: Params({
      username: Username('the new account: 2–31 characters of a-z, 0-9 and _ (or `name@domain`)'),
      pass: Password('its password, at least 8 characters'),
      invitecode: Type.Optional(Type.String({ description: 'an invite code, where registration is by invitation', maxLength: 200 })),
      role: Type.Optional({ ...Role, description: `its role (maintainers only; default creator): ${ROLES.join(', ')}` }),
      full_name: Type.Optional(Line({ description: 'a full name to show (surrounding spaces are trimmed)', maxLength: 200 })),
      setup_code: Type.Optional(
        Type.String({
          description:
            "the first account only, without a maintainer's credential: the setup code from `setup-code` in Hearth's home (or the link hearthd prints)",
          maxLength: 200,
        }),
      ),
    }),
    result: AccountView,
    auth: PUBLIC_IDENTIFIED,
    run: async ({ hearth, principal, address, surface }, p) =>
      accounts.describeAccount(
        hearth,
        await accounts.createAccount(hearth, principal, p, { from: { address, surface }, onOwner: (tx, a) => credentials.adoptForOwner(tx, a.id) }),
      ),
  }),
  command({
    path: 'bonafide/user/list',
    summary: 'Every account, the owner first',
    params: NoParams,
    result: Type.Array(AccountView),
    auth: need('auditor'),
    run: async ({ hearth }) => {
      const list = await accounts.listAccounts(hearth);
      return Promise.all(list.map((a) => accounts.describeAccount(hearth, a)));
    },
  }),
  command({
    path: 'bonafide/user/active',
    summary: "The account of the caller (the global token: the owner's; null while no account exists)",
    params: NoParams,
    result: Type.Union([AccountView, Type.Null()]),
    auth: need('consumer'),
    run: async ({ hearth, principal }) => {
      if (!principal.account) return null;
      return accounts.describeAccount(hearth, await accounts.getAccount(hearth, principal.account.username));
    },
  }),
  command({
    path: 'bonafide/user/authenticate',
    summary:
      'Log in: a session token, used as `Authorization: Token base64(username:token)` (with otp where the account has a second factor); `user@provider` for a known provider signs in there and keeps the session here',
    params: Params({
      username: Username(),
      pass: Password("the account's password"),
      otp: Type.Optional(Otp('where the account has a second factor: a current authenticator code or a recovery code')),
      autoconf: Type.Optional(
        Type.Boolean({
          description: 'for `user@provider`: add the provider first (as bonafide/provider/create, maintainers only) if it is not known yet',
        }),
      ),
    }),
    // The remote answer first: an answer with `provider` is serialized whole, as the provider gave it.
    result: Type.Union([
      Type.Object(
        { provider: Type.String({ description: 'the known provider signed in at (for `user@provider`)' }), token: Type.String() },
        { additionalProperties: true, description: "at another provider: that provider's answer, and which provider; the session is kept here for the caller" },
      ),
      LoginSession,
    ]),
    // A credential presented counts: a session at another provider is kept for the caller.
    auth: PUBLIC_IDENTIFIED,
    run: async ({ hearth, principal, address, surface, userAgent, device }, p) => {
      // user@provider, for a known provider that is not this server: sign in there, keep the session here.
      if (await providers.remoteUser(hearth, p.username)) return providers.authenticateRemote(hearth, principal, p);
      const account = await twoFactor.checkSignIn(hearth, p.username, p.pass, { otp: p.otp }, { address, surface, device });
      return loginAnswer(hearth, account, await credentials.createSession(hearth, account, { address, userAgent }));
    },
  }),
  command({
    path: 'bonafide/user/recover',
    summary: "A forgotten password: the account's recovery token sets a new one (spends one use; every other credential of the account ends) and logs in",
    params: Params({
      token: Type.String({ description: 'the recovery token (`recovery/create`): its 18 words, separated by spaces', writeOnly: true, maxLength: 400 }),
      newpass: Password('the new password, at least 8 characters'),
      otp: Type.Optional(Otp('where the account has a second factor: a current authenticator code or a recovery code')),
    }),
    result: LoginSession,
    auth: PUBLIC,
    run: async ({ hearth, address, surface, userAgent }, p) => {
      const { account, session } = await credentials.recoverPassword(hearth, p, { address, surface }, { address, userAgent });
      return loginAnswer(hearth, account, session);
    },
  }),
  command({
    path: 'bonafide/user/logout',
    summary: 'End the login session this call is made with',
    params: NoParams,
    result: Type.Object({ logout: Type.Literal('ok') }),
    auth: need('consumer'),
    run: async ({ hearth, principal }) => {
      await credentials.endSession(hearth, principal);
      return { logout: 'ok' as const };
    },
  }),
  command({
    path: 'bonafide/user/update',
    summary: 'Change a password (the old one is needed); every other credential of the account is revoked',
    params: Params({
      username: Type.Optional(Username("the account (default: the caller's own)")),
      oldpass: Password('the current password'),
      newpass: Password('the new password, at least 8 characters'),
    }),
    result: AccountView,
    auth: needMinting('consumer'),
    run: async ({ hearth, principal, address, surface }, p) =>
      accounts.describeAccount(hearth, await credentials.changePassword(hearth, principal, p, { address, surface })),
  }),
  command({
    path: 'bonafide/user/fullname',
    summary: 'Set the full name shown for an account (own; a maintainer: any)',
    params: Params({
      full_name: Line({ description: 'the full name, at most 200 characters (surrounding spaces are trimmed; empty clears it)', maxLength: 200 }),
      username: Type.Optional(Username("the account (default: the caller's own)")),
    }),
    result: AccountView,
    auth: need('consumer'),
    run: async ({ hearth, principal }, p) => accounts.describeAccount(hearth, await accounts.setFullName(hearth, principal, p)),
  }),
  command({
    path: 'bonafide/user/reset',
    summary: "Set another account's password without the old one; all its credentials are revoked",
    params: Params({ username: Username(), newpass: Password('the new password, at least 8 characters') }),
    result: AccountView,
    auth: needMinting('maintainer'),
    run: async ({ hearth, principal }, p) => accounts.describeAccount(hearth, await credentials.resetPassword(hearth, principal, p)),
  }),
  command({
    path: 'bonafide/user/role',
    summary: "Change an account's role (never the last maintainer's)",
    params: Params({ username: Username(), role: Role }),
    result: AccountView,
    auth: needMinting('maintainer'),
    run: async ({ hearth }, p) => accounts.describeAccount(hearth, await accounts.setRole(hearth, p.username, p.role)),
  }),
  command({
    path: 'bonafide/user/delete',
    summary: 'Delete an account and every credential it holds (never the last maintainer)',
    params: Params({ username: Username() }),
    result: Type.Object({ deleted: Type.String() }),
    auth: need('maintainer'),
    run: async ({ hearth }, p) => ({ deleted: await accounts.deleteAccount(hearth, p.username) }),
  }),
  command({
    path: 'bonafide/invite/create',
    summary: 'A single-use invite code for registration by invitation',
    params: Params({
      expires_in: Type.Optional(
        Type.Integer({ description: 'seconds it stays valid (default `[accounts] invite_ttl`; 60 to 2592000, 30 days)', minimum: 60, maximum: 2_592_000 }),
      ),
    }),
    result: Type.Object({ invitecode: Type.String(), expires_at: Time }),
    auth: needMinting('maintainer'),
    run: ({ hearth, principal }, p) => accounts.createInvite(hearth, principal, p.expires_in),
  }),
  command({
    path: 'bonafide/invite/revoke',
    summary: 'Revoke an invite code not yet used, by its id (from bonafide/invite/list)',
    params: Params({ id: Line({ description: "the invite's id", minLength: 1, maxLength: 100 }) }),
    result: Type.Object({ revoked: Type.String() }),
    auth: need('maintainer'),
    run: async ({ hearth }, p) => {
      await accounts.revokeInvite(hearth, p.id);
      return { revoked: p.id };
    },
  }),
  command({
    path: 'bonafide/invite/list',
    summary: 'Invite codes not yet used or expired (the codes themselves are not kept)',
    params: NoParams,
    result: Type.Array(Type.Object({ id: Type.String(), created_at: Time, expires_at: Time })),
    auth: need('maintainer'),
    run: ({ hearth }) => accounts.listInvites(hearth),
  }),
];
