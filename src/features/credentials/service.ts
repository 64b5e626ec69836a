/**
 * Stored credentials: login sessions (Bitmask's local session token, sent as
 * `Authorization: Token base64(user:token)`) and named device tokens (SelfPrivacy's, sent as
 * `Authorization: Bearer`). The store keeps only each token's SHA-256; a lookup is one indexed
 * read of a prepared statement, and nothing is cached, so a revoked credential stops working at once.
 */
import { ownAccount, ownScope } from '../../auth/ownership.js';
import { checkNewPassword, hashPassword } from '../../auth/passwords.js';
import type { Principal } from '../../auth/principal.js';
import { isRole, ROLES, type Role } from '../../auth/roles.js';
import { newId, randomSecret, tokenHash } from '../../auth/secrets.js';
import { badRequest, HearthError, notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { isoOrNull, then, type Db, type MaybePromise } from '../../store/db.js';
import { accountById, checkLogin, getAccount, normalizeUsername, setPasswordHash, targetAccount, type Account } from '../accounts/service.js';
import { guarded, type From } from '../limits/service.js';
import { prepareRekey } from '../keys/service.js';
import { adoptOwnerlessSecrets, consumeSecret, deleteAccountSecrets, findLiveSecret } from '../one-time-secrets/service.js';
import { secondFactor } from '../two-factor/service.js';
import * as repo from './repo.js';

/** Device tokens carry a prefix, so a Bearer value says which kind it is (and scanners find leaks). */
export const DEVICE_TOKEN_PREFIX = 'hd_';

/** `last_used_at` is written at most this often per credential, so reads stay reads. */
const TOUCH_INTERVAL_MS = 60_000;

const lowerRole = (a: Role, b: Role): Role => (ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b);

export type StoredPrincipal = Principal & { csrfHash: string | null };

/**
 * The principal behind a stored token, or null if no live credential has this hash. The role
 * is the credential's, capped by the account's role now (a demotion takes effect at once). One
 * prepared read, answered synchronously on SQLite: nothing is cached, so a revoked credential,
 * an ended session or a changed password (which revokes) is refused on the very next request.
 */
export function principalForToken(h: Hearth, kind: 'session' | 'device', token: string): MaybePromise<StoredPrincipal | null> {
  return then(repo.byTokenHash.first(h.store, tokenHash(token)), (row) => principalOfRow(h, kind, row));
}

function principalOfRow(h: Hearth, kind: 'session' | 'device', row: repo.PrincipalRow | undefined): MaybePromise<StoredPrincipal | null> {
  const now = h.clock.now();
  if (!row || row.kind !== kind) return null;
  if (row.account_id !== null && row.username === null) return null; // its account is gone
  if ((row.expires_at !== null && row.expires_at <= now) || (row.max_expires_at !== null && row.max_expires_at <= now)) return null;
  if (!isRole(row.role)) return null;
  const role = row.account_role && isRole(row.account_role) ? lowerRole(row.role, row.account_role) : row.role;
  const principal: StoredPrincipal = {
    credential: { kind, id: row.id },
    account: row.account_id ? { id: row.account_id, username: row.username! } : null,
    role,
    owner: row.account_id === null ? true : row.owner === 1,
    csrfHash: row.csrf_hash,
  };
  // Sessions slide (mox: each use extends them); every credential records its last use, coarsely:
  // a write at most once a minute per credential, never one per request.
  if (row.last_used_at !== null && now - row.last_used_at < TOUCH_INTERVAL_MS) return principal;
  const idle = h.config.accounts.session_idle_timeout * 1000;
  const fields = kind === 'session' ? { last_used_at: now, expires_at: Math.min(now + idle, row.max_expires_at ?? Infinity) } : { last_used_at: now };
  return touchOnce(h, row.id, fields).then(() => principal);
}

const touching = new WeakMap<Hearth, Map<string, Promise<void>>>();

/**
 * Records a credential's use. Requests that see the same old value while its write is under way
 * wait for that one write rather than each making their own.
 */
function touchOnce(h: Hearth, id: string, fields: repo.Touch): Promise<void> {
  let inFlight = touching.get(h);
  if (!inFlight) touching.set(h, (inFlight = new Map()));
  let write = inFlight.get(id);
  if (!write) {
    write = repo.touch(h.store.db, id, fields).finally(() => inFlight.delete(id));
    inFlight.set(id, write);
  }
  return write;
}

/**
 * Once the owner's account exists the global token acts as it: what the global token made
 * before — devices it paired, its pending pairing phrase and recovery token, which belong to no
 * account — becomes the owner's. Runs in the transaction that creates the owner, and again when
 * the daemon opens a store that has an owner (a store from before this rule). Idempotent.
 */
export async function adoptForOwner(db: Db, ownerId: string): Promise<void> {
  await repo.adoptOwnerless(db, ownerId);
  await adoptOwnerlessSecrets(db, ownerId, ['pairing', 'recovery']);
}

/**
 * Revokes every stored credential of an account except `keep` (mox's SetPassword rule), and the
 * pairing phrase and recovery token it has pending: either would mint a fresh device token.
 */
async function revokeAccountCredentials(db: Db, accountId: string, keep: string | null, keepRecovery = false): Promise<void> {
  await repo.deleteForAccount(db, accountId, keep);
  await deleteAccountSecrets(db, accountId, keepRecovery ? ['pairing'] : ['pairing', 'recovery']);
}

/**
 * Sets a new password (and security stamp), and revokes every credential of the account but
 * `keep` (and its recovery token, unless `keepRecovery`: a recovery keeps the token it used). The
 * OpenPGP private key is re-encrypted under the new password in the same transaction; without the
 * old one (a reset, a recovery) a new key pair is made.
 */
async function setPassword(
  h: Hearth,
  account: Account,
  newpass: string,
  keepCredentialId: string | null,
  oldpass: string | null,
  keepRecovery = false,
): Promise<void> {
  const hash = await hashPassword(newpass);
  const rekey = await prepareRekey(h, account, oldpass, newpass);
  const now = h.clock.now();
  await h.store.db.transaction().execute(async (tx) => {
    await setPasswordHash(tx, account.id, hash, now);
    await revokeAccountCredentials(tx, account.id, keepCredentialId, keepRecovery);
    await rekey.write(tx);
  });
  await rekey.after();
  await h.hooks.account({ kind: 'password', accountId: account.id, username: account.username, password: newpass });
}

/**
 * Changes a password (Bitmask's user/update): the old one is needed, even for a maintainer
 * (a maintainer resets without it through `resetPassword`). Every other credential of the
 * account is revoked; the one used for the change keeps working (mox's rule).
 */
export async function changePassword(
  h: Hearth,
  principal: Principal,
  p: { username?: string; oldpass: string; newpass: string },
  from: From,
): Promise<Account> {
  const account = await targetAccount(h, principal, p.username);
  checkNewPassword(p.newpass, 'newpass');
  await checkLogin(h, account.username, p.oldpass, from).catch((err: unknown) => {
    if (err instanceof HearthError && err.code === 'user:badLogin') throw new HearthError('user:badLogin', 'oldpass is not the current password');
    throw err;
  });
  await setPassword(h, account, p.newpass, principal.credential.id, p.oldpass);
  return (await accountById(h, account.id))!;
}

/** A maintainer sets another account's password without the old one; all its credentials end. */
export async function resetPassword(h: Hearth, principal: Principal, p: { username: string; newpass: string }): Promise<Account> {
  const account = await getAccount(h, normalizeUsername(h, p.username));
  checkNewPassword(p.newpass, 'newpass');
  await setPassword(h, account, p.newpass, principal.account?.id === account.id ? principal.credential.id : null, null);
  return (await accountById(h, account.id))!;
}

/**
 * A forgotten password, recovered with the account's recovery token (`recovery/create`): under
 * the failed-login limits (a wrong phrase counts like a wrong password), spends one use of the
 * phrase, sets `newpass`, ends every credential of the account and its pending pairing phrase
 * (the recovery token stays, one use fewer), and opens a login session, as a login would.
 */
export async function recoverPassword(
  h: Hearth,
  p: { token: string; newpass: string; otp?: string },
  from: From,
  origin: SessionOrigin = {},
): Promise<{ account: Account; session: NewSession }> {
  checkNewPassword(p.newpass, 'newpass');
  // An account with a second factor needs it here too (a code or a recovery code): the phrase
  // alone must not get past it. The factor is checked before a use of the phrase is spent, so a
  // missing or wrong code costs none; a wrong one counts like a wrong phrase.
  const second = secondFactor(h, { otp: p.otp });
  const state: { refused: HearthError | null } = { refused: null };
  const account = await guarded(
    h,
    { ...from, username: '(recovery phrase)', accountId: null },
    async () => {
      const found = await findLiveSecret(h.store.db, 'recovery', p.token, h.clock.now());
      if (!found) return null;
      // Made by the global token before any account existed: there is no password to set.
      if (found.account_id === null) throw badRequest('this recovery token belongs to no account; use it with recovery/use for a device token');
      const owner = await accountById(h, found.account_id);
      if (!owner) return null;
      state.refused = await second(owner);
      if (state.refused) return state.refused.code === 'user:needSecondFactor' ? owner : null;
      return h.store.db.transaction().execute(async (tx) => {
        const row = await consumeSecret(tx, 'recovery', p.token, h.clock.now());
        return row && row.account_id === owner.id ? owner : null;
      });
    },
    () => state.refused ?? notFound('the recovery token is wrong, expired or used up'),
    () => state.refused?.code ?? null,
  );
  if (state.refused) throw state.refused;
  // The one place a recovery resets a password, once the second factor (if any) was given.
  await setPassword(h, account, p.newpass, null, null, true);
  const session = await createSession(h, account, origin);
  return { account: (await accountById(h, account.id))!, session };
}

// ---- login sessions ------------------------------------------------------------------------

export interface NewSession {
  id: string;
  token: string;
  expiresAt: number;
  maxExpiresAt: number;
  /** The console's CSRF token, when asked for. */
  csrf?: string;
}

/** Sessions one account may hold at once (mox's sessionsPerAccount). */
export const MAX_SESSIONS_PER_ACCOUNT = 100;

/**
 * Trims an account's sessions after a new one was stored: drops the expired, then all but the
 * MAX_SESSIONS_PER_ACCOUNT most recently used (mox: the earliest expiry, which is the same order).
 * Trimming after the insert, never before, keeps the cap under concurrent logins with no lock:
 * whichever login trims last sees every insert before it.
 */
async function trimSessions(h: Hearth, accountId: string, keep: string, now: number): Promise<void> {
  const db = h.store.db;
  await repo.deleteExpiredSessions(db, accountId, now);
  const live = await repo.sessionIdsByUse(db, accountId);
  // The new session always stays, whatever the clock did: it is one of the 100.
  await repo.deleteIds(db, live.filter((id) => id !== keep).slice(MAX_SESSIONS_PER_ACCOUNT - 1));
}

/**
 * A new login session for an account: 32 random bytes, 24 h idle, 30 days at most (config);
 * the account keeps at most MAX_SESSIONS_PER_ACCOUNT.
 */
/** Where a login came from: the client's address and its User-Agent (cut to 200 characters). */
export interface SessionOrigin {
  address?: string;
  userAgent?: string;
}

export async function createSession(h: Hearth, account: Account, opts: { csrf?: boolean } & SessionOrigin = {}): Promise<NewSession> {
  const now = h.clock.now();
  const token = randomSecret(32);
  const csrf = opts.csrf ? randomSecret(32) : undefined;
  const maxExpiresAt = now + h.config.accounts.session_max_age * 1000;
  const expiresAt = Math.min(now + h.config.accounts.session_idle_timeout * 1000, maxExpiresAt);
  const id = newId();
  await repo.insert(h.store.db, {
    id,
    kind: 'session',
    account_id: account.id,
    name: null,
    token_hash: tokenHash(token),
    role: account.role,
    created_at: now,
    last_used_at: now,
    expires_at: expiresAt,
    max_expires_at: maxExpiresAt,
    csrf_hash: csrf ? tokenHash(csrf) : null,
    address: opts.address?.slice(0, 100) ?? null,
    user_agent: opts.userAgent?.slice(0, 200) ?? null,
  });
  await trimSessions(h, account.id, id, now);
  return { id, token, expiresAt, maxExpiresAt, csrf };
}

/** Ends the session a call was made with (Bitmask's user/logout). */
export async function endSession(h: Hearth, principal: Principal): Promise<void> {
  if (principal.credential.kind !== 'session') {
    throw badRequest(`logout ends a login session; this call was made with a ${principal.credential.kind} credential`);
  }
  await repo.deleteById(h.store.db, principal.credential.id);
}

export interface SessionInfo {
  id: string;
  /** `console` (cookie and CSRF token) or `token` (`Authorization: Token`). */
  kind: 'console' | 'token';
  created_at: string;
  last_used: string | null;
  expires_at: string;
  max_expires_at: string;
  /** The address the login came from, and the client's User-Agent (null for sessions older than 0005). */
  address: string | null;
  user_agent: string | null;
  is_caller: boolean;
}

/** The live login sessions of the caller's account, most recently used first; never tokens. */
export async function listSessions(h: Hearth, principal: Principal): Promise<SessionInfo[]> {
  const accountId = requireAccount(principal);
  const rows = await repo.liveSessions(h.store.db, accountId, h.clock.now());
  return rows.map((r) => ({
    id: r.id,
    kind: r.csrf_hash === null ? 'token' : 'console',
    created_at: new Date(r.created_at).toISOString(),
    last_used: isoOrNull(r.last_used_at),
    expires_at: new Date(r.expires_at!).toISOString(),
    max_expires_at: new Date(r.max_expires_at!).toISOString(),
    address: r.address,
    user_agent: r.user_agent,
    is_caller: principal.credential.kind === 'session' && principal.credential.id === r.id,
  }));
}

/** Ends one of the caller's account's sessions by id (unknown → 404). */
export async function endSessionById(h: Hearth, principal: Principal, id: string): Promise<void> {
  const accountId = requireAccount(principal);
  if (!(await repo.deleteSession(h.store.db, accountId, id))) throw notFound(`no session ${id} on this account`);
}

/** "Sign out everywhere else": ends every session of the caller's account but the caller's. Answers how many. */
export async function endOtherSessions(h: Hearth, principal: Principal): Promise<number> {
  const accountId = requireAccount(principal);
  return repo.deleteSessionsBut(h.store.db, accountId, principal.credential.kind === 'session' ? principal.credential.id : null);
}

const requireAccount = (principal: Principal): string =>
  ownAccount(principal, `login sessions belong to accounts; this ${principal.credential.kind} credential has none`).id;

// ---- device tokens -------------------------------------------------------------------------

/** SelfPrivacy's rule: every character outside [a-zA-Z0-9] becomes `_`; empty → "Unknown device". */
export function sanitizeDeviceName(raw: string): string {
  const name = raw.slice(0, 64).replace(/[^a-zA-Z0-9]/g, '_');
  return name === '' ? 'Unknown device' : name;
}

/**
 * A new device token for the account `accountId` (null: the server owner) with `role`. A taken
 * name gets a random suffix. Runs in the caller's transaction when given one.
 */
export async function createDevice(h: Hearth, db: Db, accountId: string | null, role: Role, rawName: string): Promise<{ name: string; token: string }> {
  let name = sanitizeDeviceName(rawName);
  const taken = await repo.deviceByName(db, accountId, name);
  if (taken) name = `${name}_${randomSecret(3).replace(/[^a-zA-Z0-9]/g, '0')}`;
  const token = DEVICE_TOKEN_PREFIX + randomSecret(32);
  const now = h.clock.now();
  await repo.insert(db, {
    id: newId(),
    kind: 'device',
    account_id: accountId,
    name,
    token_hash: tokenHash(token),
    role,
    created_at: now,
    last_used_at: null,
    expires_at: null,
    max_expires_at: null,
    csrf_hash: null,
  });
  return { name, token };
}

export interface DeviceView {
  name: string;
  date: string;
  last_used: string | null;
  role: string;
  is_caller: boolean;
}

/** The caller's devices (SelfPrivacy's GET /auth/tokens): never the tokens themselves. */
export async function listDevices(h: Hearth, principal: Principal): Promise<DeviceView[]> {
  const rows = await repo.devices(h.store, ownScope(principal));
  return rows.map((r) => ({
    name: r.name ?? '',
    date: new Date(r.created_at).toISOString(),
    last_used: isoOrNull(r.last_used_at),
    role: r.role,
    is_caller: principal.credential.kind === 'device' && principal.credential.id === r.id,
  }));
}

/** Revokes one of the caller's devices by name: the caller's own → 400, unknown → 404. */
export async function deleteDevice(h: Hearth, principal: Principal, name: string): Promise<void> {
  const row = await repo.deviceByName(h.store.db, ownScope(principal), name);
  if (!row) throw notFound(`no device named ${name}`);
  if (principal.credential.kind === 'device' && principal.credential.id === row.id) {
    throw badRequest('this is the device making the call; revoke it from another device');
  }
  await repo.deleteById(h.store.db, row.id);
}

/** Replaces the caller's device token (SelfPrivacy's POST /auth/tokens); the old one ends now. */
export async function refreshDevice(h: Hearth, principal: Principal): Promise<{ token: string }> {
  if (principal.credential.kind !== 'device') {
    throw badRequest(`only a device token can be refreshed; this call was made with a ${principal.credential.kind} credential`);
  }
  const token = DEVICE_TOKEN_PREFIX + randomSecret(32);
  if (!(await repo.setTokenHash(h.store.db, principal.credential.id, tokenHash(token))))
    throw new HearthError('user:badAuth', 'this device token was revoked meanwhile');
  return { token };
}
