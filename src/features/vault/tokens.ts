/**
 * Logging in to a vault: the OAuth password grant (the client's master-password hash, under the
 * failed-login limits), rotating refresh tokens (one row per client device, SHA-256 only), and
 * short-lived JWT access tokens that name the device and the account's security stamp, so a new
 * stamp or a logged-out device ends them at once.
 */
import { hkdfSync } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { verifyPassword } from '../../auth/passwords.js';
import type { Principal } from '../../auth/principal.js';
import { newId, randomSecret, tokenHash } from '../../auth/secrets.js';
import { HearthError } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { accountById, type Account } from '../accounts/service.js';
import { bitwardenSecondFactor, rememberDevice } from '../two-factor/service.js';
import { guarded, type From } from '../limits/service.js';
import { vaultUser, vaultUserByEmail } from './identity.js';
import * as repo from './repo.js';
import type { VaultUser } from './repo.js';

export const ACCESS_TTL_S = 3600;
const REFRESH_TTL_MS = 30 * 86_400_000;

/** The HS256 key for access tokens, derived from the home's (or configured) token secret. */
export function deriveVaultJwtKey(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('hearth'), Buffer.from('bitwarden access tokens: hs256 v1'), 32));
}

const issuer = (h: Hearth) => `https://${h.config.server.domain}|login`;

/** The client device a login comes from, as the token request names it. */
export interface ClientDevice {
  identifier: string;
  name: string;
  type: number;
  clientId: string;
}

export interface IssuedTokens {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
  refresh_token: string;
  scope: string;
}

async function accessToken(h: Hearth, account: Account, u: VaultUser, deviceId: string, deviceType: number, clientId: string): Promise<string> {
  const now = Math.floor(h.clock.now() / 1000);
  return new SignJWT({
    premium: true,
    name: u.name || account.fullName || account.username,
    email: u.email,
    email_verified: true,
    sstamp: account.securityStamp,
    device: deviceId,
    devicetype: String(deviceType),
    client_id: clientId,
    scope: ['api', 'offline_access'],
    amr: ['Application'],
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(account.id)
    .setIssuer(issuer(h))
    .setNotBefore(now)
    .setIssuedAt(now)
    .setExpirationTime(now + ACCESS_TTL_S)
    .sign(h.vaultJwtKey);
}

const issued = (access: string, refresh: string): IssuedTokens => ({
  access_token: access,
  expires_in: ACCESS_TTL_S,
  token_type: 'Bearer',
  refresh_token: refresh,
  scope: 'api offline_access',
});

/** The second factor a token request carries (Bitwarden's twoFactorToken, twoFactorProvider, twoFactorRemember). */
export interface TwoFactorForm {
  token?: string | null;
  /** 0 authenticator, 5 a remember-this-device token, 8 a recovery code. */
  provider?: string | null;
  remember?: boolean;
}

/**
 * The password grant: the client's master-password hash checked (under the failed-login limits)
 * against the one stored, then the account's second factor where it has one (a code, a recovery
 * code or a remember-this-device token); a device row with a fresh refresh token. With
 * `remember`, a remember token is answered as `TwoFactorToken`.
 */
export async function passwordGrant(h: Hearth, email: string, clientHash: string, device: ClientDevice, from: From, tf: TwoFactorForm = {}) {
  const u = await vaultUserByEmail(h, email);
  const state: { refused: HearthError | null; factor: boolean } = { refused: null, factor: false };
  const { user, account } = await guarded(
    h,
    { ...from, username: email, accountId: u?.account_id ?? null },
    async () => {
      if (!((await verifyPassword(u?.password_hash ?? null, clientHash)) && u)) return null;
      const found = await accountById(h, u.account_id);
      if (!found) return null;
      const check = await bitwardenSecondFactor(h, found, device.identifier, tf);
      state.refused = check.refused;
      state.factor = check.factor;
      return state.refused && state.refused.code !== 'user:needSecondFactor' ? null : { user: u, account: found };
    },
    () => state.refused ?? new HearthError('user:badLogin', 'Username or password is incorrect. Try again.'),
    () => state.refused?.code ?? null,
  );
  if (state.refused) throw state.refused;
  const refresh = randomSecret(48);
  const now = h.clock.now();
  const id = newId();
  await repo.upsertDevice(h.store.db, {
    id,
    account_id: account.id,
    identifier: device.identifier,
    name: device.name,
    type: device.type,
    refresh_hash: tokenHash(refresh),
    stamp: account.securityStamp,
    created_at: now,
    last_used_at: now,
    refresh_expires_at: now + REFRESH_TTL_MS,
  });
  // A code (not a remember token) with "remember me": this device skips the code for 30 days.
  const twoFactorToken = state.factor && tf.remember && tf.provider !== '5' ? await rememberDevice(h, account, device.identifier) : null;
  return { tokens: issued(await accessToken(h, account, user, id, device.type, device.clientId), refresh), user, twoFactorToken };
}

export const invalidGrant = () => new HearthError('badRequest', 'invalid_grant', { oauth: 'invalid_grant' });

/** The refresh grant: a new access token and a new refresh token; the presented one ends. */
export async function refreshGrant(h: Hearth, refresh: string, clientId: string, from: From): Promise<IssuedTokens> {
  const now = h.clock.now();
  const found = await guarded(
    h,
    { ...from, username: '(refresh token)', accountId: null },
    async () => {
      if (refresh.length > 200) return null;
      const d = await repo.deviceByRefreshHash(h.store.db, tokenHash(refresh));
      if (!d || d.refresh_expires_at <= now) return null;
      const account = await accountById(h, d.account_id);
      if (!account || account.securityStamp !== d.stamp) return null;
      const next = randomSecret(48);
      // Rotation: the update only succeeds for the hash presented, so a token is used once.
      if (
        !(await repo.rotateRefresh(h.store.db, d.id, d.refresh_hash, {
          refresh_hash: tokenHash(next),
          last_used_at: now,
          refresh_expires_at: now + REFRESH_TTL_MS,
        }))
      )
        return null;
      return { d, account, next };
    },
    invalidGrant,
  );
  const user = await vaultUser(h, found.account.id);
  return issued(await accessToken(h, found.account, user, found.d.id, found.d.type, clientId || 'cli'), found.next);
}

/** The principal of a vault access token; throws user:badAuth (401: the client logs out). */
export async function principalForVaultToken(h: Hearth, token: string): Promise<Principal> {
  const bad = (why: string) => new HearthError('user:badAuth', why);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, h.vaultJwtKey, { algorithms: ['HS256'], issuer: issuer(h), currentDate: new Date(h.clock.now()) }));
  } catch {
    throw bad('the access token is not valid or has expired; log in again');
  }
  const account = typeof payload.sub === 'string' ? await accountById(h, payload.sub) : null;
  if (!account || typeof payload.sstamp !== 'string' || payload.sstamp !== account.securityStamp) throw bad('the access token has been revoked; log in again');
  const device = typeof payload.device === 'string' ? await repo.deviceStamp(h.store.db, payload.device) : undefined;
  if (!device || device.stamp !== account.securityStamp) throw bad('this device has been logged out; log in again');
  return { credential: { kind: 'vault', id: device.id }, account: { id: account.id, username: account.username }, role: 'consumer', owner: false };
}
