/** Every native command, in the order the CLI's help lists them. */
import { Type, type TSchema } from '@sinclair/typebox';
import { need, needMinting, PUBLIC, PUBLIC_IDENTIFIED } from '../auth/policy.js';
import { ROLES } from '../auth/roles.js';
import * as accounts from '../core/accounts.js';
import * as credentials from '../core/credentials.js';
import * as limits from '../core/limits.js';
import * as pairing from '../core/pairing.js';
import * as roleTokens from '../core/role-tokens.js';
import * as system from '../core/system.js';
import * as web from '../core/web.js';
import * as vault from '../core/vault/accounts.js';
import { authed, command, type Command } from './command.js';

const NoParams = Type.Object({}, { additionalProperties: false });
const Params = <T extends Record<string, TSchema>>(props: T) => Type.Object(props, { additionalProperties: false });

/** `string | null` as one JSON Schema type list (serializes much faster than an anyOf). */
const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });

/** A password: `writeOnly` tells the CLI to ask for it rather than take it from the command line. */
const Password = (description: string) => Type.String({ description, writeOnly: true, maxLength: 1024 });
const Username = (description = 'the account, as `name` or `name@domain`') => Type.String({ description, minLength: 1, maxLength: 320 });
const Role = Type.Union(ROLES.map((r) => Type.Literal(r)), { description: `one of ${ROLES.join(', ')}` });
const DeviceName = Type.String({ description: 'a name for the new device (characters outside a-z, A-Z, 0-9 become _)', maxLength: 200 });
const Phrase = (what: string) => Type.String({ description: `the ${what}, as its words separated by spaces`, maxLength: 400 });

const core: Command<any>[] = [
  command({
    path: 'core/version',
    summary: 'Version of the core and of the API',
    params: NoParams,
    result: Type.Object({ version_core: Type.String(), api_version: Type.String() }),
    auth: PUBLIC,
    run: () => system.version(),
  }),
  command({
    path: 'core/stats',
    summary: 'Uptime, requests answered per surface, accounts, store kind',
    params: NoParams,
    auth: PUBLIC,
    requires: ['store'],
    run: ({ hearth }) => system.stats(hearth),
  }),
  command({
    path: 'core/status',
    summary: 'State of the daemon and of each component',
    params: NoParams,
    auth: need('auditor'),
    run: ({ hearth }) => system.status(hearth),
  }),
  command({
    path: 'core/whoami',
    summary: 'The credential this call was made with: kind, account, role',
    params: NoParams,
    result: Type.Object({
      credential: NullableString,
      credential_id: Type.Optional(Type.String()),
      account: NullableString,
      role: NullableString,
      owner: Type.Boolean(),
    }),
    auth: need('consumer', 'own'),
    run: ({ principal }) => system.whoami(principal),
  }),
  command({
    path: 'core/stop',
    summary: 'Stop the daemon gracefully (answers first)',
    params: NoParams,
    auth: need('maintainer'),
    run: ({ hearth }) => system.stop(hearth),
  }),
];

const STORE = ['store'] as const;

const users: Command<any>[] = [
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
    auth: PUBLIC_IDENTIFIED,
    requires: STORE,
    run: async ({ hearth, principal }, p) => accounts.describeAccount(hearth, await accounts.createAccount(hearth, principal, p)),
  }),
  command({
    path: 'bonafide/user/list',
    summary: 'Every account, the owner first',
    params: NoParams,
    auth: need('auditor'),
    requires: STORE,
    run: async ({ hearth }) => (await accounts.listAccounts(hearth)).map((a) => accounts.describeAccount(hearth, a)),
  }),
  command({
    path: 'bonafide/user/active',
    summary: 'The account of the caller (null for the server owner\'s global token)',
    params: NoParams,
    auth: need('consumer', 'own'),
    requires: STORE,
    run: async ({ hearth, principal }) => {
      if (!principal?.account) return null;
      return accounts.describeAccount(hearth, await accounts.getAccount(hearth, principal.account.username));
    },
  }),
  command({
    path: 'bonafide/user/authenticate',
    summary: 'Log in: a session token, used as `Authorization: Token base64(username:token)`',
    params: Params({ username: Username(), pass: Password('the account\'s password') }),
    auth: PUBLIC,
    requires: STORE,
    run: async ({ hearth, address, surface }, p) => {
      const account = await accounts.checkLogin(hearth, p.username, p.pass, { address, surface });
      const session = await credentials.createSession(hearth, account);
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
    auth: need('consumer', 'own'),
    requires: STORE,
    run: async (ctx) => {
      await credentials.endSession(ctx.hearth, authed(ctx).principal);
      return { logout: 'ok' };
    },
  }),
  command({
    path: 'bonafide/user/update',
    summary: 'Change a password (the old one is needed); every other credential of the account is revoked',
    params: Params({
      username: Type.Optional(Username('the account (default: the caller\'s own)')),
      oldpass: Password('the current password'),
      newpass: Password('the new password, at least 8 characters'),
    }),
    auth: needMinting('consumer', 'own'),
    requires: STORE,
    run: async (ctx, p) => {
      const { hearth, principal, address, surface } = authed(ctx);
      return accounts.describeAccount(hearth, await accounts.updatePassword(hearth, principal, p, { address, surface }));
    },
  }),
  command({
    path: 'bonafide/user/fullname',
    summary: 'Set the full name shown for an account (own; a maintainer: any)',
    params: Params({
      full_name: Type.String({ description: 'the full name, at most 200 characters (empty clears it)', maxLength: 200 }),
      username: Type.Optional(Username('the account (default: the caller\'s own)')),
    }),
    auth: need('consumer', 'own'),
    requires: STORE,
    run: async (ctx, p) => {
      const { hearth, principal } = authed(ctx);
      return accounts.describeAccount(hearth, await accounts.setFullName(hearth, principal, p));
    },
  }),
  command({
    path: 'bonafide/user/reset',
    summary: 'Set another account\'s password without the old one; all its credentials are revoked',
    params: Params({ username: Username(), newpass: Password('the new password, at least 8 characters') }),
    auth: needMinting('maintainer'),
    requires: STORE,
    run: async (ctx, p) => accounts.describeAccount(ctx.hearth, await accounts.resetPassword(ctx.hearth, authed(ctx).principal, p)),
  }),
  command({
    path: 'bonafide/user/role',
    summary: 'Change an account\'s role (never the last maintainer\'s)',
    params: Params({ username: Username(), role: Role }),
    auth: needMinting('maintainer'),
    requires: STORE,
    run: async ({ hearth }, p) => accounts.describeAccount(hearth, await accounts.setRole(hearth, p.username, p.role)),
  }),
  command({
    path: 'bonafide/user/delete',
    summary: 'Delete an account and every credential it holds (never the last maintainer)',
    params: Params({ username: Username() }),
    auth: need('maintainer'),
    requires: STORE,
    run: async ({ hearth }, p) => {
      await accounts.deleteAccount(hearth, p.username);
      return { deleted: accounts.normalizeUsername(hearth, p.username) };
    },
  }),
  command({
    path: 'bonafide/invite/create',
    summary: 'A single-use invite code for registration by invitation',
    params: NoParams,
    auth: needMinting('maintainer'),
    requires: STORE,
    run: (ctx) => pairing.createInvite(ctx.hearth, authed(ctx).principal),
  }),
  command({
    path: 'bonafide/invite/list',
    summary: 'Invite codes not yet used or expired (the codes themselves are not kept)',
    params: NoParams,
    auth: need('maintainer'),
    requires: STORE,
    run: ({ hearth }) => pairing.listInvites(hearth),
  }),
];

const devices: Command<any>[] = [
  command({
    path: 'device/list',
    summary: 'The caller\'s device tokens: name, creation date, last use, and which is the caller',
    params: NoParams,
    auth: need('consumer', 'own'),
    requires: STORE,
    run: (ctx) => credentials.listDevices(ctx.hearth, authed(ctx).principal),
  }),
  command({
    path: 'device/revoke',
    summary: 'Revoke one of the caller\'s devices by name (not the one making the call)',
    params: Params({ name: Type.String({ description: 'the device\'s name, as device/list shows it', minLength: 1, maxLength: 200 }) }),
    auth: need('consumer', 'own'),
    requires: STORE,
    run: async (ctx, p) => {
      await credentials.deleteDevice(ctx.hearth, authed(ctx).principal, p.name);
      return { revoked: p.name };
    },
  }),
  command({
    path: 'device/refresh',
    summary: 'Replace the calling device\'s token; the old one stops working at once',
    params: NoParams,
    auth: need('consumer', 'own'),
    requires: STORE,
    run: (ctx) => credentials.refreshDevice(ctx.hearth, authed(ctx).principal),
  }),
  command({
    path: 'device/pair',
    summary: 'A pairing phrase for a new device: 12 words, valid 10 minutes, single use',
    params: NoParams,
    auth: needMinting('consumer', 'own'),
    requires: STORE,
    run: (ctx) => pairing.newPairing(ctx.hearth, authed(ctx).principal),
  }),
  command({
    path: 'device/unpair',
    summary: 'Cancel the caller\'s pending pairing phrase',
    params: NoParams,
    auth: need('consumer', 'own'),
    requires: STORE,
    run: async (ctx) => {
      await pairing.cancelPairing(ctx.hearth, authed(ctx).principal);
      return { cancelled: true };
    },
  }),
  command({
    path: 'device/authorize',
    summary: 'On the new device: trade a pairing phrase for a device token',
    params: Params({ token: Phrase('pairing phrase'), device: DeviceName }),
    auth: PUBLIC,
    requires: STORE,
    run: ({ hearth, address, surface }, p) => pairing.authorizeDevice(hearth, p, { address, surface }),
  }),
  command({
    path: 'recovery/create',
    summary: 'A recovery token (18 words) that gives device tokens; replaces any earlier one',
    params: Params({
      expiration: Type.Optional(Type.String({ description: 'when it stops working, UTC, e.g. 2026-12-31T23:59:59.000000Z' })),
      uses: Type.Optional(Type.Integer({ description: 'how many devices it may authorize (at least 1; default unlimited)' })),
    }),
    auth: needMinting('consumer', 'own'),
    requires: STORE,
    run: (ctx, p) => pairing.createRecovery(ctx.hearth, authed(ctx).principal, p),
  }),
  command({
    path: 'recovery/status',
    summary: 'Whether a recovery token exists and is valid, its dates and uses left',
    params: NoParams,
    auth: need('consumer', 'own'),
    requires: STORE,
    run: (ctx) => pairing.recoveryStatus(ctx.hearth, authed(ctx).principal),
  }),
  command({
    path: 'recovery/use',
    summary: 'Trade the recovery token for a device token (spends one use)',
    params: Params({ token: Phrase('recovery token'), device: DeviceName }),
    auth: PUBLIC,
    requires: STORE,
    run: ({ hearth, address, surface }, p) => pairing.useRecovery(hearth, p, { address, surface }),
  }),
];

const tokens: Command<any>[] = [
  command({
    path: 'token/create',
    summary: 'A role token for automation (as POST /auth gives), without the admin password',
    params: Params({ role: Role, expiry: Type.Integer({ description: 'lifetime in seconds (cut to [security] max_token_ttl)', minimum: 1 }) }),
    auth: needMinting('maintainer'),
    requires: STORE,
    run: ({ hearth }, p) => roleTokens.issueRoleToken(hearth, p),
  }),
  command({
    path: 'token/list',
    summary: 'Role tokens not yet expired: id, role, dates, whether revoked',
    params: NoParams,
    auth: need('maintainer'),
    requires: STORE,
    run: ({ hearth }) => roleTokens.listRoleTokens(hearth),
  }),
  command({
    path: 'token/revoke',
    summary: 'End a role token before its expiry, on every replica',
    params: Params({ id: Type.String({ description: 'the token\'s id, as token/list shows it', minLength: 1, maxLength: 100 }) }),
    auth: need('maintainer'),
    requires: STORE,
    run: async ({ hearth }, p) => {
      await roleTokens.revokeRoleToken(hearth, p.id);
      return { revoked: p.id };
    },
  }),
  command({
    path: 'auth/log',
    summary: 'Recent logins and failed attempts on every surface, newest first',
    params: Params({
      limit: Type.Optional(Type.Integer({ description: 'how many entries (default 50, at most 1000)', minimum: 1, maximum: 1000 })),
      failures: Type.Optional(Type.Boolean({ description: 'only failed attempts' })),
    }),
    auth: need('auditor'),
    requires: STORE,
    run: ({ hearth }, p) => limits.loginLog(hearth, p.limit ?? 50, p.failures ?? false),
  }),
];

/** The web console's sessions (mox's webauth): cookie + CSRF token, see src/core/web.ts. */
const console_: Command<any>[] = [
  command({
    path: 'web/loginprep',
    summary: 'Start a console login: a login token, also set as the hearth_login cookie for 30 seconds (one attempt)',
    params: NoParams,
    auth: PUBLIC,
    requires: STORE,
    run: ({ cookies }) => web.loginPrep(cookies),
  }),
  command({
    path: 'web/login',
    summary: 'Log in to the console: sets the hearth_session cookie and answers the CSRF token for X-Hearth-CSRF',
    params: Params({
      loginToken: Type.String({ description: 'the token from web/loginprep (its cookie must come along)', minLength: 1, maxLength: 200 }),
      username: Username(),
      password: Password('the account\'s password'),
    }),
    auth: PUBLIC,
    requires: STORE,
    run: ({ hearth, cookies, address }, p) => web.login(hearth, cookies, p, { address, surface: 'console' }),
  }),
  command({
    path: 'web/logout',
    summary: 'End the session this call is made with and clear its cookie',
    params: NoParams,
    auth: need('consumer', 'own'),
    requires: STORE,
    run: async (ctx) => {
      await web.logout(ctx.hearth, authed(ctx).principal, ctx.cookies);
      return { logout: 'ok' };
    },
  }),
  command({
    path: 'web/setpassword',
    summary: 'Change the caller\'s password; every other session and credential of the account ends, this one stays',
    params: Params({ oldPassword: Password('the current password'), newPassword: Password('the new password, at least 8 characters') }),
    auth: need('consumer', 'own'),
    requires: STORE,
    run: (ctx, p) => {
      const { hearth, principal, address } = authed(ctx);
      return web.setPassword(hearth, principal, p, { address, surface: 'console' });
    },
  }),
  command({
    path: 'web/sessions',
    summary: 'The login sessions of the caller\'s account (console and token), most recently used first',
    params: NoParams,
    auth: need('consumer', 'own'),
    requires: STORE,
    run: (ctx) => credentials.listSessions(ctx.hearth, authed(ctx).principal),
  }),
  command({
    path: 'web/endsession',
    summary: 'End one login session of the caller\'s account by id',
    params: Params({ id: Type.String({ description: 'the session\'s id, as web/sessions shows it', minLength: 1, maxLength: 100 }) }),
    auth: need('consumer', 'own'),
    requires: STORE,
    run: async (ctx, p) => {
      await credentials.endSessionById(ctx.hearth, authed(ctx).principal, p.id);
      return { ended: p.id };
    },
  }),
  command({
    path: 'web/logoutothers',
    summary: 'Sign out everywhere else: end every login session of the caller\'s account but this one',
    params: NoParams,
    auth: need('consumer', 'own'),
    requires: STORE,
    run: async (ctx) => ({ ended: await credentials.endOtherSessions(ctx.hearth, authed(ctx).principal) }),
  }),
];


const vaults: Command<any>[] = [
  command({
    path: 'vault/registration_token',
    summary: 'A single-use token (valid 24 h) to register a Bitwarden vault for an account: yours, or (maintainers) anyone\'s',
    params: Params({ username: Type.Optional(Username('the account (default: the caller\'s own)')) }),
    auth: needMinting('consumer', 'own'),
    requires: STORE,
    run: (ctx, p) => vault.registrationToken(ctx.hearth, authed(ctx).principal, p.username),
  }),
  command({
    path: 'vault/status',
    summary: 'Your own vault: registered or not, its e-mail, KDF, item count, last sync, and the server URL for Bitwarden apps (never contents)',
    params: NoParams,
    auth: need('consumer', 'own'),
    requires: STORE,
    run: (ctx) => vault.vaultStatus(ctx.hearth, authed(ctx).principal),
  }),
  command({
    path: 'vault/accounts',
    summary: 'Every vault: account, KDF, item and folder counts, last sync, devices (never contents)',
    params: NoParams,
    auth: need('maintainer'),
    requires: STORE,
    run: ({ hearth }) => vault.listVaults(hearth),
  }),
  command({
    path: 'vault/delete',
    summary: 'Delete an account\'s vault (keys, items, folders, devices); the account stays',
    params: Params({ username: Username() }),
    auth: need('maintainer'),
    requires: STORE,
    run: async ({ hearth }, p) => {
      await vault.deleteVault(hearth, p.username);
      return { deleted: p.username };
    },
  }),
];

export const COMMANDS: readonly Command<any>[] = [...core, ...users, ...devices, ...tokens, ...console_, ...vaults];
