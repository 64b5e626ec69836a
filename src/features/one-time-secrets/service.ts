/**
 * One-time secrets (SelfPrivacy's new-device and recovery tokens, Bitmask's invite codes, the
 * vault's registration tokens). Only their SHA-256 is stored, and they are spent with one
 * conditional update, so a phrase with N uses can never be used N+1 times, however many requests
 * race (SelfPrivacy 1.2.x could).
 */
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { randomBytes } from 'node:crypto';
import type { Role } from '../../auth/roles.js';
import { newId, tokenHash } from '../../auth/secrets.js';
import type { Db } from '../../store/db.js';
import type { SecretKind } from '../../store/schema.js';
import * as repo from './repo.js';

export type { SecretKind };
export type Secret = repo.SecretRow;

/**
 * What identifies a phrase: the entropy it encodes, so spacing and case do not matter. A phrase
 * that fails the BIP39 checksum identifies nothing.
 */
function phraseHash(phrase: string): string | null {
  const words = phrase.trim().toLowerCase().split(/\s+/).join(' ');
  if (!validateMnemonic(words, wordlist)) return null;
  return tokenHash(Buffer.from(mnemonicToEntropy(words, wordlist)).toString('hex'));
}

/** Invite codes and registration tokens are random text; pairing and recovery secrets are phrases. */
const secretHash = (kind: SecretKind, secret: string): string | null => (kind === 'invite' || kind === 'vaultreg' ? tokenHash(secret) : phraseHash(secret));

/** `bytes` random bytes as BIP39 words (16 → 12 words, 24 → 18). */
export const newPhrase = (bytes: number): string => entropyToMnemonic(randomBytes(bytes), wordlist);

/** Spends one use of a live secret of `kind`, atomically; its row, or null if it is wrong, expired or spent. */
export async function consumeSecret(db: Db, kind: SecretKind, secret: string, now: number): Promise<Secret | null> {
  const hash = secretHash(kind, secret);
  return hash ? repo.spend(db, kind, hash, now) : null;
}

/** The live secret of `kind` this is, without spending a use (to check more before spending it); null if none. */
export async function findLiveSecret(db: Db, kind: SecretKind, secret: string, now: number): Promise<Secret | null> {
  const hash = secretHash(kind, secret);
  return hash ? repo.findLive(db, kind, hash, now) : null;
}

export interface NewSecret {
  kind: SecretKind;
  accountId: string | null;
  role: Role;
  secret: string;
  now: number;
  expiresAt: number | null;
  uses: number;
}

const rowOf = (s: NewSecret): Secret => ({
  id: newId(),
  kind: s.kind,
  account_id: s.accountId,
  secret_hash: secretHash(s.kind, s.secret)!,
  role: s.role,
  created_at: s.now,
  expires_at: s.expiresAt,
  uses_left: s.uses,
});

/** Stores a new secret. */
export async function storeSecret(db: Db, s: NewSecret): Promise<Secret> {
  const row = rowOf(s);
  await repo.insert(db, row);
  return row;
}

/** Stores a new secret of its kind for an account, replacing any it had (one at a time). */
export async function replaceSecret(db: Db, s: NewSecret): Promise<Secret> {
  const row = rowOf(s);
  await db.transaction().execute(async (tx) => {
    await repo.deleteOwned(tx, s.kind, s.accountId);
    await repo.insert(tx, row);
  });
  return row;
}

export const deleteSecret = (db: Db, id: string) => repo.deleteById(db, id);
export const deleteOwnedSecrets = (db: Db, kind: SecretKind, accountId: string | null) => repo.deleteOwned(db, kind, accountId);
export const deleteAccountSecrets = (db: Db, accountId: string, kinds: readonly SecretKind[]) => repo.deleteForAccount(db, accountId, kinds);
export const findOwnedSecret = (db: Db, kind: SecretKind, accountId: string | null) => repo.findOwned(db, kind, accountId);
export const liveSecrets = (db: Db, kind: SecretKind, now: number) => repo.listLive(db, kind, now);
export const adoptOwnerlessSecrets = (db: Db, accountId: string, kinds: readonly SecretKind[]) => repo.adoptOwnerless(db, accountId, kinds);
