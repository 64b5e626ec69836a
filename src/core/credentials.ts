/**
 * Stored credentials: login sessions (Bitmask's local session token, sent as
 * `Authorization: Token base64(user:token)`) and named device tokens (SelfPrivacy's, sent as
 * `Authorization: Bearer`). The store keeps only each token's SHA-256; a lookup is one indexed
 * read, and nothing is cached, so a revoked credential stops working at once.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Principal } from '../auth/principal.js';
import { isRole, ROLES, type Role } from '../auth/roles.js';
import { newId, randomSecret, tokenHash } from '../auth/secrets.js';
import { badRequest, HearthError, notFound } from '../errors.js';
import type { Database } from '../store/schema.js';
import { compiledOnce } from '../store/store.js';
import type { Account } from './accounts.js';
import type { Hearth } from './hearth.js';

/** Device tokens carry a prefix, so a Bearer value says which kind it is (and scanners find leaks). */
export const DEVICE_TOKEN_PREFIX = 'hd_';

/** `last_used_at` is written at most this often per credential, so reads stay reads. */
const TOUCH_INTERVAL_MS = 60_000;

const lowerRole = (a: Role, b: Role): Role => (ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b);

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The account a principal's own credentials belong to; null for the server owner (devices paired
 * with the global token belong to no account).
 */
export function scopeOf(principal: Principal): string | null {
  if (principal.credential.kind === 'role') {
    throw new HearthError('forbidden', 'a role token has no devices, pairing phrase or recovery token of its own; use a device, a session or the global token');
  }
  return principal.account?.id ?? null;
}

/** The lookup every request with a stored credential makes: one indexed read, compiled once. */
const credentialByHash = compiledOnce((db, hash: string) =>
  db
    .selectFrom('credentials as c')
    .leftJoin('accounts as a', 'a.id', 'c.account_id')
    .select(['c.id', 'c.kind', 'c.account_id', 'c.role', 'c.last_used_at', 'c.expires_at', 'c.max_expires_at', 'c.csrf_hash', 'a.username', 'a.role as account_role', 'a.owner'])
    .where('c.token_hash', '=', hash),
);

/**
 * The principal behind a stored token, or null if no live credential has this hash. The role
 * is the credential's, capped by the account's role now (a demotion takes effect at once).
 */
export async function principalForToken(h: Hearth, kind: 'session' | 'device', token: string): Promise<(Principal & { csrfHash: string | null }) | null> {
  const now = h.clock.now();
  const [row] = await credentialByHash(h.store, tokenHash(token));
  if (!row || row.kind !== kind) return null;
  if (row.account_id !== null && row.username === null) return null; // its account is gone
  if ((row.expires_at !== null && row.expires_at <= now) || (row.max_expires_at !== null && row.max_expires_at <= now)) return null;
  if (!isRole(row.role)) return null;

  // Sessions slide (mox: each use extends them); every credential records its last use, coarsely.
  if (row.last_used_at === null || now - row.last_used_at >= TOUCH_INTERVAL_MS) {
    const idle = h.config.accounts.session_idle_timeout * 1000;
    await h.store.db
      .updateTable('credentials')
      .set(kind === 'session' ? { last_used_at: now, expires_at: Math.min(now + idle, row.max_expires_at ?? Infinity) } : { last_used_at: now })
      .where('id', '=', row.id)
      .execute();
  }
  const role = row.account_role && isRole(row.account_role) ? lowerRole(row.role, row.account_role) : row.role;
  return {
    credential: { kind, id: row.id },
    account: row.account_id ? { id: row.account_id, username: row.username! } : null,
    role,
    owner: row.account_id === null ? true : row.owner === 1,
    csrfHash: row.csrf_hash,
  };
}

/**
 * Revokes every stored credential of an account except `keep` (mox's SetPassword rule), and the
 * pairing phrase and recovery token it has pending: either would mint a fresh device token.
 */
export async function revokeAccountCredentials(db: Db, accountId: string, keep: string | null): Promise<void> {
  let q = db.deleteFrom('credentials').where('account_id', '=', accountId);
  if (keep) q = q.where('id', '!=', keep);
  await q.execute();
  await db.deleteFrom('one_time_secrets').where('account_id', '=', accountId).where('kind', 'in', ['pairing', 'recovery']).execute();
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
  await db
    .deleteFrom('credentials')
    .where('kind', '=', 'session')
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('max_expires_at', '<=', now)]))
    .execute();
  const live = await db
    .selectFrom('credentials')
    .select('id')
    .where('kind', '=', 'session')
    .where('account_id', '=', accountId)
    .orderBy('last_used_at', 'desc')
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  // The new session always stays, whatever the clock did: it is one of the 100.
  const excess = live.filter((r) => r.id !== keep).slice(MAX_SESSIONS_PER_ACCOUNT - 1).map((r) => r.id);
  if (excess.length) await db.deleteFrom('credentials').where('id', 'in', excess).execute();
}

/**
 * A new login session for an account: 32 random bytes, 24 h idle, 30 days at most (config);
 * the account keeps at most MAX_SESSIONS_PER_ACCOUNT.
 */
export async function createSession(h: Hearth, account: Account, opts: { csrf?: boolean } = {}): Promise<NewSession> {
  const now = h.clock.now();
  const token = randomSecret(32);
  const csrf = opts.csrf ? randomSecret(32) : undefined;
  const maxExpiresAt = now + h.config.accounts.session_max_age * 1000;
  const expiresAt = Math.min(now + h.config.accounts.session_idle_timeout * 1000, maxExpiresAt);
  const id = newId();
  await h.store.db
    .insertInto('credentials')
    .values({
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
    })
    .execute();
  await trimSessions(h, account.id, id, now);
  return { id, token, expiresAt, maxExpiresAt, csrf };
}

/** Ends the session a call was made with (Bitmask's user/logout). */
export async function endSession(h: Hearth, principal: Principal): Promise<void> {
  if (principal.credential.kind !== 'session') {
    throw badRequest(`logout ends a login session; this call was made with a ${principal.credential.kind} credential`);
  }
  await h.store.db.deleteFrom('credentials').where('id', '=', principal.credential.id).execute();
}

export interface SessionInfo {
  id: string;
  /** `console` (cookie and CSRF token) or `token` (`Authorization: Token`). */
  kind: 'console' | 'token';
  created_at: string;
  last_used: string | null;
  expires_at: string;
  max_expires_at: string;
  is_caller: boolean;
}

/** The live login sessions of the caller's account, most recently used first; never tokens. */
export async function listSessions(h: Hearth, principal: Principal): Promise<SessionInfo[]> {
  const accountId = requireAccount(principal);
  const now = h.clock.now();
  const rows = await h.store.db
    .selectFrom('credentials')
    .select(['id', 'created_at', 'last_used_at', 'expires_at', 'max_expires_at', 'csrf_hash'])
    .where('kind', '=', 'session')
    .where('account_id', '=', accountId)
    .where('expires_at', '>', now)
    .where('max_expires_at', '>', now)
    .orderBy('last_used_at', 'desc')
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.csrf_hash === null ? 'token' : 'console',
    created_at: new Date(r.created_at).toISOString(),
    last_used: r.last_used_at === null ? null : new Date(r.last_used_at).toISOString(),
    expires_at: new Date(r.expires_at!).toISOString(),
    max_expires_at: new Date(r.max_expires_at!).toISOString(),
    is_caller: principal.credential.kind === 'session' && principal.credential.id === r.id,
  }));
}

/** Ends one of the caller's account's sessions by id (unknown → 404). */
export async function endSessionById(h: Hearth, principal: Principal, id: string): Promise<void> {
  const accountId = requireAccount(principal);
  const result = await h.store.db.deleteFrom('credentials').where('kind', '=', 'session').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (Number(result.numDeletedRows) !== 1) throw notFound(`no session ${id} on this account`);
}

/** "Sign out everywhere else": ends every session of the caller's account but the caller's. Answers how many. */
export async function endOtherSessions(h: Hearth, principal: Principal): Promise<number> {
  const accountId = requireAccount(principal);
  let q = h.store.db.deleteFrom('credentials').where('kind', '=', 'session').where('account_id', '=', accountId);
  if (principal.credential.kind === 'session') q = q.where('id', '!=', principal.credential.id);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows);
}

function requireAccount(principal: Principal): string {
  if (!principal.account) throw badRequest(`login sessions belong to accounts; this ${principal.credential.kind} credential has none`);
  return principal.account.id;
}

// ---- device tokens -------------------------------------------------------------------------

/** SelfPrivacy's rule: every character outside [a-zA-Z0-9] becomes `_`; empty → "Unknown device". */
export function sanitizeDeviceName(raw: string): string {
  const name = raw.slice(0, 64).replace(/[^a-zA-Z0-9]/g, '_');
  return name === '' ? 'Unknown device' : name;
}

/** Narrows a query to the rows of one account, or of the server owner (`account_id` null). */
export function ownedBy<T extends { where: Function }>(q: T, accountId: string | null): T {
  return (accountId === null ? q.where('account_id', 'is', null) : q.where('account_id', '=', accountId)) as T;
}

/**
 * A new device token for the account `accountId` (null: the server owner) with `role`. A taken
 * name gets a random suffix. Runs in the caller's transaction when given one.
 */
export async function createDevice(h: Hearth, db: Db, accountId: string | null, role: Role, rawName: string): Promise<{ name: string; token: string }> {
  let name = sanitizeDeviceName(rawName);
  const taken = await ownedBy(db.selectFrom('credentials').select('id').where('kind', '=', 'device').where('name', '=', name), accountId).executeTakeFirst();
  if (taken) name = `${name}_${randomSecret(3).replace(/[^a-zA-Z0-9]/g, '0')}`;
  const token = DEVICE_TOKEN_PREFIX + randomSecret(32);
  const now = h.clock.now();
  await db
    .insertInto('credentials')
    .values({ id: newId(), kind: 'device', account_id: accountId, name, token_hash: tokenHash(token), role, created_at: now, last_used_at: null, expires_at: null, max_expires_at: null, csrf_hash: null })
    .execute();
  return { name, token };
}

export interface DeviceInfo {
  name: string;
  date: string;
  last_used: string | null;
  role: string;
  is_caller: boolean;
}

/** The caller's devices (SelfPrivacy's GET /auth/tokens): never the tokens themselves. */
export async function listDevices(h: Hearth, principal: Principal): Promise<DeviceInfo[]> {
  const rows = await ownedBy(
    h.store.db.selectFrom('credentials').select(['id', 'name', 'created_at', 'last_used_at', 'role']).where('kind', '=', 'device'),
    scopeOf(principal),
  )
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    name: r.name ?? '',
    date: new Date(r.created_at).toISOString(),
    last_used: r.last_used_at === null ? null : new Date(r.last_used_at).toISOString(),
    role: r.role,
    is_caller: principal.credential.kind === 'device' && principal.credential.id === r.id,
  }));
}

/** Revokes one of the caller's devices by name: the caller's own → 400, unknown → 404. */
export async function deleteDevice(h: Hearth, principal: Principal, name: string): Promise<void> {
  const row = await ownedBy(h.store.db.selectFrom('credentials').select('id').where('kind', '=', 'device').where('name', '=', name), scopeOf(principal)).executeTakeFirst();
  if (!row) throw notFound(`no device named ${name}`);
  if (principal.credential.kind === 'device' && principal.credential.id === row.id) {
    throw badRequest('this is the device making the call; revoke it from another device');
  }
  await h.store.db.deleteFrom('credentials').where('id', '=', row.id).execute();
}

/** Replaces the caller's device token (SelfPrivacy's POST /auth/tokens); the old one ends now. */
export async function refreshDevice(h: Hearth, principal: Principal): Promise<{ token: string }> {
  if (principal.credential.kind !== 'device') {
    throw badRequest(`only a device token can be refreshed; this call was made with a ${principal.credential.kind} credential`);
  }
  const token = DEVICE_TOKEN_PREFIX + randomSecret(32);
  const result = await h.store.db.updateTable('credentials').set({ token_hash: tokenHash(token) }).where('id', '=', principal.credential.id).executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new HearthError('user:badAuth', 'this device token was revoked meanwhile');
  return { token };
}
