/**
 * A Hearth account's Bitwarden identity (`username@domain`): registered with keys its client made
 * (with a registration token from the native API), its KDF settings and master-password hash,
 * changed only with the current master password. The security stamp is the account's: changing it
 * (here, or by any password change in Hearth) ends every access and refresh token of the account
 * at once. Logins and tokens: ./tokens.ts.
 */
import { ownAccount } from '../../auth/ownership.js';
import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import type { Principal } from '../../auth/principal.js';
import { randomSecret } from '../../auth/secrets.js';
import { badRequest, HearthError, notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { findAccount, listAccounts, normalizeUsername, rotateSecurityStamp as newAccountStamp, targetAccount } from '../accounts/service.js';
import { guarded, type From } from '../limits/service.js';
import { consumeSecret, deleteOwnedSecrets, replaceSecret } from '../one-time-secrets/service.js';
import type { KdfBody, PasswordChangeBody, RegisterBody } from './bodies.js';
import { isEncString } from './model.js';
import * as repo from './repo.js';
import type { VaultUser } from './repo.js';
import type { Db } from '../../store/db.js';
import { isoOrNull } from '../../store/db.js';

const REGISTRATION_TTL_MS = 24 * 3_600_000;
/** What an unknown e-mail's prelogin answers, so prelogin tells nothing about who has a vault. */
const DEFAULT_KDF = { kdfType: 0, iterations: 600_000, memory: null, parallelism: null };

export const vaultEmail = (h: Hearth, username: string) => `${username}@${h.config.server.domain}`.toLowerCase();

export interface KdfSettings {
  kdfType: number;
  iterations: number;
  memory: number | null;
  parallelism: number | null;
}

export const kdfOf = (u: VaultUser): KdfSettings => ({
  kdfType: u.kdf_type,
  iterations: u.kdf_iterations,
  memory: u.kdf_memory,
  parallelism: u.kdf_parallelism,
});

/** The vault whose e-mail this is (as typed: trimmed and lower-cased here). */
export async function vaultUserByEmail(h: Hearth, email: string): Promise<VaultUser | undefined> {
  return repo.userByEmail(h.store.db, email.trim().toLowerCase());
}

export async function vaultUser(h: Hearth, accountId: string): Promise<VaultUser> {
  const u = await repo.userOf(h.store.db, accountId);
  if (!u) throw notFound('this account has no vault');
  return u;
}

/** Prelogin: the KDF settings of a vault, or the defaults for an e-mail with none. */
export async function prelogin(h: Hearth, email: string | null | undefined): Promise<KdfSettings> {
  if (email == null) throw badRequest('email is required');
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
  return (await repo.deviceByIdentifier(h.store.db, u.account_id, identifier)) !== undefined;
}

// ---- registration ---------------------------------------------------------------------------

/**
 * A single-use registration token for the caller's account (or, for a maintainer, any account):
 * the client sends it as `emailVerificationToken`. Only its SHA-256 is kept.
 */
export async function registrationToken(h: Hearth, principal: Principal, username: string | undefined) {
  const account = await targetAccount(h, principal, username);
  if (await repo.hasVault(h.store.db, account.id)) {
    throw new HearthError('conflict', `${account.username} has a vault already; delete it first with vault/delete`);
  }
  const token = randomSecret(32);
  const now = h.clock.now();
  await replaceSecret(h.store.db, {
    kind: 'vaultreg',
    accountId: account.id,
    role: account.role,
    secret: token,
    now,
    expiresAt: now + REGISTRATION_TTL_MS,
    uses: 1,
  });
  return { token, email: vaultEmail(h, account.username), expires_at: new Date(now + REGISTRATION_TTL_MS).toISOString() };
}

/** The KDF fields older bodies carry at the top level. */
interface LegacyKdf {
  kdf?: number | null;
  kdfIterations?: number | null;
  kdfMemory?: number | null;
  kdfParallelism?: number | null;
}

function kdfFrom(v: KdfBody | null | undefined, legacy: LegacyKdf): KdfSettings {
  const k: KdfBody = v ?? { kdfType: legacy.kdf, iterations: legacy.kdfIterations, memory: legacy.kdfMemory, parallelism: legacy.kdfParallelism };
  const kdfType = k.kdfType ?? 0;
  const iterations = k.iterations ?? NaN;
  const memory = k.memory ?? NaN;
  const parallelism = k.parallelism ?? NaN;
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

const sameKdf = (a: KdfSettings, b: KdfSettings) =>
  a.kdfType === b.kdfType && a.iterations === b.iterations && a.memory === b.memory && a.parallelism === b.parallelism;

/**
 * Registers a vault from a client's register (or register/finish) body: the e-mail must be a
 * Hearth account's `username@domain` and the token one issued for that account.
 */
export async function register(h: Hearth, b: RegisterBody): Promise<void> {
  if (b.email == null) throw badRequest('email is required');
  const email = b.email.trim().toLowerCase();
  const username = normalizeUsername(h, email, 'email');
  const hash = b.masterPasswordAuthentication?.masterPasswordAuthenticationHash ?? b.masterPasswordHash;
  if (typeof hash !== 'string' || hash.length < 20 || hash.length > 200) throw badRequest('masterPasswordHash is required');
  const key = b.masterPasswordUnlock?.masterKeyWrappedUserKey ?? b.userSymmetricKey ?? b.key;
  if (!isEncString(key)) throw badRequest('userSymmetricKey must be an EncString');
  const keys = b.userAsymmetricKeys ?? b.keys;
  const publicKey = keys?.publicKey;
  const privateKey = keys?.encryptedPrivateKey;
  if (publicKey == null || !/^[A-Za-z0-9+/]+={0,2}$/.test(publicKey)) throw badRequest('userAsymmetricKeys.publicKey must be base64');
  if (!isEncString(privateKey)) throw badRequest('userAsymmetricKeys.encryptedPrivateKey must be an EncString');
  const kdf = kdfFrom(b.masterPasswordUnlock?.kdf ?? b.masterPasswordAuthentication?.kdf, b);
  for (const part of [b.masterPasswordAuthentication, b.masterPasswordUnlock]) {
    if (part == null) continue;
    if (part.salt != null && part.salt !== email) throw badRequest('the salt must be the e-mail, trimmed and lowercased');
    if (part.kdf != null && !sameKdf(kdfFrom(part.kdf, {}), kdf))
      throw badRequest('masterPasswordAuthentication and masterPasswordUnlock must use the same KDF');
  }
  const name = typeof b.name === 'string' ? b.name.slice(0, 50) : '';
  const token = b.emailVerificationToken ?? b.token;
  if (token == null) {
    throw badRequest('registration needs a token: get one with "hearth vault registration_token" and send it as emailVerificationToken');
  }
  const passwordHash = await hashPassword(hash);
  const now = h.clock.now();
  await h.store.db.transaction().execute(async (tx) => {
    const account = await findAccount(tx, username);
    const spent = await consumeSecret(tx, 'vaultreg', token, now);
    if (!spent || !account || spent.account_id !== account.id) throw badRequest('the registration token is wrong, used, expired or for another account');
    if (await repo.hasVault(tx, account.id)) throw new HearthError('conflict', `${email} has a vault already`);
    await repo.insertUser(tx, {
      account_id: account.id,
      email,
      name,
      password_hash: passwordHash,
      kdf_type: kdf.kdfType,
      kdf_iterations: kdf.iterations,
      kdf_memory: kdf.memory,
      kdf_parallelism: kdf.parallelism,
      akey: key,
      public_key: publicKey,
      private_key: privateKey,
      user_key_id: null,
      revision_date: now,
      created_at: now,
      last_sync_at: null,
    });
  });
}

// ---- the master password -------------------------------------------------------------------

/** Checks the master-password hash of a logged-in client (for security-stamp changes). */
export async function checkMasterPassword(h: Hearth, principal: Principal, clientHash: string | null | undefined, from: From): Promise<VaultUser> {
  const u = await vaultUser(h, vaultAccountOf(principal));
  return guarded(
    h,
    { ...from, username: u.email, accountId: u.account_id },
    async () => (clientHash != null && (await verifyPassword(u.password_hash, clientHash)) ? u : null),
    () => badRequest("masterPasswordHash is not this account's master password"),
  );
}

/**
 * A new master password, or new KDF settings (which change the master key, hence the hash and the
 * wrapped user key): the current master-password hash is needed; the user key is re-wrapped by
 * the client (`key`). Every token of the account ends, as with a new security stamp.
 */
export async function changeMasterPassword(h: Hearth, principal: Principal, b: PasswordChangeBody, from: From, kdfChange: boolean): Promise<void> {
  const u = await checkMasterPassword(h, principal, b.masterPasswordHash, from);
  const newHash = b.authenticationData?.masterPasswordAuthenticationHash ?? b.newMasterPasswordHash;
  if (newHash == null || newHash.length < 20) throw badRequest('newMasterPasswordHash is required');
  const key = b.unlockData?.masterKeyWrappedUserKey ?? b.key;
  if (!isEncString(key)) throw badRequest('key (the user key wrapped with the new master key) must be an EncString');
  const kdf = kdfChange ? kdfFrom(b.unlockData?.kdf ?? b.authenticationData?.kdf, b) : kdfOf(u);
  for (const part of [b.authenticationData, b.unlockData]) {
    if (part?.salt != null && part.salt !== u.email) throw badRequest('the salt must be the e-mail, trimmed and lowercased');
    if (part?.kdf != null && !sameKdf(kdfFrom(part.kdf, {}), kdf)) throw badRequest('authenticationData and unlockData must use the same KDF');
  }
  const passwordHash = await hashPassword(newHash);
  await h.store.db.transaction().execute(async (tx) => {
    await repo.updateUser(tx, u.account_id, {
      password_hash: passwordHash,
      akey: key,
      kdf_type: kdf.kdfType,
      kdf_iterations: kdf.iterations,
      kdf_memory: kdf.memory,
      kdf_parallelism: kdf.parallelism,
      revision_date: h.clock.now(),
    });
    await newStamp(tx, u.account_id, h.clock.now());
  });
}

/** A new security stamp: every access and refresh token of the account ends at once. */
export async function rotateSecurityStamp(h: Hearth, accountId: string): Promise<void> {
  await h.store.db.transaction().execute((tx) => newStamp(tx, accountId, h.clock.now()));
}

async function newStamp(tx: Db, accountId: string, now: number): Promise<void> {
  await newAccountStamp(tx, accountId, now);
  await repo.deleteDevices(tx, accountId);
}

/** Stores the client's user-key id (once; bitwarden/server answers 400 on a second set). */
export async function setUserKeyId(h: Hearth, accountId: string, id: string | null | undefined): Promise<void> {
  if (id == null || !/^[0-9a-f]{32}$/.test(id)) throw badRequest('userKeyId must be 32 lowercase hex digits');
  const u = await vaultUser(h, accountId);
  if (u.user_key_id === id) return;
  if (u.user_key_id !== null) throw badRequest('User key id is already set.');
  await repo.updateUser(h.store.db, accountId, { user_key_id: id });
}

export async function setName(h: Hearth, accountId: string, name: string | null | undefined): Promise<void> {
  if (typeof name === 'string' && name.length > 50) throw badRequest('name must be at most 50 characters');
  await repo.updateUser(h.store.db, accountId, { name: name ?? '', revision_date: h.clock.now() });
}

// ---- the account's own view -----------------------------------------------------------------

/**
 * The caller's own vault: whether it exists, its e-mail, KDF, item count and last sync, and where
 * Bitwarden apps reach the server (HTTPS URL and the certificate fingerprint to check; null when
 * HTTPS is off). Never contents.
 */
export async function vaultStatus(h: Hearth, principal: Principal) {
  const account = ownAccount(principal, 'this credential belongs to no account; sign in as the account whose vault you want');
  const u = await repo.userOf(h.store.db, account.id);
  // Bitwarden apps need HTTPS: the public URL when it is one (e.g. behind a proxy), else HTTPS as served.
  const publicHttps = h.publicUrl?.startsWith('https://') ? h.publicUrl : null;
  const base = publicHttps ?? h.tls?.url ?? null;
  const server = base
    ? { url: `${base}/bitwarden`, ca_cert_fingerprint: h.tls?.ca_cert_fingerprint ?? '', local_ca: h.tls ? h.tls.ca_cert_path !== null : false }
    : null;
  if (!u) return { registered: false, email: vaultEmail(h, account.username), kdf: null, items: 0, last_sync: null, server };
  return {
    registered: true,
    email: u.email,
    kdf: kdfOf(u),
    items: await repo.countCiphers(h.store.db, u.account_id, false),
    last_sync: isoOrNull(u.last_sync_at),
    server,
  };
}

// ---- the owner's view -----------------------------------------------------------------------

/** Every vault: its account, KDF, how many items, when it last synced, its devices. Never contents. */
export async function listVaults(h: Hearth) {
  const db = h.store.db;
  const names = new Map((await listAccounts(h)).map((a) => [a.id, a.username]));
  const users = (await repo.allUsers(db))
    .map((u) => ({ ...u, username: names.get(u.account_id) ?? '' }))
    .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  return Promise.all(
    users.map(async (u) => ({
      username: u.username,
      email: u.email,
      kdf: u.kdf_type === 0 ? `PBKDF2-SHA256, ${u.kdf_iterations} iterations` : `Argon2id, ${u.kdf_iterations} iterations`,
      items: await repo.countCiphers(db, u.account_id, false),
      trashed: await repo.countCiphers(db, u.account_id, true),
      folders: await repo.countFolders(db, u.account_id),
      created_at: isoOrNull(u.created_at),
      revision_date: isoOrNull(u.revision_date),
      last_sync: isoOrNull(u.last_sync_at),
      devices: (await repo.devicesOf(db, u.account_id)).map((d) => ({
        name: d.name,
        type: d.type,
        logged_in_at: isoOrNull(d.created_at),
        last_used_at: isoOrNull(d.last_used_at),
      })),
    })),
  );
}

/** Deletes an account's vault: keys, items, folders, devices, a pending registration token. The Hearth account stays. */
export async function deleteVault(h: Hearth, username: string): Promise<string> {
  const name = normalizeUsername(h, username);
  const account = await findAccount(h.store.db, name);
  if (!account || !(await repo.hasVault(h.store.db, account.id))) throw notFound(`${name} has no vault`);
  await h.store.db.transaction().execute(async (tx) => {
    await repo.deleteVault(tx, account.id);
    await deleteOwnedSecrets(tx, 'vaultreg', account.id);
  });
  return name;
}

/** The account a vault credential acts for: the Bitwarden surface takes only vault tokens, which always have one. */
export const vaultAccountOf = (principal: Principal): string =>
  ownAccount(principal, 'this credential belongs to no account; sign in as the account whose vault you want').id;
