/** The web console's sessions (mox's webauth): `web/*`, cookie + CSRF token; see ./service.ts. */
import { lazy } from '../../kernel/lazy.js';
import { Type } from '@sinclair/typebox';
import { need, PUBLIC } from '../../auth/policy.js';
import { command, type Command } from '../../api/command.js';
import { AccountView, Line, NoParams, NullableString, NullableTime, Otp, Params, Password, Time, Username } from '../../api/schemas.js';
const twoFactor = lazy(() => import('../two-factor/service.js'));
const credentials = lazy(() => import('../credentials/service.js'));

const consoleSessions = lazy(() => import('./service.js'));

const LoginResult = Type.Object({
  csrf: Type.String({ description: 'send it as X-Hearth-CSRF with every call' }),
  account: AccountView,
  expires_at: Time,
  max_expires_at: Time,
});

export const COMMANDS: readonly Command[] = [
  command({
    path: 'web/loginprep',
    summary: 'Start a console login: a login token, also set as the hearth_login cookie for 30 seconds (one attempt)',
    params: NoParams,
    result: Type.Object({ loginToken: Type.String() }),
    auth: PUBLIC,
    run: ({ cookies }) => consoleSessions.loginPrep(cookies),
  }),
  command({
    path: 'web/login',
    summary: 'Log in to the console: sets the hearth_session cookie and answers the CSRF token for X-Hearth-CSRF',
    params: Params({
      loginToken: Type.String({ description: 'the token from web/loginprep (its cookie must come along)', minLength: 1, maxLength: 200 }),
      username: Username(),
      password: Password("the account's password"),
      otp: Type.Optional(Otp('where the account has a second factor: a current authenticator code or a recovery code')),
      passkey: Type.Optional(
        Type.Unknown({ description: "instead of otp: a passkey's answer (navigator.credentials.get) to the challenge user:needSecondFactor gave" }),
      ),
    }),
    result: LoginResult,
    auth: PUBLIC,
    run: ({ hearth, cookies, address, userAgent, device }, p) => consoleSessions.login(hearth, cookies, p, { address, surface: 'console', device }, userAgent),
  }),
  command({
    path: 'web/passkey/options',
    summary: 'Start signing in with a passkey alone: a challenge for navigator.credentials.get (any passkey of this server)',
    params: NoParams,
    result: Type.Unknown({ description: 'PublicKeyCredentialRequestOptionsJSON' }),
    auth: PUBLIC,
    run: ({ hearth }) => twoFactor.passkeyLoginOptions(hearth),
  }),
  command({
    path: 'web/passkey/login',
    summary: 'Log in to the console with a passkey alone (its user verified): as web/login, with the answer to web/passkey/options',
    params: Params({
      loginToken: Type.String({ description: 'the token from web/loginprep (its cookie must come along)', minLength: 1, maxLength: 200 }),
      response: Type.Unknown({ description: "the passkey's answer (navigator.credentials.get)" }),
    }),
    result: LoginResult,
    auth: PUBLIC,
    run: ({ hearth, cookies, address, userAgent }, p) => consoleSessions.loginWithPasskey(hearth, cookies, p, { address, surface: 'console' }, userAgent),
  }),
  command({
    path: 'web/logout',
    summary: 'End the session this call is made with and clear its cookie',
    params: NoParams,
    result: Type.Object({ logout: Type.Literal('ok') }),
    auth: need('consumer'),
    run: async ({ hearth, principal, cookies }) => {
      await consoleSessions.logout(hearth, principal, cookies);
      return { logout: 'ok' as const };
    },
  }),
  command({
    path: 'web/setpassword',
    summary: "Change the caller's password; every other session and credential of the account ends, this one stays",
    params: Params({ oldPassword: Password('the current password'), newPassword: Password('the new password, at least 8 characters') }),
    result: AccountView,
    auth: need('consumer'),
    run: ({ hearth, principal, address }, p) => consoleSessions.setPassword(hearth, principal, p, { address, surface: 'console' }),
  }),
  command({
    path: 'web/sessions',
    summary: "The login sessions of the caller's account (console and token), most recently used first",
    params: NoParams,
    result: Type.Array(
      Type.Object({
        id: Type.String(),
        kind: Type.String({ description: 'console (cookie and CSRF token) or token (Authorization: Token)' }),
        created_at: Time,
        last_used: NullableTime,
        expires_at: Time,
        max_expires_at: Time,
        address: NullableString,
        user_agent: NullableString,
        is_caller: Type.Boolean(),
      }),
    ),
    auth: need('consumer'),
    run: ({ hearth, principal }) => credentials.listSessions(hearth, principal),
  }),
  command({
    path: 'web/endsession',
    summary: "End one login session of the caller's account by id",
    params: Params({ id: Line({ description: "the session's id, as web/sessions shows it", minLength: 1, maxLength: 100 }) }),
    result: Type.Object({ ended: Type.String() }),
    auth: need('consumer'),
    run: async ({ hearth, principal }, p) => {
      await credentials.endSessionById(hearth, principal, p.id);
      return { ended: p.id };
    },
  }),
  command({
    path: 'web/logoutothers',
    summary: "Sign out everywhere else: end every login session of the caller's account but this one",
    params: NoParams,
    result: Type.Object({ ended: Type.Integer({ description: 'how many sessions ended' }) }),
    auth: need('consumer'),
    run: async ({ hearth, principal }) => ({ ended: await credentials.endOtherSessions(hearth, principal) }),
  }),
];
