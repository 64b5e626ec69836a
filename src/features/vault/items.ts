/**
 * A vault's ciphers and folders. Every change bumps the item's and the vault's revision date
 * (clients poll `/accounts/revision-date` to know whether to sync); every lookup is narrowed to
 * the caller's own rows, so another account's item is simply not found.
 */
import { newId } from '../../auth/secrets.js';
import { badRequest, HearthError, notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import type { Db } from '../../store/db.js';
import type { CipherBody, FolderBody, IdsBody, PartialCipherBody } from './bodies.js';
import { cipherJson, folderIdOf, folderJson, isEncString, isUuid, parseCipher } from './model.js';
import * as repo from './repo.js';
import { bumpRevision as bump, type CipherRow } from './repo.js';

const MAX_BULK = 5000;

const notFoundCipher = () => notFound("Cipher doesn't exist");
const notFoundFolder = () => notFound("Folder doesn't exist");

function idOf(id: string, what: () => HearthError): string {
  if (!isUuid(id)) throw what();
  return id.toLowerCase();
}

async function checkFolder(tx: Db, accountId: string, folderId: string | null): Promise<void> {
  if (folderId === null) return;
  if (!(await repo.folder(tx, accountId, folderId))) throw badRequest("Invalid folder: folderId is not one of this vault's folders");
}

async function cipherRow(tx: Db, accountId: string, id: string): Promise<CipherRow> {
  const row = await repo.cipher(tx, accountId, idOf(id, notFoundCipher));
  if (!row) throw notFoundCipher();
  return row;
}

// ---- ciphers ---------------------------------------------------------------------------------

export async function getCipher(h: Hearth, accountId: string, id: string): Promise<string> {
  return cipherJson(await cipherRow(h.store.db, accountId, id));
}

export async function listCiphers(h: Hearth, accountId: string): Promise<string> {
  const rows = await repo.ciphers(h.store.db, accountId);
  return `{"object":"list","data":[${rows.map(cipherJson).join(',')}],"continuationToken":null}`;
}

export async function createCipher(h: Hearth, accountId: string, body: CipherBody): Promise<string> {
  const c = parseCipher(body);
  const now = h.clock.now();
  const row: CipherRow = {
    id: newId(),
    account_id: accountId,
    folder_id: c.folderId,
    type: c.type,
    favorite: c.favorite ? 1 : 0,
    reprompt: c.reprompt,
    cipher_key: c.key,
    data: c.data,
    created_at: now,
    revision_date: now,
    deleted_at: null,
  };
  await h.store.db.transaction().execute(async (tx) => {
    await checkFolder(tx, accountId, c.folderId);
    await repo.insertCipher(tx, row);
    await bump(tx, accountId, now);
  });
  return cipherJson(row);
}

/**
 * Replaces a cipher with the client's new version. A client that last saw an older revision
 * (more than a second older, as the clients' dates lose precision) is told to sync first.
 */
export async function updateCipher(h: Hearth, accountId: string, id: string, body: CipherBody): Promise<string> {
  const c = parseCipher(body);
  const now = h.clock.now();
  return h.store.db.transaction().execute(async (tx) => {
    const old = await cipherRow(tx, accountId, id);
    if (c.lastKnownRevisionDate !== null && old.revision_date - Date.parse(c.lastKnownRevisionDate) > 1000) {
      throw badRequest('The client copy of this cipher is out of date. Resync the client and try again.');
    }
    if (old.type !== c.type) throw badRequest("a cipher's type cannot change");
    await checkFolder(tx, accountId, c.folderId);
    const row: CipherRow = {
      ...old,
      folder_id: c.folderId,
      favorite: c.favorite ? 1 : 0,
      reprompt: c.reprompt,
      cipher_key: c.key,
      data: c.data,
      revision_date: now,
    };
    await repo.updateCipher(tx, old.id, {
      folder_id: row.folder_id,
      favorite: row.favorite,
      reprompt: row.reprompt,
      cipher_key: row.cipher_key,
      data: row.data,
      revision_date: now,
    });
    await bump(tx, accountId, now);
    return cipherJson(row);
  });
}

function idsOf(body: IdsBody): string[] {
  const ids = body.ids;
  if (!Array.isArray(ids) || ids.length === 0) throw badRequest('ids must be a list of cipher ids');
  if (ids.length > MAX_BULK) throw badRequest(`at most ${MAX_BULK} ids at once`);
  return ids.map((i) => {
    if (!isUuid(i)) throw badRequest(`ids: ${JSON.stringify(i)} is not a cipher id`);
    return i.toLowerCase();
  });
}

/** Soft delete (trash), restore or permanent delete, of one cipher or several; all or none. */
async function apply(h: Hearth, accountId: string, ids: string[], action: 'trash' | 'restore' | 'delete'): Promise<CipherRow[]> {
  const now = h.clock.now();
  return h.store.db.transaction().execute(async (tx) => {
    const rows = await repo.ciphersIn(tx, accountId, ids);
    if (rows.length !== new Set(ids).size) throw notFoundCipher();
    if (action === 'delete') await repo.deleteCiphers(tx, accountId, ids);
    else await repo.updateCiphers(tx, accountId, ids, { deleted_at: action === 'trash' ? now : null, revision_date: now });
    await bump(tx, accountId, now);
    return rows.map((r) => ({ ...r, deleted_at: action === 'trash' ? now : null, revision_date: now }));
  });
}

export const trashCipher = (h: Hearth, a: string, id: string) => apply(h, a, [idOf(id, notFoundCipher)], 'trash').then(() => undefined);
export const trashCiphers = (h: Hearth, a: string, body: IdsBody) => apply(h, a, idsOf(body), 'trash').then(() => undefined);
export const deleteCipher = (h: Hearth, a: string, id: string) => apply(h, a, [idOf(id, notFoundCipher)], 'delete').then(() => undefined);
export const deleteCiphers = (h: Hearth, a: string, body: IdsBody) => apply(h, a, idsOf(body), 'delete').then(() => undefined);
export const restoreCipher = async (h: Hearth, a: string, id: string) => cipherJson((await apply(h, a, [idOf(id, notFoundCipher)], 'restore'))[0]!);
export const restoreCiphers = async (h: Hearth, a: string, body: IdsBody) =>
  `{"object":"list","data":[${(await apply(h, a, idsOf(body), 'restore')).map(cipherJson).join(',')}],"continuationToken":null}`;

/** `partial`: only the folder and the favourite flag (what a user may change without the key). */
export async function partialCipher(h: Hearth, accountId: string, id: string, b: PartialCipherBody): Promise<string> {
  const folderId = folderIdOf(b.folderId);
  if (b.favorite !== undefined && typeof b.favorite !== 'boolean') throw badRequest('favorite must be true or false');
  const now = h.clock.now();
  return h.store.db.transaction().execute(async (tx) => {
    const old = await cipherRow(tx, accountId, id);
    await checkFolder(tx, accountId, folderId);
    const row = { ...old, folder_id: folderId, favorite: b.favorite === undefined ? old.favorite : b.favorite ? 1 : 0, revision_date: now };
    await repo.updateCipher(tx, old.id, { folder_id: row.folder_id, favorite: row.favorite, revision_date: now });
    await bump(tx, accountId, now);
    return cipherJson(row);
  });
}

/** `move`: several ciphers into one folder (or none). */
export async function moveCiphers(h: Hearth, accountId: string, body: IdsBody): Promise<void> {
  const ids = idsOf(body);
  const folderId = folderIdOf(body.folderId);
  const now = h.clock.now();
  await h.store.db.transaction().execute(async (tx) => {
    await checkFolder(tx, accountId, folderId);
    const rows = await repo.ciphersIn(tx, accountId, ids);
    if (rows.length !== new Set(ids).size) throw notFoundCipher();
    await repo.updateCiphers(tx, accountId, ids, { folder_id: folderId, revision_date: now });
    await bump(tx, accountId, now);
  });
}

// ---- folders ---------------------------------------------------------------------------------

function folderName(body: FolderBody): string {
  const name = body.name;
  if (!isEncString(name)) throw badRequest('name must be an EncString ("2.iv|data|mac"), as the client encrypts it');
  return name;
}

export async function listFolders(h: Hearth, accountId: string) {
  const rows = await repo.folders(h.store.db, accountId);
  return { object: 'list', data: rows.map(folderJson), continuationToken: null };
}

export async function getFolder(h: Hearth, accountId: string, id: string) {
  const row = await repo.folder(h.store.db, accountId, idOf(id, notFoundFolder));
  if (!row) throw notFoundFolder();
  return folderJson(row);
}

export async function createFolder(h: Hearth, accountId: string, body: FolderBody) {
  const row = { id: newId(), account_id: accountId, name: folderName(body), revision_date: h.clock.now() };
  await h.store.db.transaction().execute(async (tx) => {
    await repo.insertFolder(tx, row);
    await bump(tx, accountId, row.revision_date);
  });
  return folderJson(row);
}

export async function updateFolder(h: Hearth, accountId: string, id: string, body: FolderBody) {
  const name = folderName(body);
  const now = h.clock.now();
  const fid = idOf(id, notFoundFolder);
  return h.store.db.transaction().execute(async (tx) => {
    if (!(await repo.renameFolder(tx, accountId, fid, name, now))) throw notFoundFolder();
    await bump(tx, accountId, now);
    return folderJson({ id: fid, account_id: accountId, name, revision_date: now });
  });
}

/** Deletes a folder; its ciphers stay, in no folder. */
export async function deleteFolder(h: Hearth, accountId: string, id: string): Promise<void> {
  const fid = idOf(id, notFoundFolder);
  const now = h.clock.now();
  await h.store.db.transaction().execute(async (tx) => {
    if (!(await repo.deleteFolder(tx, accountId, fid))) throw notFoundFolder();
    await repo.unfile(tx, accountId, fid, now);
    await bump(tx, accountId, now);
  });
}
