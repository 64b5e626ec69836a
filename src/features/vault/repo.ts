/** The vault's tables: `vault_users`, `vault_devices`, `vault_folders`, `vault_ciphers`. */
import type { Db } from '../../store/db.js';
import { countAll } from '../../store/db.js';
import type { VaultCiphersTable, VaultDevicesTable, VaultFoldersTable, VaultUsersTable } from '../../store/schema.js';

export type VaultUser = VaultUsersTable;
export type VaultDevice = VaultDevicesTable;
export type CipherRow = VaultCiphersTable;
export type FolderRow = VaultFoldersTable;

// ---- vault users ----

export async function userByEmail(db: Db, email: string): Promise<VaultUser | undefined> {
  return db.selectFrom('vault_users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function userOf(db: Db, accountId: string): Promise<VaultUser | undefined> {
  return db.selectFrom('vault_users').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

export async function hasVault(db: Db, accountId: string): Promise<boolean> {
  return (await db.selectFrom('vault_users').select('account_id').where('account_id', '=', accountId).executeTakeFirst()) !== undefined;
}

export async function allUsers(db: Db): Promise<VaultUser[]> {
  return db.selectFrom('vault_users').selectAll().execute();
}

export async function insertUser(db: Db, row: VaultUser): Promise<void> {
  await db.insertInto('vault_users').values(row).execute();
}

export async function updateUser(db: Db, accountId: string, fields: Partial<Omit<VaultUser, 'account_id' | 'email' | 'created_at'>>): Promise<void> {
  await db.updateTable('vault_users').set(fields).where('account_id', '=', accountId).execute();
}

/** The vault changed: clients polling the revision date sync. */
export async function bumpRevision(db: Db, accountId: string, now: number): Promise<void> {
  await updateUser(db, accountId, { revision_date: now });
}

/** Deletes a vault: items, folders, devices and keys (the account stays). */
export async function deleteVault(db: Db, accountId: string): Promise<void> {
  for (const t of ['vault_ciphers', 'vault_folders', 'vault_devices', 'vault_users'] as const)
    await db.deleteFrom(t).where('account_id', '=', accountId).execute();
}

// ---- devices ----

export async function deviceByIdentifier(db: Db, accountId: string, identifier: string): Promise<{ id: string } | undefined> {
  return db.selectFrom('vault_devices').select('id').where('account_id', '=', accountId).where('identifier', '=', identifier).executeTakeFirst();
}

/**
 * One row per (account, device): a new login from a known device replaces its row (and with it
 * the old refresh token and, by the new id, its access tokens), racing logins included.
 */
export async function upsertDevice(db: Db, row: VaultDevice): Promise<void> {
  await db
    .insertInto('vault_devices')
    .values(row)
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
}

export async function deviceByRefreshHash(db: Db, hash: string): Promise<VaultDevice | undefined> {
  return db.selectFrom('vault_devices').selectAll().where('refresh_hash', '=', hash).executeTakeFirst();
}

/** Replaces a device's refresh token, only if it still is `oldHash` (so a token is used once). */
export async function rotateRefresh(
  db: Db,
  id: string,
  oldHash: string,
  next: { refresh_hash: string; last_used_at: number; refresh_expires_at: number },
): Promise<boolean> {
  const r = await db.updateTable('vault_devices').set(next).where('id', '=', id).where('refresh_hash', '=', oldHash).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deviceStamp(db: Db, id: string): Promise<{ id: string; stamp: string } | undefined> {
  return db.selectFrom('vault_devices').select(['id', 'stamp']).where('id', '=', id).executeTakeFirst();
}

export async function deleteDevices(db: Db, accountId: string): Promise<void> {
  await db.deleteFrom('vault_devices').where('account_id', '=', accountId).execute();
}

export async function devicesOf(db: Db, accountId: string) {
  return db
    .selectFrom('vault_devices')
    .select(['name', 'type', 'created_at', 'last_used_at'])
    .where('account_id', '=', accountId)
    .orderBy('last_used_at', 'desc')
    .execute();
}

// ---- ciphers ----

export async function cipher(db: Db, accountId: string, id: string): Promise<CipherRow | undefined> {
  return db.selectFrom('vault_ciphers').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
}

export async function ciphers(db: Db, accountId: string): Promise<CipherRow[]> {
  return db.selectFrom('vault_ciphers').selectAll().where('account_id', '=', accountId).execute();
}

/**
 * Up to `limit` of an account's ciphers with ids after `afterId`, by id: a keyset page, so a
 * reader paging through sees each cipher once however the vault changes meanwhile.
 */
export async function cipherPage(db: Db, accountId: string, afterId: string, limit: number): Promise<CipherRow[]> {
  return db.selectFrom('vault_ciphers').selectAll().where('account_id', '=', accountId).where('id', '>', afterId).orderBy('id').limit(limit).execute();
}

export async function ciphersIn(db: Db, accountId: string, ids: string[]): Promise<CipherRow[]> {
  return db.selectFrom('vault_ciphers').selectAll().where('account_id', '=', accountId).where('id', 'in', ids).execute();
}

export async function insertCipher(db: Db, row: CipherRow): Promise<void> {
  await db.insertInto('vault_ciphers').values(row).execute();
}

export async function updateCipher(db: Db, id: string, fields: Partial<Omit<CipherRow, 'id' | 'account_id'>>): Promise<void> {
  await db.updateTable('vault_ciphers').set(fields).where('id', '=', id).execute();
}

export async function updateCiphers(
  db: Db,
  accountId: string,
  ids: string[],
  fields: Partial<Pick<CipherRow, 'deleted_at' | 'folder_id' | 'revision_date'>>,
): Promise<void> {
  await db.updateTable('vault_ciphers').set(fields).where('account_id', '=', accountId).where('id', 'in', ids).execute();
}

export async function deleteCiphers(db: Db, accountId: string, ids: string[]): Promise<void> {
  await db.deleteFrom('vault_ciphers').where('account_id', '=', accountId).where('id', 'in', ids).execute();
}

/** A deleted folder's ciphers stay, in no folder. */
export async function unfile(db: Db, accountId: string, folderId: string, now: number): Promise<void> {
  await db
    .updateTable('vault_ciphers')
    .set({ folder_id: null, revision_date: now })
    .where('account_id', '=', accountId)
    .where('folder_id', '=', folderId)
    .execute();
}

/** Ciphers of an account: live ones, trashed ones, or (`trashed` undefined) all. */
export async function countCiphers(db: Db, accountId: string, trashed?: boolean): Promise<number> {
  let q = db
    .selectFrom('vault_ciphers')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', accountId);
  if (trashed !== undefined) q = q.where('deleted_at', trashed ? 'is not' : 'is', null);
  return countAll((await q.executeTakeFirstOrThrow()).n);
}

// ---- folders ----

export async function folder(db: Db, accountId: string, id: string): Promise<FolderRow | undefined> {
  return db.selectFrom('vault_folders').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
}

export async function folders(db: Db, accountId: string): Promise<FolderRow[]> {
  return db.selectFrom('vault_folders').selectAll().where('account_id', '=', accountId).execute();
}

export async function insertFolder(db: Db, row: FolderRow): Promise<void> {
  await db.insertInto('vault_folders').values(row).execute();
}

export async function renameFolder(db: Db, accountId: string, id: string, name: string, now: number): Promise<boolean> {
  const r = await db.updateTable('vault_folders').set({ name, revision_date: now }).where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteFolder(db: Db, accountId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('vault_folders').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function countFolders(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('vault_folders')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return countAll(row.n);
}
