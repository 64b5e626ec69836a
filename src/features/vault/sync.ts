/** What a client downloads: its profile, and the full sync (profile, folders, ciphers, keys). */
import { Readable } from 'node:stream';
import type { Hearth } from '../../kernel/hearth.js';
import { accountById } from '../accounts/service.js';
import { methodsOf } from '../two-factor/service.js';
import { kdfOf, vaultUser } from './identity.js';
import { bwDate, cipherJson, folderJson } from './model.js';
import * as repo from './repo.js';
import type { VaultUser } from './repo.js';

export async function profile(h: Hearth, accountId: string, u?: VaultUser) {
  const user = u ?? (await vaultUser(h, accountId));
  const account = (await accountById(h, accountId))!;
  return {
    id: account.id,
    name: user.name || account.fullName || account.username,
    email: user.email,
    emailVerified: true,
    premium: true,
    premiumFromOrganization: false,
    masterPasswordHint: null,
    culture: 'en-US',
    twoFactorEnabled: (await methodsOf(h, accountId)).length > 0,
    key: user.akey,
    privateKey: user.private_key,
    accountKeys: accountKeys(user),
    securityStamp: account.securityStamp,
    organizations: [],
    providers: [],
    providerOrganizations: [],
    forcePasswordReset: false,
    avatarColor: null,
    usesKeyConnector: false,
    creationDate: bwDate(user.created_at),
    object: 'profile',
  };
}

export const accountKeys = (u: VaultUser) => ({
  publicKeyEncryptionKeyPair: { wrappedPrivateKey: u.private_key, publicKey: u.public_key, Object: 'publicKeyEncryptionKeyPair' },
  Object: 'privateKeys',
});

/** The token answer's key material: what the client needs to unlock (all of it wrapped). */
export function tokenKeys(u: VaultUser) {
  const kdf = kdfOf(u);
  return {
    Key: u.akey,
    PrivateKey: u.private_key,
    Kdf: kdf.kdfType,
    KdfIterations: kdf.iterations,
    KdfMemory: kdf.memory,
    KdfParallelism: kdf.parallelism,
    ResetMasterPassword: false,
    ForcePasswordReset: false,
    MasterPasswordPolicy: { Object: 'masterPasswordPolicy' },
    AccountKeys: accountKeys(u),
    UserDecryptionOptions: {
      HasMasterPassword: true,
      Object: 'userDecryptionOptions',
      MasterPasswordUnlock: {
        Kdf: { KdfType: kdf.kdfType, Iterations: kdf.iterations, Memory: kdf.memory, Parallelism: kdf.parallelism },
        MasterKeyEncryptedUserKey: u.akey,
        MasterKeyWrappedUserKey: u.akey,
        Salt: u.email,
      },
    },
  };
}

/** Ciphers per page read, and per chunk of the sync answer. */
const SYNC_PAGE = 256;

/**
 * `/sync` as a stream of JSON text: the ciphers are read a page at a time and spliced from their
 * stored text, not parsed and re-serialised, so neither the rows nor the answer are ever held
 * whole however large the vault. Like Bitwarden's own server (which reads the parts of a sync in
 * separate queries), the answer is not one snapshot: a cipher written while it streams is sent
 * as it was or as it is, and once. Records when the vault last synced, to the minute (for the
 * owner's view).
 */
export async function syncStream(h: Hearth, accountId: string): Promise<Readable> {
  const db = h.store.db;
  const [user, folders] = await Promise.all([vaultUser(h, accountId), repo.folders(db, accountId)]);
  const kdf = kdfOf(user);
  const userDecryption = {
    masterPasswordUnlock: { kdf, masterKeyEncryptedUserKey: user.akey, masterKeyWrappedUserKey: user.akey, salt: user.email },
    ...(user.user_key_id ? { userKeyId: user.user_key_id } : {}),
  };
  // The owner's view needs the last sync to the minute, not a write on every sync.
  const now = h.clock.now();
  if (user.last_sync_at === null || now - user.last_sync_at >= 60_000 || now < user.last_sync_at) {
    await repo.updateUser(db, accountId, { last_sync_at: now });
  }
  const head = JSON.stringify({
    object: 'sync',
    profile: await profile(h, accountId, user),
    folders: folders.map(folderJson),
    collections: [],
    policies: [],
    domains: null,
    sends: [],
    userDecryption,
  });
  async function* chunks(): AsyncGenerator<Buffer> {
    yield Buffer.from(`${head.slice(0, -1)},"ciphers":[`);
    let after = '';
    for (;;) {
      const page = await repo.cipherPage(db, accountId, after, SYNC_PAGE);
      if (page.length) yield Buffer.from(`${after ? ',' : ''}${page.map(cipherJson).join(',')}`);
      if (page.length < SYNC_PAGE) break;
      after = page[page.length - 1]!.id;
    }
    yield Buffer.from(']}');
  }
  return Readable.from(chunks(), { objectMode: false });
}
