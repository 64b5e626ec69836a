/**
 * One-time secrets (SelfPrivacy's new-device and recovery tokens, Bitmask's invite codes).
 * Only their SHA-256 is stored, and they are spent with one conditional update, so a phrase
 * with N uses can never be used N+1 times, however many requests race (SelfPrivacy 1.2.x could).
 */
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Principal } from '../auth/principal.js';
import type { Role } from '../auth/roles.js';
import { newId, randomSecret, tokenHash } from '../auth/secrets.js';
import { badRequest, notFound } from '../errors.js';
import type { Database, OneTimeSecretsTable, SecretKind } from '../store/schema.js';
import { createDevice, ownedBy, scopeOf } from './credentials.js';
import type { Hearth } from './hearth.js';
import { guarded, type Attempt } from './limits.js';

type Db = Kysely<Database> | Transaction<Database>;

export const PAIRING_TTL_MS = 10 * 60_000;

/**
 * What identifies a phrase: the entropy it encodes, so spacing and case do not matter. A phrase
 * that fails the BIP39 checksum identifies nothing.
 */
function phraseHash(phrase: string): string | null {
  const words = phrase.trim().toLowerCase().split(/\s+/).join(' ');
  if (!validateMnemonic(words, wordlist)) return null;
  return tokenHash(Buffer.from(mnemonicToEntropy(words, wordlist)).toString('hex'));
}

const secretHash = (kind: SecretKind, secret: string): string | null => (kind === 'invite' || kind === 'vaultreg' ? tokenHash(secret) : phraseHash(secret));

/**
 * Spends one use of a live secret of `kind`, atomically; answers its row, or null if it is
 * wrong, expired or spent.
 */
export async function consumeSecret(db: Db, kind: SecretKind, secret: string, now: number): Promise<OneTimeSecretsTable | null> {
  const hash = secretHash(kind, secret);
  if (!hash) return null;
  const spent = await db
    .updateTable('one_time_secrets')
    .set((eb) => ({ uses_left: eb('uses_left', '-', 1) }))
    .where('secret_hash', '=', hash)
    .where('kind', '=', kind)
    .where('uses_left', '>', 0)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) return null;
  return (await db.selectFrom('one_time_secrets').selectAll().where('secret_hash', '=', hash).executeTakeFirst()) ?? null;
}

/** Stores a new secret of `kind` for an account, replacing any it had (one at a time). */
async function replaceSecret(h: Hearth, kind: SecretKind, accountId: string | null, role: Role, secret: string, expiresAt: number | null, uses: number): Promise<OneTimeSecretsTable> {
  const row: OneTimeSecretsTable = {
    id: newId(),
    kind,
    account_id: accountId,
    secret_hash: secretHash(kind, secret)!,
    role,
    created_at: h.clock.now(),
    expires_at: expiresAt,
    uses_left: uses,
  };
  await h.store.db.transaction().execute(async (tx) => {
    await ownedBy(tx.deleteFrom('one_time_secrets').where('kind', '=', kind), accountId).execute();
    await tx.insertInto('one_time_secrets').values(row).execute();
  });
  return row;
}

const phrase = (bytes: number) => entropyToMnemonic(randomBytes(bytes), wordlist);

// ---- new-device pairing --------------------------------------------------------------------

/**
 * A pairing phrase (SelfPrivacy's POST /auth/new_device): 16 random bytes as 12 BIP39 words,
 * valid 10 minutes, single use; a new one replaces the caller's previous one.
 */
export async function newPairing(h: Hearth, principal: Principal): Promise<{ token: string; expires_at: string; expires_in: number }> {
  const words = phrase(16);
  const expiresAt = h.clock.now() + PAIRING_TTL_MS;
  await replaceSecret(h, 'pairing', scopeOf(principal), principal.role, words, expiresAt, 1);
  // expires_in (seconds) lets a client count down whatever its own clock says.
  return { token: words, expires_at: new Date(expiresAt).toISOString(), expires_in: PAIRING_TTL_MS / 1000 };
}

export async function cancelPairing(h: Hearth, principal: Principal): Promise<void> {
  await ownedBy(h.store.db.deleteFrom('one_time_secrets').where('kind', '=', 'pairing'), scopeOf(principal)).execute();
}

type From = Omit<Attempt, 'username' | 'accountId'>;

/** Spends a phrase of `kind` for a new device token, under the failed-login limits; else 404. */
async function redeem(h: Hearth, kind: 'pairing' | 'recovery', p: { token: string; device: string }, from: From): Promise<{ name: string; token: string }> {
  const attempt: Attempt = { ...from, username: `(${kind} phrase)`, accountId: null };
  return guarded(
    h,
    attempt,
    () =>
      h.store.db.transaction().execute(async (tx) => {
        const row = await consumeSecret(tx, kind, p.token, h.clock.now());
        if (!row) return null;
        if (kind === 'pairing') await tx.deleteFrom('one_time_secrets').where('id', '=', row.id).execute();
        return createDevice(h, tx, row.account_id, row.role as Role, p.device);
      }),
    () => notFound(kind === 'pairing' ? 'the pairing phrase is wrong, expired or used' : 'the recovery token is wrong, expired or used up'),
  );
}

/** A new device presents the phrase and its name (SelfPrivacy's /auth/new_device/authorize). */
export const authorizeDevice = (h: Hearth, p: { token: string; device: string }, from: From) => redeem(h, 'pairing', p, from);

// ---- recovery tokens -----------------------------------------------------------------------

/** SelfPrivacy's format: `%Y-%m-%dT%H:%M:%S.%fZ` (1–6 fraction digits), UTC. */
const EXPIRATION = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{1,6})Z$/;

export function parseExpiration(h: Hearth, raw: string): number {
  const m = EXPIRATION.exec(raw);
  const ms = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, Math.floor(Number(`0.${m[7]}`) * 1000)) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).getUTCDate() !== +m[3]! || +m[4]! > 23 || +m[5]! > 59 || +m[6]! > 59) {
    throw badRequest(`expiration must be a UTC time like 2026-12-31T23:59:59.000000Z; got ${JSON.stringify(raw)}`);
  }
  if (ms <= h.clock.now()) throw badRequest(`expiration ${raw} is in the past`);
  return ms;
}

/** Recovery token (SelfPrivacy): 24 random bytes as 18 words; replaces any existing one. */
/** Uses of a recovery token created without a limit: large enough never to run out. */
const UNLIMITED = 2 ** 31 - 1;

export async function createRecovery(h: Hearth, principal: Principal, p: { expiration?: string | null; uses?: number | null }): Promise<{ token: string }> {
  const expiresAt = p.expiration ? parseExpiration(h, p.expiration) : null;
  if (p.uses !== undefined && p.uses !== null && (!Number.isInteger(p.uses) || p.uses < 1)) throw badRequest(`uses must be a whole number of at least 1; got ${p.uses}`);
  const words = phrase(24);
  await replaceSecret(h, 'recovery', scopeOf(principal), principal.role, words, expiresAt, p.uses ?? UNLIMITED);
  return { token: words };
}

export async function recoveryStatus(h: Hearth, principal: Principal) {
  const row = await ownedBy(h.store.db.selectFrom('one_time_secrets').selectAll().where('kind', '=', 'recovery'), scopeOf(principal)).executeTakeFirst();
  if (!row) return { exists: false, valid: false, date: null, expiration: null, uses_left: null };
  const now = h.clock.now();
  return {
    exists: true,
    valid: row.uses_left > 0 && (row.expires_at === null || row.expires_at > now),
    date: new Date(row.created_at).toISOString(),
    expiration: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    uses_left: row.uses_left > UNLIMITED / 2 ? null : row.uses_left,
  };
}

/** Spends one use of the recovery token for a new device token (SelfPrivacy's /use). */
export const useRecovery = (h: Hearth, p: { token: string; device: string }, from: From) => redeem(h, 'recovery', p, from);

// ---- invite codes --------------------------------------------------------------------------

/** An invite code (Bitmask's invitecode): single use, expiring after `[accounts] invite_ttl`. */
export async function createInvite(h: Hearth, principal: Principal): Promise<{ invitecode: string; expires_at: string }> {
  const code = randomSecret(32);
  const expiresAt = h.clock.now() + h.config.accounts.invite_ttl * 1000;
  await h.store.db
    .insertInto('one_time_secrets')
    .values({ id: newId(), kind: 'invite', account_id: principal.account?.id ?? null, secret_hash: tokenHash(code), role: 'creator', created_at: h.clock.now(), expires_at: expiresAt, uses_left: 1 })
    .execute();
  return { invitecode: code, expires_at: new Date(expiresAt).toISOString() };
}

/** Invite codes not yet used or expired (their ids and dates; the codes are not kept). */
export async function listInvites(h: Hearth) {
  const now = h.clock.now();
  const rows = await h.store.db
    .selectFrom('one_time_secrets')
    .select(['id', 'created_at', 'expires_at'])
    .where('kind', '=', 'invite')
    .where('uses_left', '>', 0)
    .where('expires_at', '>', now)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ id: r.id, created_at: new Date(r.created_at).toISOString(), expires_at: new Date(r.expires_at!).toISOString() }));
}
