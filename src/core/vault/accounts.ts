/**
 * Vault accounts: a Hearth account's Bitwarden identity (`username@domain`), registered with keys
 * its client made, logged in with the OAuth password grant, kept in with rotating refresh tokens
 * and JWT access tokens. The security stamp is the account's: changing it (here, or by any
 * password change in Hearth) ends every access and refresh token of the account at once.
 */
import { hkdfSync } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Principal } from '../../auth/principal.js';
import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import { newId, randomSecret, tokenHash } from '../../auth/secrets.js';
import { badRequest, HearthError, notFound } from '../../errors.js';
import type { VaultUsersTable } from '../../store/schema.js';
import { accountById, normalizeUsername, targetAccount, type Account } from '../accounts.js';
import type { Hearth } from '../hearth.js';
import { guarded, type Attempt } from '../limits.js';
import { consumeSecret } from '../pairing.js';
import { isEncString } from './model.js';

export const ACCESS_TTL_S = 3600;
const REFRESH_TTL_MS = 30 * 86_400_000;
const REGISTRATION_TTL_MS = 24 * 3_600_000;
/** What an unknown e-mail's prelogin answers, so prelogin tells nothing about who has a vault. */
const DEFAULT_KDF = { kdfType: 0, iterations: 600_000, memory: null, parallelism: null };

/** The HS256 key for access tokens, derived from the home's (or configured) token secret. */
export function deriveVaultJwtKey(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('hearth'), Buffer.from('bitwarden access tokens: hs256 v1'), 32));
}

const issuer = (h: Hearth) => `https://${h.config.server.domain}|login`;

export const vaultEmail = (h: Hearth, username: string) => `${username}@${h.config.server.domain}`.toLowerCase();

export interface KdfSettings {
  kdfType: number;
  iterations: number;
  memory: number | null;
  parallelism: number | null;
}

export const kdfOf = (u: VaultUsersTable): KdfSettings => ({ kdfType: u.kdf_type, iterations: u.kdf_iterations, memory: u.kdf_memory, parallelism: u.kdf_parallelism });

async function vaultUserByEmail(h: Hearth, email: string): Promise<VaultUsersTable | undefined> {
  return h.store.db.selectFrom('vault_users').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
}

export async function vaultUser(h: Hearth, accountId: string): Promise<VaultUsersTable> {
  const u = await h.store.db.selectFrom('vault_users').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  if (!u) throw notFound('this account has no vault');
  return u;
}

/** Prelogin: the KDF settings of a vault, or the defaults for an e-mail with none. */
export async function prelogin(h: Hearth, email: unknown): Promise<KdfSettings> {
  if (typeof email !== 'string' || email.length > 320) throw badRequest('email is required');
  const u = await vaultUserByEmail(h, email);
  return u ? kdfOf(u) : DEFAULT_KDF;
}

/**
 * Whether this device has logged in to this vault before (the GUI clients ask before a login).
 * It needs the device's own random identifier, so it tells a stranger nothing.
 */
export async function knownDevice(h: Hearth, email: string, identifier: string): Promise<boolean> {
  if (email.length > 320 || identifier.length > 100) return false;
  const u = await vaultUserByEmail(h, email);
  if (!u) return false;
  const d = await h.store.db.selectFrom('vault_devices').select('id').where('account_id', '=', u.account_id).where('identifier', '=', identifier).executeTakeFirst();
  return d !== undefined;
}

// ---- registration ---------------------------------------------------------------------------

/**
 * A single-use registration token for the caller's account (or, for a maintainer, any account):
 * the client sends it as `emailVerificationToken`. Only its SHA-256 is kept.
 */
export async function registrationToken(h: Hearth, principal: Principal, username: string | undefined) {
  if (principal.credential.kind === 'role') throw new HearthError('forbidden', 'a role token cannot open a vault; use a device, session or the global token');
  const account = await targetAccount(h, principal, username);
  if (await h.store.db.selectFrom('vault_users').select('account_id').where('account_id', '=', account.id).executeTakeFirst()) {
    throw new HearthError('conflict', `${account.username} has a vault already; delete it first with vault/delete`);
  }
  const token = randomSecret(32);
  const now = h.clock.now();
  await h.store.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('one_time_secrets').where('kind', '=', 'vaultreg').where('account_id', '=', account.id).execute();
    await tx
      .insertInto('one_time_secrets')
      .values({ id: newId(), kind: 'vaultreg', account_id: account.id, secret_hash: tokenHash(token), role: account.role, created_at: now, expires_at: now + REGISTRATION_TTL_MS, uses_left: 1 })
      .execute();
  });
  return { token, email: vaultEmail(h, account.username), expires_at: new Date(now + REGISTRATION_TTL_MS).toISOString() };
}

type Obj = Record<string, any>;

function kdfFrom(v: Obj | undefined, legacy: Obj): KdfSettings {
  const k = v ?? { kdfType: legacy.kdf, iterations: legacy.kdfIterations, memory: legacy.kdfMemory, parallelism: legacy.kdfParallelism };
  const kdfType = k.kdfType ?? 0;
  const { iterations } = k;
  const memory = k.memory ?? null;
  const parallelism = k.parallelism ?? null;
  if (kdfType === 0) {
    if (!Number.isInteger(iterations) || iterations < 5000 || iterations > 2_000_000) throw badRequest('kdf: PBKDF2 iterations must be 5000 to 2000000');
    return { kdfType, iterations, memory: null, parallelism: null };
  }
  if (kdfType === 1) {
    if (!Number.isInteger(iterations) || iterations < 2 || iterations > 10) throw badRequest('kdf: Argon2id iterations must be 2 to 10');
    if (!Number.isInteger(memory) || memory < 16 || memory > 1024) throw badRequest('kdf: Argon2id memory must be 16 to 1024 MiB');
    if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 16) throw badRequest('kdf: Argon2id parallelism must be 1 to 16');
    return { kdfType, iterations, memory, parallelism };
  }
  throw badRequest('kdf: kdfType must be 0 (PBKDF2-SHA256) or 1 (Argon2id)');
}

const sameKdf = (a: KdfSettings, b: KdfSettings) => a.kdfType === b.kdfType && a.iterations === b.iterations && a.memory === b.memory && a.parallelism === b.parallelism;

/**
 * Registers a vault from a client's register (or register/finish) body: the e-mail must be a
 * Hearth account's `username@domain` and the token one issued for that account.
 */
export async function register(h: Hearth, body: unknown): Promise<void> {
  if (typeof body !== 'object' || body === null) throw badRequest('send the registration as a JSON object');
  const b = body as Obj;
  if (typeof b.email !== 'string') throw badRequest('email is required');
  const email = b.email.trim().toLowerCase();
  const username = normalizeUsername(h, email, 'email');
  const hash = b.masterPasswordAuthentication?.masterPasswordAuthenticationHash ?? b.masterPasswordHash;
  if (typeof hash !== 'string' || hash.length < 20 || hash.length > 200) throw badRequest('masterPasswordHash is required');
  const key = b.masterPasswordUnlock?.masterKeyWrappedUserKey ?? b.userSymmetricKey ?? b.key;
  if (!isEncString(key)) throw badRequest('userSymmetricKey must be an EncString');
  const keys = b.userAsymmetricKeys ?? b.keys;
  if (typeof keys?.publicKey !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(keys.publicKey) || keys.publicKey.length > 4000) throw badRequest('userAsymmetricKeys.publicKey must be base64');
  if (!isEncString(keys?.encryptedPrivateKey)) throw badRequest('userAsymmetricKeys.encryptedPrivateKey must be an EncString');
  const kdf = kdfFrom(b.masterPasswordUnlock?.kdf ?? b.masterPasswordAuthentication?.kdf, b);
  for (const part of [b.masterPasswordAuthentication, b.masterPasswordUnlock]) {
    if (part === undefined) continue;
    if (part.salt !== undefined && part.salt !== email) throw badRequest('the salt must be the e-mail, trimmed and lowercased');
    if (part.kdf !== undefined && !sameKdf(kdfFrom(part.kdf, {}), kdf)) throw badRequest('masterPasswordAuthentication and masterPasswordUnlock must use the same KDF');
  }
  const name = typeof b.name === 'string' ? b.name.slice(0, 50) : '';
  const token = b.emailVerificationToken ?? b.token;
  if (typeof token !== 'string' || token.length > 200) {
    throw badRequest('registration needs a token: get one with "hearth vault registration_token" and send it as emailVerificationToken');
  }
  const passwordHash = await hashPassword(hash);
  const now = h.clock.now();
  await h.store.db.transaction().execute(async (tx) => {
    const account = await tx.selectFrom('accounts').select(['id', 'username']).where('username', '=', username).executeTakeFirst();
    const spent = await consumeSecret(tx, 'vaultreg', token, now);
    if (!spent || !account || spent.account_id !== account.id) throw badRequest('the registration token is wrong, used, expired or for another account');
    if (await tx.selectFrom('vault_users').select('account_id').where('account_id', '=', account.id).executeTakeFirst()) {
      throw new HearthError('conflict', `${email} has a vault already`);
    }
    await tx
      .insertInto('vault_users')
      .values({
        account_id: account.id,
        email,
        name,
        password_hash: passwordHash,
        kdf_type: kdf.kdfType,
        kdf_iterations: kdf.iterations,
        kdf_memory: kdf.memory,
        kdf_parallelism: kdf.parallelism,
        akey: key,
        public_key: keys.publicKey,
        private_key: keys.encryptedPrivateKey,
        user_key_id: null,
        revision_date: now,
        created_at: now,
        last_sync_at: null,
      })
      .execute();
  });
}

// ---- tokens ---------------------------------------------------------------------------------

export interface DeviceInfo {
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

async function accessToken(h: Hearth, account: Account, u: VaultUsersTable, deviceId: string, deviceType: number, clientId: string): Promise<string> {
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

const issued = (access: string, refresh: string): IssuedTokens => ({ access_token: access, expires_in: ACCESS_TTL_S, token_type: 'Bearer', refresh_token: refresh, scope: 'api offline_access' });

/**
 * The password grant: the client's master-password hash checked (under the failed-login limits)
 * against the one stored; a device row with a fresh refresh token.
 */
export async function passwordGrant(h: Hearth, email: string, clientHash: string, device: DeviceInfo, from: Omit<Attempt, 'username' | 'accountId'>) {
  const u = await vaultUserByEmail(h, email);
  const attempt: Attempt = { ...from, username: email, accountId: u?.account_id ?? null };
  const user = await guarded(
    h,
    attempt,
    async () => ((await verifyPassword(u?.password_hash ?? null, clientHash)) && u ? u : null),
    () => new HearthError('user:badLogin', 'Username or password is incorrect. Try again.'),
  );
  const account = await accountById(h, user.account_id);
  if (!account) throw new HearthError('user:badLogin', 'Username or password is incorrect. Try again.');
  const refresh = randomSecret(48);
  const now = h.clock.now();
  const id = newId();
  // One row per (account, device): a new login from a known device replaces its row (and with it
  // the old refresh token and, by the new id, its access tokens), racing logins included.
  await h.store.db
    .insertInto('vault_devices')
    .values({
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
    })
    .onConflict((oc) =>
      oc.columns(['account_id', 'identifier']).doUpdateSet((eb) => ({
        id: eb.ref('excluded.id'),
        name: eb.ref('excluded.name'),
        type: eb.ref('excluded.type'),
        refresh_hash: eb.ref('excluded.refresh_hash'),
        stamp: eb.ref('excluded.stamp'),
        created_at: eb.ref('excluded.created_at'),
        last_used_at: eb.ref('excluded.last_used_at'),
        refresh_expires_at: eb.ref('excluded.refresh_expires_at'),
      })),
    )
    .execute();
  return { tokens: issued(await accessToken(h, account, user, id, device.type, device.clientId), refresh), user };
}

export const invalidGrant = () => new HearthError('badRequest', 'invalid_grant', { oauth: 'invalid_grant' });

/** The refresh grant: a new access token and a new refresh token; the presented one ends. */
export async function refreshGrant(h: Hearth, refresh: string, clientId: string, from: Omit<Attempt, 'username' | 'accountId'>): Promise<IssuedTokens> {
  const now = h.clock.now();
  const attempt: Attempt = { ...from, username: '(refresh token)', accountId: null };
  const found = await guarded(
    h,
    attempt,
    async () => {
      if (refresh.length > 200) return null;
      const d = await h.store.db.selectFrom('vault_devices').selectAll().where('refresh_hash', '=', tokenHash(refresh)).executeTakeFirst();
      if (!d || d.refresh_expires_at <= now) return null;
      const account = await accountById(h, d.account_id);
      if (!account || account.securityStamp !== d.stamp) return null;
      const next = randomSecret(48);
      // Rotation: the update only succeeds for the hash presented, so a token is used once.
      const r = await h.store.db
        .updateTable('vault_devices')
        .set({ refresh_hash: tokenHash(next), last_used_at: now, refresh_expires_at: now + REFRESH_TTL_MS })
        .where('id', '=', d.id)
        .where('refresh_hash', '=', d.refresh_hash)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return null;
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
  const device = typeof payload.device === 'string' ? await h.store.db.selectFrom('vault_devices').select(['id', 'stamp']).where('id', '=', payload.device).executeTakeFirst() : undefined;
  if (!device || device.stamp !== account.securityStamp) throw bad('this device has been logged out; log in again');
  return { credential: { kind: 'vault', id: device.id }, account: { id: account.id, username: account.username }, role: 'consumer', owner: false };
}

/** Checks the master-password hash of a logged-in client (for security-stamp changes). */
export async function checkMasterPassword(h: Hearth, principal: Principal, clientHash: unknown, from: Omit<Attempt, 'username' | 'accountId'>): Promise<VaultUsersTable> {
  const u = await vaultUser(h, principal.account!.id);
  return guarded(
    h,
    { ...from, username: u.email, accountId: u.account_id },
    async () => (typeof clientHash === 'string' && (await verifyPassword(u.password_hash, clientHash)) ? u : null),
    () => badRequest('masterPasswordHash is not this account\'s master password'),
  );
}

/**
 * A new master password, or new KDF settings (which change the master key, hence the hash and the
 * wrapped user key): the current master-password hash is needed; the user key is re-wrapped by
 * the client (`key`). Every token of the account ends, as with a new security stamp.
 */
export async function changeMasterPassword(h: Hearth, principal: Principal, body: unknown, from: Omit<Attempt, 'username' | 'accountId'>, kdfChange: boolean): Promise<void> {
  if (typeof body !== 'object' || body === null) throw badRequest('send a JSON object');
  const b = body as Obj;
  const u = await checkMasterPassword(h, principal, b.masterPasswordHash, from);
  const newHash = b.authenticationData?.masterPasswordAuthenticationHash ?? b.newMasterPasswordHash;
  if (typeof newHash !== 'string' || newHash.length < 20 || newHash.length > 200) throw badRequest('newMasterPasswordHash is required');
  const key = b.unlockData?.masterKeyWrappedUserKey ?? b.key;
  if (!isEncString(key)) throw badRequest('key (the user key wrapped with the new master key) must be an EncString');
  const kdf = kdfChange ? kdfFrom(b.unlockData?.kdf ?? b.authenticationData?.kdf, b) : kdfOf(u);
  for (const part of [b.authenticationData, b.unlockData]) {
    if (part?.salt !== undefined && part.salt !== u.email) throw badRequest('the salt must be the e-mail, trimmed and lowercased');
    if (part?.kdf !== undefined && !sameKdf(kdfFrom(part.kdf, {}), kdf)) throw badRequest('authenticationData and unlockData must use the same KDF');
  }
  const passwordHash = await hashPassword(newHash);
  await h.store.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('vault_users')
      .set({ password_hash: passwordHash, akey: key, kdf_type: kdf.kdfType, kdf_iterations: kdf.iterations, kdf_memory: kdf.memory, kdf_parallelism: kdf.parallelism, revision_date: h.clock.now() })
      .where('account_id', '=', u.account_id)
      .execute();
    await newStamp(tx, u.account_id, h.clock.now());
  });
}

/** A new security stamp: every access and refresh token of the account ends at once. */
export async function rotateSecurityStamp(h: Hearth, accountId: string): Promise<void> {
  await h.store.db.transaction().execute((tx) => newStamp(tx, accountId, h.clock.now()));
}

async function newStamp(tx: Tx, accountId: string, now: number): Promise<void> {
  await tx.updateTable('accounts').set({ security_stamp: randomSecret(16), updated_at: now }).where('id', '=', accountId).execute();
  await tx.deleteFrom('vault_devices').where('account_id', '=', accountId).execute();
}

/** Stores the client's user-key id (once; bitwarden/server answers 400 on a second set). */
export async function setUserKeyId(h: Hearth, accountId: string, id: unknown): Promise<void> {
  if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) throw badRequest('userKeyId must be 32 lowercase hex digits');
  const u = await vaultUser(h, accountId);
  if (u.user_key_id === id) return;
  if (u.user_key_id !== null) throw badRequest('User key id is already set.');
  await h.store.db.updateTable('vault_users').set({ user_key_id: id }).where('account_id', '=', accountId).execute();
}

export async function setName(h: Hearth, accountId: string, name: unknown): Promise<void> {
  if (name !== null && typeof name !== 'string') throw badRequest('name must be text');
  if (typeof name === 'string' && name.length > 50) throw badRequest('name must be at most 50 characters');
  await h.store.db.updateTable('vault_users').set({ name: name ?? '', revision_date: h.clock.now() }).where('account_id', '=', accountId).execute();
}

// ---- the account's own view -----------------------------------------------------------------

/**
 * The caller's own vault: whether it exists, its e-mail, KDF, item count and last sync, and where
 * Bitwarden apps reach the server (HTTPS URL and the certificate fingerprint to check; null when
 * HTTPS is off). Never contents.
 */
export async function vaultStatus(h: Hearth, principal: Principal) {
  const account = principal.account;
  if (!account) throw badRequest('this credential belongs to no account; sign in as the account whose vault you want');
  const u = await h.store.db.selectFrom('vault_users').selectAll().where('account_id', '=', account.id).executeTakeFirst();
  const server = h.tls ? { url: `${h.tls.url}/bitwarden`, ca_cert_fingerprint: h.tls.ca_cert_fingerprint, local_ca: h.tls.ca_cert_path !== null } : null;
  if (!u) return { registered: false, email: vaultEmail(h, account.username), kdf: null, items: 0, last_sync: null, server };
  const n = await h.store.db.selectFrom('vault_ciphers').select((eb) => eb.fn.countAll<number | string>().as('n')).where('account_id', '=', u.account_id).where('deleted_at', 'is', null).executeTakeFirstOrThrow();
  return {
    registered: true,
    email: u.email,
    kdf: kdfOf(u),
    items: Number(n.n),
    last_sync: u.last_sync_at === null ? null : new Date(u.last_sync_at).toISOString(),
    server,
  };
}

// ---- the owner's view -----------------------------------------------------------------------

/** Every vault: its account, KDF, how many items, when it last synced, its devices. Never contents. */
export async function listVaults(h: Hearth) {
  const db = h.store.db;
  const users = await db.selectFrom('vault_users').innerJoin('accounts', 'accounts.id', 'vault_users.account_id').select(['accounts.username', 'vault_users.account_id', 'vault_users.email', 'vault_users.kdf_type', 'vault_users.kdf_iterations', 'vault_users.revision_date', 'vault_users.created_at', 'vault_users.last_sync_at']).orderBy('accounts.username').execute();
  const count = async (table: 'vault_ciphers' | 'vault_folders', accountId: string, trashed?: boolean) => {
    let q = db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).where('account_id', '=', accountId);
    if (table === 'vault_ciphers' && trashed !== undefined) q = q.where('deleted_at', trashed ? 'is not' : 'is', null);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return Promise.all(
    users.map(async (u) => ({
      username: u.username,
      email: u.email,
      kdf: u.kdf_type === 0 ? `PBKDF2-SHA256, ${u.kdf_iterations} iterations` : `Argon2id, ${u.kdf_iterations} iterations`,
      items: await count('vault_ciphers', u.account_id, false),
      trashed: await count('vault_ciphers', u.account_id, true),
      folders: await count('vault_folders', u.account_id),
      created_at: iso(u.created_at),
      revision_date: iso(u.revision_date),
      last_sync: iso(u.last_sync_at),
      devices: (await db.selectFrom('vault_devices').select(['name', 'type', 'created_at', 'last_used_at']).where('account_id', '=', u.account_id).orderBy('last_used_at', 'desc').execute()).map((d) => ({
        name: d.name,
        type: d.type,
        logged_in_at: iso(d.created_at),
        last_used_at: iso(d.last_used_at),
      })),
    })),
  );
}

/** Deletes an account's vault: keys, items, folders, devices. The Hearth account stays. */
export async function deleteVault(h: Hearth, username: string): Promise<void> {
  const name = normalizeUsername(h, username);
  const account = await h.store.db.selectFrom('accounts').select('id').where('username', '=', name).executeTakeFirst();
  const has = account && (await h.store.db.selectFrom('vault_users').select('account_id').where('account_id', '=', account.id).executeTakeFirst());
  if (!account || !has) throw notFound(`${name} has no vault`);
  await h.store.db.transaction().execute(async (tx) => deleteVaultRows(tx, account.id));
}

type Tx = Parameters<Parameters<ReturnType<Hearth['store']['db']['transaction']>['execute']>[0]>[0];
export async function deleteVaultRows(tx: Tx, accountId: string): Promise<void> {
  for (const t of ['vault_ciphers', 'vault_folders', 'vault_devices', 'vault_users'] as const) await tx.deleteFrom(t).where('account_id', '=', accountId).execute();
  await tx.deleteFrom('one_time_secrets').where('kind', '=', 'vaultreg').where('account_id', '=', accountId).execute();
}
