/**
 * OpenPGP keys (Bitmask's KeyManager): every account has its own key pair, made here in the
 * background when the account is created (status `generating` → `found`), and the public keys
 * of others it imported. The private key is kept only encrypted under the account's password
 * (OpenPGP's own S2K: a key derived from the password, salted and iterated), re-encrypted when
 * the password changes, and handed out only after the password is given again.
 *
 * openpgp.js is loaded on first use: a daemon that never touches keys does not load it.
 */
import type { Key, PrivateKey } from 'openpgp';
import { newId } from '../../auth/secrets.js';
import { badRequest, HearthError, notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { isoOrNull, type Db } from '../../store/db.js';
import type { KeyStatus } from '../../store/schema.js';
import * as repo from './repo.js';
import type { KeyRow } from './repo.js';
import { VALIDATION_LEVELS, type ValidationLevel } from './levels.js';

type OpenPGP = typeof import('openpgp');
let library: Promise<OpenPGP> | null = null;
/** openpgp.js, loaded once, on first use. */
const openpgp = (): Promise<OpenPGP> => (library ??= import('openpgp'));

export { VALIDATION_LEVELS, type ValidationLevel };

/** A key pair still `generating` after this long was interrupted (the daemon stopped meanwhile). */
const GENERATION_STALE_MS = 5 * 60_000;

/** The account a key operation acts on. */
export interface KeyOwner {
  id: string;
  username: string;
}

export type KeyState = 'valid' | 'expired' | 'revoked';

export interface KeyView {
  address: string;
  fingerprint: string | null;
  uids: string[];
  algorithm: string | null;
  bits: number | null;
  created_at: string | null;
  expires_at: string | null;
  private: boolean;
  status: KeyStatus;
  state: KeyState | null;
  validation: string;
  refreshed_at: string;
  error: string | null;
}

/** The account's own address: its key pair's user id. */
export const ownAddress = (h: Hearth, username: string): string => `${username}@${h.config.server.domain}`.toLowerCase();

const ADDRESS = /^[^@\s<>]+@[^@\s<>]+$/;

function checkAddress(raw: string): string {
  const address = raw.trim().toLowerCase();
  if (!ADDRESS.test(address) || address.length > 320) throw badRequest(`address must be an email address such as bob@example.org; got ${JSON.stringify(raw)}`);
  return address;
}

/** Generation jobs running in this process, by account id. */
const inFlight = new Map<string, Promise<void>>();

/** The row's status as a reader should see it: a generation this long silent was interrupted. */
function effectiveStatus(h: Hearth, r: KeyRow): { status: KeyStatus; error: string | null } {
  if (r.status === 'generating' && !inFlight.has(r.account_id) && h.clock.now() - r.refreshed_at > GENERATION_STALE_MS) {
    return { status: 'failed', error: 'the key pair generation was interrupted; make a new one with keys/generate' };
  }
  return { status: r.status, error: r.error };
}

function stateOf(h: Hearth, r: KeyRow): KeyState | null {
  if (r.fingerprint === null) return null;
  if (r.revoked) return 'revoked';
  if (r.expires_at !== null && r.expires_at <= h.clock.now()) return 'expired';
  return 'valid';
}

function view(h: Hearth, r: KeyRow): KeyView {
  const { status, error } = effectiveStatus(h, r);
  return {
    address: r.address,
    fingerprint: r.fingerprint,
    uids: JSON.parse(r.uids) as string[],
    algorithm: r.algorithm,
    bits: r.bits,
    created_at: isoOrNull(r.key_created_at),
    expires_at: isoOrNull(r.expires_at),
    private: r.private === 1,
    status,
    state: stateOf(h, r),
    validation: r.validation,
    refreshed_at: new Date(r.refreshed_at).toISOString(),
    error,
  };
}

const CURVE_BITS: Record<string, number> = {
  ed25519Legacy: 256,
  curve25519Legacy: 256,
  nistP256: 256,
  nistP384: 384,
  nistP521: 521,
  secp256k1: 256,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

/** `ed25519`/256, `RSA`/3072, `ecdsa nistP256`/256… for the primary key. */
function algorithmOf(key: Key): { algorithm: string; bits: number | null } {
  const info = key.getAlgorithmInfo();
  const name = String(info.algorithm);
  if (name === 'eddsaLegacy' || name === 'ed25519') return { algorithm: 'ed25519', bits: 256 };
  if (name === 'ed448') return { algorithm: 'ed448', bits: 456 };
  if (name.startsWith('rsa')) return { algorithm: 'RSA', bits: info.bits ?? null };
  const curve = info.curve ? String(info.curve) : null;
  return { algorithm: curve ? `${name} ${curve}` : name, bits: info.bits ?? (curve ? (CURVE_BITS[curve] ?? null) : null) };
}

interface Parsed {
  fingerprint: string;
  uids: string[];
  /** Addresses bound to the key by a valid self-signature. */
  emails: string[];
  algorithm: string;
  bits: number | null;
  createdAt: number;
  expiresAt: number | null;
  revoked: boolean;
}

/** Why a key cannot be used at `now`: revoked, expired, or a reason it is not valid at all. */
async function validity(key: Key, now: Date): Promise<'valid' | 'expired' | 'revoked' | { invalid: string }> {
  try {
    await key.verifyPrimaryKey(now);
    return 'valid';
  } catch (err) {
    const message = (err as Error).message;
    if (/revoked/i.test(message)) return 'revoked';
    if (/expired/i.test(message)) return 'expired';
    return { invalid: message };
  }
}

/** A key's facts, checked: its self-signatures must hold (at `now`, or when it was made, for a key since expired or revoked). */
async function parse(key: Key, now: Date): Promise<Parsed & { state: KeyState }> {
  const state = await validity(key, now);
  if (typeof state === 'object') throw badRequest(`the key is not valid: ${state.invalid}`);
  // The user ids that count are those the key itself certifies (anyone can append a user id packet).
  const at = state === 'valid' ? now : new Date(key.getCreationTime().getTime() + 1000);
  const emails: string[] = [];
  for (const user of key.users) {
    if (!user.userID?.email) continue;
    try {
      await user.verify(at);
      emails.push(user.userID.email.toLowerCase());
    } catch {
      // not bound by a valid self-signature: ignored
    }
  }
  // A revoked key may have no readable expiry left: it is reported as revoked, with none.
  const expiry = await key.getExpirationTime().catch(() => null);
  const expiresAt = expiry instanceof Date ? expiry.getTime() : null;
  return {
    fingerprint: key.getFingerprint().toUpperCase(),
    uids: key.getUserIDs(),
    emails,
    ...algorithmOf(key),
    createdAt: key.getCreationTime().getTime(),
    expiresAt,
    revoked: state === 'revoked',
    state,
  };
}

// ---- the account's own key pair ------------------------------------------------------------

async function generate(h: Hearth, owner: KeyOwner, rowId: string, password: string): Promise<void> {
  const pgp = await openpgp();
  const address = ownAddress(h, owner.username);
  const now = new Date(h.clock.now());
  const { privateKey, publicKey } = await pgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy', // ed25519 to sign, cv25519 to encrypt: fast, and every OpenPGP tool reads it
    userIDs: [{ name: owner.username, email: address }],
    passphrase: password,
    date: now,
    format: 'object',
  });
  const facts = await parse(publicKey, now);
  await repo.update(h.store.db, rowId, {
    status: 'found',
    fingerprint: facts.fingerprint,
    public_armor: publicKey.armor(),
    private_armor: privateKey.armor(),
    uids: JSON.stringify(facts.uids),
    algorithm: facts.algorithm,
    bits: facts.bits,
    key_created_at: facts.createdAt,
    expires_at: facts.expiresAt,
    revoked: 0,
    refreshed_at: h.clock.now(),
    error: null,
  });
}

/**
 * Starts generating the account's key pair in the background (replacing any it had), its
 * private key encrypted under `password`. Returns once the `generating` state is stored.
 */
export async function beginKeyPair(h: Hearth, owner: KeyOwner, password: string): Promise<void> {
  const running = inFlight.get(owner.id);
  if (running) await running;
  const id = newId();
  await h.store.db.transaction().execute(async (tx) => {
    await repo.removeOwn(tx, owner.id);
    await repo.insert(tx, {
      id,
      account_id: owner.id,
      address: ownAddress(h, owner.username),
      private: 1,
      status: 'generating',
      fingerprint: null,
      public_armor: null,
      private_armor: null,
      uids: '[]',
      algorithm: null,
      bits: null,
      key_created_at: null,
      expires_at: null,
      revoked: 0,
      validation: 'Fingerprint',
      refreshed_at: h.clock.now(),
      error: null,
    });
  });
  const job = generate(h, owner, id, password)
    .catch(async (err: unknown) => {
      try {
        await repo.update(h.store.db, id, { status: 'failed', error: `the key pair could not be made: ${(err as Error).message}` });
      } catch {
        // the store is gone (the daemon is stopping): the row reads as interrupted later
      }
    })
    .finally(() => inFlight.delete(owner.id));
  inFlight.set(owner.id, job);
}

/** Waits for the account's key pair generation, if one runs in this process (tests, password changes). */
export async function keyPairSettled(accountId: string): Promise<void> {
  await inFlight.get(accountId);
}

/** What the mail status says of the account's keys: null (nothing known), `generating` or `found`. */
export async function keysStatus(h: Hearth, accountId: string): Promise<'generating' | 'found' | null> {
  const row = await repo.ownKeyPair(h.store.db, accountId);
  if (!row) return null;
  const { status } = effectiveStatus(h, row);
  return status === 'failed' ? null : status;
}

/**
 * Re-encrypting the private key for a new password, in two steps around the password's own
 * transaction: the slow part (`prepare`, decrypt and encrypt) before it, `write` inside it, and
 * `after` once it committed. Without the old password (a maintainer's reset), or when the key
 * does not open with it, the key pair cannot be kept: a new one is generated under the new password.
 */
export interface Rekey {
  write(db: Db): Promise<void>;
  after(): Promise<void>;
}

export async function prepareRekey(h: Hearth, owner: KeyOwner, oldpass: string | null, newpass: string): Promise<Rekey> {
  await keyPairSettled(owner.id);
  const row = await repo.ownKeyPair(h.store.db, owner.id).catch(() => undefined); // no keys table: nothing to do
  const nothing: Rekey = { write: async () => {}, after: async () => {} };
  if (!row) return nothing;
  const regenerate: Rekey = { write: (db) => repo.removeOwn(db, owner.id), after: () => beginKeyPair(h, owner, newpass) };
  if (row.status !== 'found' || !row.private_armor || oldpass === null) return regenerate;
  const pgp = await openpgp();
  let unlocked: PrivateKey;
  try {
    unlocked = await pgp.decryptKey({ privateKey: await pgp.readPrivateKey({ armoredKey: row.private_armor }), passphrase: oldpass });
  } catch {
    return regenerate;
  }
  const armored = (await pgp.encryptKey({ privateKey: unlocked, passphrase: newpass })).armor();
  return { write: (db) => repo.update(db, row.id, { private_armor: armored }), after: async () => {} };
}

// ---- commands --------------------------------------------------------------------------------

/** The account's keys (its own key pair first), optionally only one address's. */
export async function listKeys(h: Hearth, owner: KeyOwner, address?: string): Promise<KeyView[]> {
  const wanted = address === undefined || address === '' ? null : checkAddress(address);
  const rows = await repo.forAccount(h.store.db, owner.id);
  return rows.filter((r) => wanted === null || r.address === wanted).map((r) => view(h, r));
}

export interface InsertRequest {
  address: string;
  key: string;
  validation?: ValidationLevel;
}

/**
 * Stores another address's public key (replacing the one it had). The armor must hold exactly
 * one public key whose self-signed user ids include the address; a key that expired or was
 * revoked is stored with that state and says so.
 */
export async function insertKey(h: Hearth, owner: KeyOwner, req: InsertRequest): Promise<KeyView & { replaced: boolean }> {
  const address = checkAddress(req.address);
  if (address === ownAddress(h, owner.username)) {
    throw badRequest(`${address} is this account's own address: its key pair is made here (keys/generate), not imported`);
  }
  const validation = req.validation ?? 'Weak_Chain';
  if (!VALIDATION_LEVELS.includes(validation)) throw badRequest(`validation must be one of ${VALIDATION_LEVELS.join(', ')}`);
  // openpgp.js reads the first armored block only: more than one is refused, not half-read.
  const blocks = req.key.match(/-----BEGIN PGP [A-Z ]+-----/g)?.length ?? 0;
  if (blocks > 1) throw badRequest(`key holds ${blocks} armored blocks; give one key at a time`);
  const pgp = await openpgp();
  let keys: Key[];
  try {
    keys = await pgp.readKeys({ armoredKeys: req.key });
  } catch (err) {
    throw badRequest(`key is not an ASCII-armored OpenPGP key (${(err as Error).message}); export one with: gpg --export --armor ${address}`);
  }
  if (keys.length !== 1) throw badRequest(`key holds ${keys.length} keys; give one at a time`);
  const key = keys[0]!;
  if (key.isPrivate()) throw badRequest('key is a private key: import only the public key (gpg --export --armor, not --export-secret-keys)');
  const facts = await parse(key, new Date(h.clock.now()));
  if (!facts.emails.includes(address)) {
    const bound = facts.emails.length ? facts.emails.join(', ') : 'no address';
    throw badRequest(`the key's user ids (${bound}) do not include ${address}: it is not a key for that address`);
  }
  const now = h.clock.now();
  const fields = {
    status: 'found' as const,
    fingerprint: facts.fingerprint,
    public_armor: key.armor(),
    private_armor: null,
    uids: JSON.stringify(facts.uids),
    algorithm: facts.algorithm,
    bits: facts.bits,
    key_created_at: facts.createdAt,
    expires_at: facts.expiresAt,
    revoked: facts.revoked ? 1 : 0,
    validation,
    refreshed_at: now,
    error: null,
  };
  const replaced = await h.store.db.transaction().execute(async (tx) => {
    const existing = await repo.find(tx, owner.id, address, false);
    if (existing) await repo.update(tx, existing.id, fields);
    else await repo.insert(tx, { id: newId(), account_id: owner.id, address, private: 0, ...fields });
    return existing !== undefined;
  });
  const row = (await repo.find(h.store.db, owner.id, address, false))!;
  return { ...view(h, row), replaced };
}

/** Forgets an imported public key (the account's own key pair is replaced with keys/generate, never deleted). */
export async function deleteKey(h: Hearth, owner: KeyOwner, rawAddress: string): Promise<string> {
  const address = checkAddress(rawAddress);
  if (address === ownAddress(h, owner.username)) {
    throw badRequest(`${address} is this account's own key pair: it is not deleted (keys/generate replaces it)`);
  }
  const row = await repo.find(h.store.db, owner.id, address, false);
  if (!row) throw notFound(`no key for ${address} on this account`);
  await repo.remove(h.store.db, row.id);
  return address;
}

export interface Exported {
  address: string;
  fingerprint: string;
  private: boolean;
  armored: string;
}

/**
 * A key, ASCII-armored. The private key (the account's own only) is as stored: encrypted under
 * the account's password, which any OpenPGP tool asks for to use it. The caller must have
 * confirmed the password just now (the command does, under the login limits).
 */
export async function exportKey(h: Hearth, owner: KeyOwner, rawAddress: string | undefined, priv: boolean): Promise<Exported> {
  const own = ownAddress(h, owner.username);
  const address = rawAddress === undefined || rawAddress === '' ? own : checkAddress(rawAddress);
  if (priv && address !== own) throw badRequest(`only this account's own private key can be exported (${own}); others' keys here are public`);
  const row = address === own ? await repo.ownKeyPair(h.store.db, owner.id) : await repo.find(h.store.db, owner.id, address, false);
  if (!row) throw notFound(address === own ? `${own} has no key pair yet: make one with keys/generate` : `no key for ${address} on this account`);
  if (row.status !== 'found' || !row.public_armor || !row.fingerprint) {
    const { status, error } = effectiveStatus(h, row);
    throw new HearthError(
      'conflict',
      status === 'generating' ? 'the key pair is still being generated; try again in a moment' : (error ?? `the key pair is ${status}`),
    );
  }
  const armored = priv ? row.private_armor : row.public_armor;
  if (!armored) throw notFound(`no private key for ${address}`);
  return { address: row.address, fingerprint: row.fingerprint, private: priv, armored };
}
