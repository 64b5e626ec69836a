/** Accounts (Bitmask's `bonafide/user`) and invite codes (`bonafide/invite`). */
import { Type } from '@sinclair/typebox';
import { need, needMinting, PUBLIC, PUBLIC_IDENTIFIED } from '../../auth/policy.js';
import { ROLES } from '../../auth/roles.js';
import { command, type Command } from '../../api/command.js';
import { NoParams, Otp, Params, Password, Role, Time, Username } from '../../api/schemas.js';
import { changePassword, createSession, endSession, resetPassword } from '../credentials/service.js';
import { checkSignIn } from '../two-factor/service.js';
import * as accounts from './service.js';
import { AccountView } from './service.js';

export const COMMANDS: readonly Command[] = [
  command({
    path: 'bonafide/user/create',
    summary: 'Create an account (the first becomes the owner; then as [accounts] registration allows, or by a maintainer)',
    params: Params({
      username: Username('the new account: 2–31 characters of a-z, 0-9 and _ (or `name@domain`)'),
      pass: Password('its password, at least 8 characters'),
      invitecode: Type.Optional(Type.String({ description: 'an invite code, where registration is by invitation', maxLength: 200 })),
      role: Type.Optional({ ...Role, description: `its role (maintainers only; default creator): ${ROLES.join(', ')}` }),
      full_name: Type.Optional(Type.String({ description: 'a full name to show', maxLength: 200 })),
    }),
    result: AccountView,
    auth: PUBLIC_IDENTIFIED,
    run: async ({ hearth, principal }, p) => accounts.describeAccount(hearth, await accounts.createAccount(hearth, principal, p)),
  }),
  command({
    path: 'bonafide/user/list',
    summary: 'Every account, the owner first',
    params: NoParams,
    result: Type.Array(AccountView),
    auth: need('auditor'),
    run: async ({ hearth }) => (await accounts.listAccounts(hearth)).map((a) => accounts.describeAccount(hearth, a)),
  }),
  command({
    path: 'bonafide/user/active',
    summary: "The account of the caller (null for the server owner's global token)",
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
    summary: 'Log in: a session token, used as `Authorization: Token base64(username:token)` (with otp where the account has a second factor)',
    params: Params({
      username: Username(),
      pass: Password("the account's password"),
      otp: Type.Optional(Otp('where the account has a second factor: a current authenticator code or a recovery code')),
    }),
    result: Type.Object({
      token: Type.String(),
      authorization: Type.String({ description: 'the whole Authorization header value to send' }),
      expires_at: Time,
      max_expires_at: Time,
      account: AccountView,
    }),
    auth: PUBLIC,
    run: async ({ hearth, address, surface, userAgent }, p) => {
      const account = await checkSignIn(hearth, p.username, p.pass, { otp: p.otp }, { address, surface });
      const session = await createSession(hearth, account, { address, userAgent });
      return {
        token: session.token,
        authorization: `Token ${Buffer.from(`${account.username}:${session.token}`).toString('base64')}`,
        expires_at: new Date(session.expiresAt).toISOString(),
        max_expires_at: new Date(session.maxExpiresAt).toISOString(),
        account: accounts.describeAccount(hearth, account),
      };
    },
  }),
  command({
    path: 'bonafide/user/logout',
    summary: 'End the login session this call is made with',
    params: NoParams,
    result: Type.Object({ logout: Type.Literal('ok') }),
    auth: need('consumer'),
    run: async ({ hearth, principal }) => {
      await endSession(hearth, principal);
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
      accounts.describeAccount(hearth, await changePassword(hearth, principal, p, { address, surface })),
  }),
  command({
    path: 'bonafide/user/fullname',
    summary: 'Set the full name shown for an account (own; a maintainer: any)',
    params: Params({
      full_name: Type.String({ description: 'the full name, at most 200 characters (empty clears it)', maxLength: 200 }),
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
    run: async ({ hearth, principal }, p) => accounts.describeAccount(hearth, await resetPassword(hearth, principal, p)),
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
    params: NoParams,
    result: Type.Object({ invitecode: Type.String(), expires_at: Time }),
    auth: needMinting('maintainer'),
    run: ({ hearth, principal }) => accounts.createInvite(hearth, principal),
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
