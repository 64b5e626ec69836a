/**
 * The console's sessions, after mox's webauth: `LoginPrep` sets a short-lived login cookie and
 * answers the same token, `Login` needs both (so another site cannot log a browser in), checks
 * the password through the failed-login limits, creates a server-side session and answers its
 * CSRF token. The session cookie is HttpOnly and SameSite=Strict; every call sends the CSRF token
 * as `X-Hearth-CSRF` (checked by the `cookie` resolver). Unlike mox, the store keeps only the
 * SHA-256 of both tokens, every comparison is constant-time, and a session also ends at
 * `[accounts] session_max_age` however much it is used.
 */
import type { CookieJar } from '../../auth/cookies.js';
import { ownAccount } from '../../auth/ownership.js';
import type { Principal } from '../../auth/principal.js';
import { randomSecret, secretsEqual } from '../../auth/secrets.js';
import { badRequest, HearthError } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { describeAccount, type Account } from '../accounts/service.js';
import { changePassword, createSession, endSession } from '../credentials/service.js';
import type { From } from '../limits/service.js';
import { checkSignIn, signInWithPasskey } from '../two-factor/service.js';

/** The cookies' plain names; over HTTPS the surface adds the `__Host-` prefix. */
export const LOGIN_COOKIE = 'hearth_login';
export const SESSION_COOKIE = 'hearth_session';
/** The header every console call carries its CSRF token in. */
export const CSRF_HEADER = 'x-hearth-csrf';
/** Seconds a login token lives: one login attempt (mox). */
export const LOGIN_TOKEN_TTL = 30;

function jar(cookies: CookieJar | undefined): CookieJar {
  if (!cookies) throw badRequest('console sessions live in browser cookies; this surface has none (use bonafide/user/authenticate)');
  return cookies;
}

/**
 * A login token (32 random bytes), set as the `hearth_login` cookie for 30 s and answered. A
 * login starts from no session: a session cookie the browser still holds (from an ended session,
 * or a server set up afresh) is cleared, so it cannot get in the way of the calls before login.
 */
export function loginPrep(cookies: CookieJar | undefined): { loginToken: string } {
  const c = jar(cookies);
  const loginToken = randomSecret(32);
  c.set(LOGIN_COOKIE, loginToken, { maxAge: LOGIN_TOKEN_TTL });
  if (c.get(SESSION_COOKIE) !== undefined) c.clear(SESSION_COOKIE);
  return { loginToken };
}

/**
 * Logs in: the `hearth_login` cookie must equal `loginToken` (compared in constant time), then
 * the password is checked with the failed-login limits. The login cookie is spent whatever the
 * outcome; on success the session cookie is set and the CSRF token answered.
 */
export async function login(
  h: Hearth,
  cookies: CookieJar | undefined,
  p: { loginToken: string; username: string; password: string; otp?: string; passkey?: unknown },
  from: From,
  userAgent?: string,
) {
  const c = spendLoginCookie(cookies, p.loginToken);
  const account = await checkSignIn(h, p.username, p.password, { otp: p.otp, passkey: p.passkey, console: true }, from);
  return startSession(h, c, account, from, userAgent);
}

/** Logs in with a passkey alone (a discoverable credential), after web/passkey/options; as `login` otherwise. */
export async function loginWithPasskey(
  h: Hearth,
  cookies: CookieJar | undefined,
  p: { loginToken: string; response: unknown },
  from: From,
  userAgent?: string,
) {
  const c = spendLoginCookie(cookies, p.loginToken);
  const account = await signInWithPasskey(h, p.response, from);
  return startSession(h, c, account, from, userAgent);
}

/** The login cookie must equal `loginToken` (constant time); it is spent whatever the outcome. */
function spendLoginCookie(cookies: CookieJar | undefined, loginToken: string): CookieJar {
  const c = jar(cookies);
  const cookie = c.get(LOGIN_COOKIE);
  c.clear(LOGIN_COOKIE);
  if (cookie === undefined || !secretsEqual(cookie, loginToken)) {
    throw badRequest(
      cookie === undefined
        ? 'the login cookie is missing: call web/loginprep first, from the same browser, at most 30 seconds before (behind a reverse proxy, check that it passes cookies)'
        : 'loginToken does not match the login cookie: call web/loginprep again',
    );
  }
  return c;
}

async function startSession(h: Hearth, c: CookieJar, account: Account, from: From, userAgent?: string) {
  const session = await createSession(h, account, { csrf: true, address: from.address, userAgent });
  c.set(SESSION_COOKIE, session.token);
  return {
    csrf: session.csrf!,
    account: describeAccount(h, account),
    expires_at: new Date(session.expiresAt).toISOString(),
    max_expires_at: new Date(session.maxExpiresAt).toISOString(),
  };
}

/** Ends the session the call was made with, and clears its cookie. */
export async function logout(h: Hearth, principal: Principal, cookies: CookieJar | undefined): Promise<void> {
  await endSession(h, principal);
  cookies?.clear(SESSION_COOKIE);
}

/**
 * Changes the caller's password (old and new, at least 8 characters). Every other session and
 * credential of the account ends; the one making the call stays (mox's SetPassword).
 */
export async function setPassword(h: Hearth, principal: Principal, p: { oldPassword: string; newPassword: string }, from: From) {
  ownAccount(principal, 'this credential belongs to no account; there is no password to change');
  try {
    return describeAccount(h, await changePassword(h, principal, { oldpass: p.oldPassword, newpass: p.newPassword }, from));
  } catch (err) {
    if (err instanceof HearthError && err.code === 'user:badLogin') throw new HearthError('user:badLogin', 'oldPassword is not the current password');
    if (err instanceof HearthError && err.code === 'badRequest') throw badRequest(err.message.replace(/^newpass\b/, 'newPassword'));
    throw err;
  }
}
